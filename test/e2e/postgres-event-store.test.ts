/**
 * `cambio start` on the PostgreSQL event store, as real processes: two processes with their
 * own data directories share one database and never overdraw; the audit routes and a
 * projection rebuild work on it; and a PostgreSQL that goes away turns into 503s that end by
 * themselves when it comes back (on a private server this test stops and starts).
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { CambioProcess, runCambio } from '../support/cambio-process.ts';
import {
  eventually,
  httpClient,
  login,
  registerAndLogin,
  type Balances,
  type HttpClient,
  type JsonRecord,
  type Problem,
  type WalletAnswer,
} from '../support/http-client.ts';
import { createTestDatabase, postgresOrSkip, type TestDatabase } from '../support/postgres.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../support/postgres-server.ts';

const storeArgs = (url: string) => ['--event-store', 'postgres', '--postgres-url', url];
/** The admin commands take their settings from the environment (and `--data-dir`). */
const storeEnv = (url: string) => ({ CAMBIO_EVENT_STORE: 'postgres', POSTGRES_URL: url });

describe('e2e: the PostgreSQL event store', function () {
  this.timeout(120_000);

  describe('two `cambio start` processes (role all, own data dirs) on one database', function () {
    let database: TestDatabase;
    const processes: CambioProcess[] = [];

    before(async function () {
      await postgresOrSkip(this, 'two processes on the PostgreSQL event store');
      database = await createTestDatabase();
      const env = { CAMBIO_SECRET: randomBytes(32).toString('base64url') };
      const args = storeArgs(database.url);
      // One after the other: the first creates the schema (starting together is tested at
      // the store level), and each gets its own temp data directory.
      processes.push(await CambioProcess.start({ env, args }));
      processes.push(await CambioProcess.start({ env, args }));
    });

    afterEach(function () {
      if (this.currentTest?.state !== 'failed') return;
      for (const cambio of processes) console.log(cambio.tail(30));
    });

    after(async () => {
      await Promise.all(processes.map((cambio) => cambio.cleanup()));
      await database?.drop();
    });

    it('200 concurrent withdrawals of 1 USD from 100 USD split over both: exactly 100 accepted, balance 0', async function () {
      const [one, two] = processes.map((cambio) => httpClient(cambio.baseUrl)) as [
        HttpClient,
        HttpClient,
      ];
      expect(processes[0]!.dataDir).not.to.equal(processes[1]!.dataDir);
      const user = await registerAndLogin(one, processes[0]!.outboxDir);
      const funded = await two.post<WalletAnswer>(
        '/api/user/wallet/deposit',
        { amount: '100' },
        { token: user.token },
      );
      expect(funded.status, funded.text).to.equal(200);

      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          (index % 2 === 0 ? one : two).post<WalletAnswer | Problem>(
            '/api/user/wallet/withdraw',
            { amount: '1' },
            { token: user.token },
          ),
        ),
      );
      // Exactly 100 land. Every other one is refused: 422 once the money is gone, or, rarely,
      // 409 for a command that kept losing the race to the other process (the client retries).
      const statuses = answers.map(({ status }) => status);
      expect(statuses.filter((status) => status === 200)).to.have.length(100);
      for (const answer of answers.filter(({ status }) => status !== 200)) {
        const { code } = answer.body as Problem;
        expect(`${answer.status} ${code}`).to.be.oneOf([
          '422 insufficient_funds',
          '409 concurrent_modification',
        ]);
      }
      const accepted = (client: HttpClient) =>
        answers.filter(
          ({ status }, index) => status === 200 && (index % 2 === 0) === (client === one),
        );
      // Both processes did part of the work.
      expect(accepted(one).length).to.be.greaterThan(0);
      expect(accepted(two).length).to.be.greaterThan(0);

      const last = answers
        .filter(({ status }) => status === 200)
        .map(({ body }) => BigInt((body as WalletAnswer).position))
        .reduce((max, position) => (position > max ? position : max), 0n);
      for (const client of [one, two]) {
        const balance = await client.get<Balances>('/api/user/wallet/balance', {
          token: user.token,
          headers: { 'X-Min-Position': last.toString() },
        });
        expect(balance.status, balance.text).to.equal(200);
        expect(balance.body).to.deep.equal({ USD: '0' });
      }

      // The auditor's replay of the wallet agrees, on either process.
      const auditor = await registerAndLogin(one, processes[0]!.outboxDir, { name: 'Audrey' });
      const granted = await runCambio(
        ['users', 'grant-role', auditor.mail, 'auditor', '--data-dir', processes[1]!.dataDir],
        storeEnv(database.url),
      );
      expect(granted.code, granted.stderr).to.equal(0);
      const auditorToken = (await login(two, auditor.mail, auditor.password)).token;
      for (const client of [one, two]) {
        const audit = await client.get<JsonRecord>(`/api/audit/wallets/${user.userId}`, {
          token: auditorToken,
        });
        expect(audit.status, audit.text).to.equal(200);
        expect(JSON.stringify(audit.body)).to.include('"USD":"0"');
        const events = await client.get<{ events: JsonRecord[] }>('/api/audit/events?limit=1000', {
          token: auditorToken,
        });
        expect(events.status, events.text).to.equal(200);
        const withdrawn = events.body.events.filter((event) => event.type === 'FundsWithdrawn');
        expect(withdrawn).to.have.length(100);
      }
    });

    it('`cambio projections rebuild` rebuilds a process’s read models from PostgreSQL while it runs', async function () {
      const cambio = processes[0]!;
      const rebuilt = await runCambio(
        ['projections', 'rebuild', '--data-dir', cambio.dataDir],
        storeEnv(database.url),
      );
      expect(rebuilt.code, rebuilt.stderr + rebuilt.stdout).to.equal(0);
      const status = await runCambio(
        ['projections', 'status', '--data-dir', cambio.dataDir],
        storeEnv(database.url),
      );
      expect(status.code, status.stderr).to.equal(0);
      const row = status.stdout.split('\n').find((line) => line.startsWith('wallet-read-models'));
      const [, generation, position, head, lag] = row?.split(/\s+/) ?? [];
      expect(Number(generation), status.stdout).to.be.greaterThan(1);
      expect(position, status.stdout).to.equal(head);
      expect(lag).to.equal('0');
    });
  });

  describe('PostgreSQL stops and comes back', function () {
    let server: PrivatePostgres | undefined;
    let cambio: CambioProcess | undefined;

    before(async function () {
      const started = await startPrivatePostgres();
      if (!started.available) {
        if (process.env.CI)
          throw new Error(`a private PostgreSQL is needed in CI: ${started.reason}`);
        console.log(`\n      !!! SKIPPING the PostgreSQL outage test: ${started.reason}\n`);
        this.skip();
      }
      server = started.server;
      console.log(`      private PostgreSQL at ${server.url}`);
      cambio = await CambioProcess.start({ args: storeArgs(server.url) });
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed') console.log(cambio?.tail(40));
    });

    after(async () => {
      await cambio?.cleanup();
      await server?.dispose();
    });

    it('/ready answers 503 naming the event store and commands 503 problem+json; both recover', async function () {
      if (!server || !cambio) throw new Error('not started');
      const client = httpClient(cambio.baseUrl);
      const user = await registerAndLogin(client, cambio.outboxDir);
      const deposit = (amount: string) =>
        client.post<WalletAnswer | Problem>(
          '/api/user/wallet/deposit',
          { amount },
          { token: user.token },
        );
      expect((await deposit('5')).status).to.equal(200);
      expect((await client.get('/ready')).status).to.equal(200);

      await server.stop();

      const ready = await client.get<Problem>('/ready');
      expect(ready.status).to.equal(503);
      expect(ready.contentType).to.equal('application/problem+json');
      expect(ready.body.detail).to.include('event store');
      const dependencies = ready.body.dependencies as { name: string; up: boolean }[];
      expect(dependencies.find(({ name }) => name === 'event store')?.up).to.equal(false);

      const refused = await deposit('7');
      expect(refused.status, refused.text).to.equal(503);
      expect(refused.contentType).to.equal('application/problem+json');
      expect((refused.body as Problem).code).to.equal('event_store_unavailable');
      expect(refused.headers.get('retry-after')).to.equal('1');
      const registering = await client.post<Problem>('/api/user/register', {
        name: 'Grace',
        lastName: 'Hopper',
        mail: 'grace@example.com',
        password: 'correct horse battery',
      });
      expect(registering.status, registering.text).to.equal(503);
      expect((await client.get('/health')).status).to.equal(200);

      await server.start();

      await eventually('/ready to answer 200 again', async () =>
        (await client.get('/ready')).status === 200 ? true : undefined,
      );
      const accepted = await eventually('a deposit to be accepted again', async () => {
        const answer = await deposit('7');
        return answer.status === 200 ? (answer.body as WalletAnswer) : undefined;
      });
      expect(accepted.balances).to.deep.equal({ USD: '12' });
      // The projector followed the log again: the read side shows the new deposit.
      const balance = await client.get<Balances>('/api/user/wallet/balance', {
        token: user.token,
        headers: { 'X-Min-Position': accepted.position },
      });
      expect(balance.status, balance.text).to.equal(200);
      expect(balance.body).to.deep.equal({ USD: '12' });
    });
  });
});
