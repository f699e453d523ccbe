import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import WebSocket from 'ws';
import { CambioProcess } from '../support/cambio-process.ts';
import {
  eventually,
  httpClient,
  login,
  registerAndLogin,
  uniqueMail,
  verificationCode,
  type HttpClient,
  type HttpResponse,
  type JsonRecord,
  type NewUser,
  type Problem,
} from '../support/http-client.ts';

/** A 429 as the API sends it: problem+json, Retry-After and the IETF RateLimit headers. */
const expectTooMany = (response: HttpResponse<unknown>, what: string): Problem => {
  const problem = response.body as Problem;
  expect(response.status, `${what}: ${response.text}`).to.equal(429);
  expect(response.contentType).to.equal('application/problem+json');
  expect(problem.code).to.equal('too_many_requests');
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter, 'Retry-After').to.be.within(1, 60);
  expect(response.headers.get('ratelimit-policy'), 'RateLimit-Policy').to.match(/q=\d+; w=60/);
  expect(response.headers.get('ratelimit'), 'RateLimit').to.match(/r=0; t=\d+/);
  return problem;
};

/** Opens a websocket; resolves 'open', or the HTTP status its upgrade was refused with. */
const connect = (port: number): Promise<{ socket: WebSocket; refused?: number; body?: string }> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws/exchange-rates`);
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ socket, refused: res.statusCode ?? 0, body }));
    });
    socket.once('error', reject);
  });

describe('e2e: request limits', function () {
  this.timeout(90_000);

  describe('per user, per address and per websocket address', function () {
    let cambio: CambioProcess;
    let client: HttpClient;
    let ada: NewUser;
    let bob: NewUser;

    before(async function () {
      cambio = await CambioProcess.start({
        env: {
          COMMAND_RATE_LIMIT_PER_MINUTE: '5',
          READ_RATE_LIMIT_PER_MINUTE: '4',
          ANONYMOUS_RATE_LIMIT_PER_MINUTE: '10',
          WEBSOCKET_CONNECTIONS_PER_ADDRESS: '3',
        },
      });
      client = httpClient(() => cambio.baseUrl);
      // Three anonymous requests each (register, register with the code, log in).
      ada = await registerAndLogin(client, cambio.outboxDir);
      bob = await registerAndLogin(client, cambio.outboxDir);
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed') console.log(cambio.tail(40));
    });

    after(async function () {
      await cambio?.cleanup();
    });

    it('commands: each user has their own allowance; the one over it gets 429 and nothing is recorded', async function () {
      let position = '0';
      for (let i = 1; i <= 5; i++) {
        const answer = await client.post(
          '/api/user/wallet/deposit',
          { amount: '1' },
          { token: ada.token },
        );
        expect(answer.status, answer.text).to.equal(200);
        expect(answer.headers.get('ratelimit')).to.match(new RegExp(`r=${5 - i};`));
        position = answer.body.position as string;
      }
      expectTooMany(
        await client.post('/api/user/wallet/deposit', { amount: '1' }, { token: ada.token }),
        'sixth command',
      );
      const other = await client.post(
        '/api/user/wallet/deposit',
        { amount: '1' },
        { token: bob.token },
      );
      expect(other.status, 'another user is not limited by the first').to.equal(200);
      const balance = await client.get('/api/user/wallet/balance', {
        token: ada.token,
        headers: { 'X-Min-Position': position },
      });
      expect(balance.body, 'the refused sixth left no trace').to.deep.equal({ USD: '5' });
    });

    it('reads are counted apart from commands', async function () {
      // One of the four went to the balance check above.
      for (let i = 1; i <= 3; i++) {
        const answer = await client.get('/api/user/me', { token: ada.token });
        expect(answer.status, answer.text).to.equal(200);
      }
      expectTooMany(
        await client.get('/api/user/wallet/balance', { token: ada.token }),
        'fifth read',
      );
      expect((await client.get('/api/user/me', { token: bob.token })).status).to.equal(200);
    });

    it('anonymous routes are limited per address, across every anonymous route', async function () {
      let answer = await client.get('/api/exchange-rates');
      let calls = 1;
      while (answer.status === 200 && calls < 20) {
        answer = await client.get('/api/exchange-rates');
        calls += 1;
      }
      // Six of the ten went to registering and logging in both users.
      expect(calls).to.equal(5);
      expectTooMany(answer, 'exchange rates');
      expectTooMany(
        await client.post('/api/user/login', { mail: ada.mail, password: 'x' }),
        'login',
      );
      // Another spelling of the route is the same route, under the same limit.
      expectTooMany(await client.get('/api/exchange-rates/'), 'exchange rates with a slash');
      // Signed-in routes count per user, not per address.
      const signedIn = await client.post(
        '/api/user/wallet/deposit',
        { amount: '1' },
        { token: bob.token },
      );
      expect(signedIn.status).to.equal(200);
    });

    it('websockets: one more than the cap per address is refused with 429 problem+json; closing one frees a slot', async function () {
      const open = [
        await connect(cambio.port),
        await connect(cambio.port),
        await connect(cambio.port),
      ];
      try {
        for (const { refused } of open) expect(refused).to.equal(undefined);
        const fourth = await connect(cambio.port);
        expect(fourth.refused).to.equal(429);
        expect(JSON.parse(fourth.body ?? '{}')).to.include({
          status: 429,
          code: 'too_many_connections',
        });
        open[0]?.socket.close();
        const again = await eventually('a free slot', async () => {
          const attempt = await connect(cambio.port);
          if (attempt.refused === undefined) return attempt;
          return undefined;
        });
        open.push(again);
      } finally {
        for (const { socket } of open) socket.terminate();
      }
    });
  });

  describe('the request deadline', function () {
    /** UserRegistered events (completed sign-ups) recorded under `key`, read from the event store file. */
    const completedUnder = (dataDir: string, key: string): { userId: string }[] => {
      const db = new Database(join(dataDir, 'events.sqlite'), { readonly: true });
      try {
        const rows = db
          .prepare("SELECT data, metadata FROM events WHERE type = 'UserRegistered'")
          .all() as { data: string; metadata: string }[];
        return rows
          .filter((row) => (JSON.parse(row.metadata) as JsonRecord).idempotencyKey === key)
          .map((row) => JSON.parse(row.data) as { userId: string });
      } finally {
        db.close();
      }
    };

    it('answers 503 past it; the command goes on, and its Idempotency-Key gets its one outcome', async function () {
      const first = await CambioProcess.start();
      const { dataDir } = first;
      const others: CambioProcess[] = [];
      /** Another server on the same data directory, stopped and cleaned up at the end. */
      const next = async (env: Record<string, string> = {}) => {
        const cambio = await CambioProcess.start({ dataDir, env });
        others.push(cambio);
        return cambio;
      };
      try {
        const mail = uniqueMail('deadline');
        const person = {
          name: 'Ada',
          lastName: 'Lovelace',
          mail,
          password: 'correct horse battery',
        };
        const key = `deadline-${mail}`;
        const asked = await httpClient(first.baseUrl).post('/api/user/register', person);
        expect(asked.status, asked.text).to.equal(200);
        const verification = await verificationCode(first.outboxDir, mail);
        await first.stop();

        // A deadline of 1 ms passes while the password is hashed: the client hears 503...
        const strict = await next({ REQUEST_DEADLINE_MS: '1' });
        const late = await httpClient(strict.baseUrl).post<Problem>(
          '/api/user/register',
          { ...person, verification },
          { headers: { 'Idempotency-Key': key } },
        );
        expect(late.status, late.text).to.equal(503);
        expect(late.contentType).to.equal('application/problem+json');
        expect(late.body.code).to.equal('deadline_exceeded');
        expect(late.headers.get('retry-after')).to.equal('1');
        // ...while the registration goes on and is recorded, once, under its key.
        const [recorded] = await eventually('the registration recorded', async () => {
          const found = completedUnder(dataDir, key);
          return found.length > 0 ? found : undefined;
        });
        // No stack for it: a deadline is no server fault.
        expect(strict.output()).not.to.match(/"stack"/);
        await strict.stop();

        // Retried with its key where there is time to answer: the one outcome, replayed.
        const relaxed = await next();
        const relaxedClient = httpClient(relaxed.baseUrl);
        const retry = await relaxedClient.post(
          '/api/user/register',
          { ...person, verification },
          { headers: { 'Idempotency-Key': key } },
        );
        expect(retry.status, retry.text).to.equal(201);
        expect(retry.body.userId).to.equal(recorded?.userId);
        expect(completedUnder(dataDir, key)).to.have.length(1);
        const session = await login(relaxedClient, mail, person.password);
        expect(session.userId).to.equal(recorded?.userId);
        await relaxed.stop();

        // A read waiting for a position that never comes is cut at the deadline too, long
        // before READ_WAIT_MS would answer.
        const reader = await next({ REQUEST_DEADLINE_MS: '300', READ_WAIT_MS: '30000' });
        const startedAt = Date.now();
        const waiting = await httpClient(reader.baseUrl).get<Problem>('/api/user/wallet/balance', {
          token: session.token,
          headers: { 'X-Min-Position': '99999999' },
        });
        expect(waiting.status, waiting.text).to.equal(503);
        expect(waiting.body.code).to.equal('deadline_exceeded');
        expect(Date.now() - startedAt).to.be.lessThan(20_000);
      } finally {
        for (const other of others) await other.cleanup();
        await first.cleanup();
      }
    });
  });
});
