import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import {
  brotliCompressSync,
  brotliDecompressSync,
  deflateSync,
  gunzipSync,
  gzipSync,
} from 'node:zlib';
import { expect } from 'chai';
import WebSocket from 'ws';
import { CambioProcess } from '../support/cambio-process.ts';
import {
  httpClient,
  registerAndLogin,
  type NewUser,
  type Problem,
} from '../support/http-client.ts';

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body exactly as it came over the wire (not decompressed). */
  body: Buffer;
}

/** A raw request: no automatic decompression either way. */
const raw = (
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });

const json = (answer: RawAnswer): Record<string, unknown> =>
  JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;

describe('e2e: compression', function () {
  this.timeout(60_000);
  let cambio: CambioProcess;
  let user: NewUser;

  before(async function () {
    cambio = await CambioProcess.start({ env: { BODY_LIMIT: '4kb' } });
    user = await registerAndLogin(
      httpClient(() => cambio.baseUrl),
      cambio.outboxDir,
    );
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(40));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  describe('answers', function () {
    it('a large answer is sent with br when the client takes it, else gzip, else as it is', async function () {
      const plain = await raw(cambio.port, 'GET', '/openapi.json', {});
      expect(plain.headers['content-encoding']).to.equal(undefined);
      expect(plain.body.length).to.be.greaterThan(1024);

      const br = await raw(cambio.port, 'GET', '/openapi.json', { 'accept-encoding': 'gzip, br' });
      expect(br.headers['content-encoding']).to.equal('br');
      expect(br.headers.vary).to.match(/accept-encoding/i);
      expect(brotliDecompressSync(br.body).equals(plain.body)).to.equal(true);
      expect(br.body.length).to.be.lessThan(plain.body.length / 3);

      const gzip = await raw(cambio.port, 'GET', '/openapi.json', { 'accept-encoding': 'gzip' });
      expect(gzip.headers['content-encoding']).to.equal('gzip');
      expect(gunzipSync(gzip.body).equals(plain.body)).to.equal(true);
    });

    it('a small answer is not compressed', async function () {
      const health = await raw(cambio.port, 'GET', '/health', { 'accept-encoding': 'gzip, br' });
      expect(health.status).to.equal(200);
      expect(health.headers['content-encoding']).to.equal(undefined);
    });

    it('an answer with a strong ETag keeps its exact bytes', async function () {
      const balance = await raw(cambio.port, 'GET', '/api/user/wallet/balance', {
        'accept-encoding': 'gzip, br',
        authorization: `Bearer ${user.token}`,
      });
      expect(balance.status).to.equal(200);
      expect(balance.headers.etag).to.match(/^"\d+"$/);
      expect(balance.headers['content-encoding']).to.equal(undefined);
    });

    it('websockets are not compressed twice: permessage-deflate is declined and frames are plain', async function () {
      const socket = new WebSocket(`ws://127.0.0.1:${cambio.port}/ws/exchange-rates`, {
        perMessageDeflate: true,
        headers: { 'accept-encoding': 'gzip, br' },
      });
      try {
        const upgrade = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
          socket.once('upgrade', (response) => resolve(response.headers));
          socket.once('error', reject);
        });
        expect(upgrade['sec-websocket-extensions']).to.equal(undefined);
        expect(upgrade['content-encoding']).to.equal(undefined);
        const first = await new Promise<string>((resolve) =>
          socket.once('message', (data: WebSocket.RawData) => resolve(String(data))),
        );
        expect((JSON.parse(first) as { currency: string }).currency).to.equal('USD');
      } finally {
        socket.terminate();
      }
    });
  });

  describe('request bodies', function () {
    const deposit = (encoding: string, body: Buffer) =>
      raw(
        cambio.port,
        'POST',
        '/api/user/wallet/deposit',
        {
          authorization: `Bearer ${user.token}`,
          'content-type': 'application/json',
          'content-encoding': encoding,
        },
        body,
      );
    const amount = (value: string) => Buffer.from(JSON.stringify({ amount: value }));

    it('are read through gzip, deflate and br', async function () {
      const answers = [
        await deposit('gzip', gzipSync(amount('1.25'))),
        await deposit('deflate', deflateSync(amount('2.25'))),
        await deposit('br', brotliCompressSync(amount('3.25'))),
      ];
      for (const answer of answers) expect(answer.status, answer.body.toString()).to.equal(200);
      expect(json(answers[2] as RawAnswer).newBalance).to.equal('6.75');
    });

    it('an encoding the server does not know is 415 problem+json', async function () {
      const answer = await deposit('compress', amount('1'));
      expect(answer.status).to.equal(415);
      expect(answer.headers['content-type']).to.match(/^application\/problem\+json/);
      expect((json(answer) as unknown as Problem).code).to.equal('unsupported_encoding');
    });

    it('a body that inflates beyond the limit is 413, however small it travels', async function () {
      const bomb = gzipSync(Buffer.from(`{"amount":"1","pad":"${' '.repeat(3_000_000)}"}`));
      expect(bomb.length).to.be.lessThan(4096);
      const answer = await deposit('gzip', bomb);
      expect(answer.status).to.equal(413);
      expect(answer.headers['content-type']).to.match(/^application\/problem\+json/);
    });

    it('a body that is not what its encoding says is 400 problem+json, never 500', async function () {
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const answer = await deposit(encoding, Buffer.from('{"amount":"1"} is not compressed'));
        expect(answer.status, `${encoding}: ${answer.body.toString()}`).to.equal(400);
        expect(answer.headers['content-type']).to.match(/^application\/problem\+json/);
      }
      const truncated = gzipSync(amount('1')).subarray(0, 12);
      expect((await deposit('gzip', truncated)).status).to.equal(400);
    });
  });
});
