import { connect } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { listen } from '../../infra/http/http-server.ts';
import { CambioProcess, runCambio } from '../support/cambio-process.ts';
import {
  httpClient,
  login,
  registerAndLogin,
  type HttpClient,
  type NewUser,
  type Problem,
} from '../support/http-client.ts';

interface RawAnswer {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
  text: string;
}

/** Writes `request` as raw bytes and reads the answer until the server closes. */
const rawExchange = (port: number, request: string | Buffer, waitMs = 0): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const contentType = /^content-type: *([^;\r\n]+)/im.exec(head)?.[1] ?? '';
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(body) as Record<string, unknown>;
      } catch {
        // Not JSON: the assertions below say so.
      }
      resolve({ status, contentType, body: parsed, text });
    });
    socket.write(request);
    if (waitMs === 0) return;
    setTimeout(() => socket.end(), waitMs).unref();
  });

const expectRawProblem = (answer: RawAnswer, status: number, code: string): void => {
  expect(answer.status, answer.text).to.equal(status);
  expect(answer.contentType.toLowerCase()).to.equal('application/problem+json');
  expect(answer.body).to.include({ status, code });
  expect(answer.body.type).to.be.a('string');
};

describe('e2e: every error is problem+json', function () {
  this.timeout(60_000);
  let cambio: CambioProcess;
  let client: HttpClient;
  let user: NewUser;

  before(async function () {
    cambio = await CambioProcess.start();
    client = httpClient(() => cambio.baseUrl);
    user = await registerAndLogin(client, cambio.outboxDir);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(40));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  describe("what Node's HTTP parser refuses", function () {
    it('400 for a request that is not HTTP', async function () {
      expectRawProblem(
        await rawExchange(cambio.port, 'HELLO THERE\r\n\r\n'),
        400,
        'malformed_request',
      );
      expectRawProblem(
        await rawExchange(
          cambio.port,
          'GET /health HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n',
        ),
        400,
        'malformed_request',
      );
    });

    it('431 for headers larger than the server reads', async function () {
      const request = `GET /health HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
      expectRawProblem(await rawExchange(cambio.port, request), 431, 'headers_too_large');
    });

    it('413 for chunk extensions larger than the server reads', async function () {
      const request =
        'POST /api/user/login HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n' +
        `Transfer-Encoding: chunked\r\n\r\n2;${'e'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`;
      expectRawProblem(await rawExchange(cambio.port, request), 413, 'body_too_large');
    });

    it('417 for an Expect the server does not meet', async function () {
      const request =
        'POST /api/user/login HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Type: application/json\r\n' +
        'Content-Length: 2\r\nConnection: close\r\n\r\n{}';
      expectRawProblem(await rawExchange(cambio.port, request), 417, 'expectation_failed');
    });

    it('408 for a request that does not arrive in time', async function () {
      const app = express();
      const server = await listen(app, '127.0.0.1', 0, {
        headersTimeoutMs: 300,
        requestTimeoutMs: 300,
        timeoutCheckMs: 100,
      });
      try {
        const answer = await rawExchange(server.port, 'GET /health HTTP/1.1\r\nHost: a\r\n', 5_000);
        expectRawProblem(answer, 408, 'request_timeout');
      } finally {
        await server.close(100);
      }
    });
  });

  describe('out-of-range numbers are 400, never 500', function () {
    it('a position beyond any event store in X-Min-Position names the header', async function () {
      for (const position of ['9223372036854775808', '99999999999999999999']) {
        const answer = await client.get<Problem>('/api/user/wallet/balance', {
          token: user.token,
          headers: { 'X-Min-Position': position },
        });
        expect(answer.status, answer.text).to.equal(400);
        expect(answer.body.errors?.[0]?.field).to.equal('X-Min-Position');
      }
      const largest = await client.get('/api/user/wallet/balance', {
        token: user.token,
        headers: { 'X-Min-Position': '9223372036854775807' },
      });
      expect(largest.status, 'the largest position is valid, just not reached').to.equal(503);
    });

    it('a history cursor naming a position beyond any event store', async function () {
      const cursor = Buffer.from('9999999999999999999').toString('base64url');
      const answer = await client.get<Problem>(`/api/user/wallet/history?cursor=${cursor}`, {
        token: user.token,
      });
      expect(answer.status, answer.text).to.equal(400);
      expect(answer.body.errors?.[0]?.field).to.equal('cursor');
    });

    it('audit positions and revisions beyond any event store', async function () {
      const granted = await runCambio([
        'users',
        'grant-role',
        user.mail,
        'auditor',
        '--data-dir',
        cambio.dataDir,
      ]);
      expect(granted.code, granted.stderr).to.equal(0);
      const auditor = await login(client, user.mail, user.password);
      for (const path of [
        '/api/audit/events?after=99999999999999999999',
        '/api/audit/events?after=9223372036854775808',
        `/api/audit/streams/wallet-${user.userId}?fromRevision=99999999999999999999`,
      ]) {
        const answer = await client.get<Problem>(path, { token: auditor.token });
        expect(answer.status, `${path}: ${answer.text}`).to.equal(400);
        expect(answer.contentType).to.equal('application/problem+json');
      }
      // Storable but past the newest event: the auditor is told where the log ends.
      const beyond = await client.get<Problem>('/api/audit/events?after=9223372036854775807', {
        token: auditor.token,
      });
      expect(beyond.status, beyond.text).to.equal(400);
      expect(beyond.body.code).to.equal('position_out_of_range');
      const fine = await client.get('/api/audit/events?after=0', { token: auditor.token });
      expect(fine.status, fine.text).to.equal(200);
    });
  });

  describe('authentication', function () {
    it('takes the Bearer scheme in any case', async function () {
      for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
        const answer = await client.get('/api/user/wallet/balance', {
          headers: { authorization: `${scheme} ${user.token}` },
        });
        expect(answer.status, scheme).to.equal(200);
      }
      const other = await client.get<Problem>('/api/user/wallet/balance', {
        headers: { authorization: `Basic ${user.token}` },
      });
      expect(other.status).to.equal(401);
    });
  });

  describe('finally', function () {
    it('none of the refusals above was logged with a stack trace', async function () {
      expect(cambio.output()).not.to.match(/"stack"/);
      expect(cambio.output()).not.to.match(/\n\s+at /);
    });
  });
});
