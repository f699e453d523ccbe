/**
 * The auditor's toolkit end to end, through the real CLI and HTTP API, on every event store
 * the project has: point-in-time wallets, tamper evidence, reconciliation, export and erasure.
 * Each store runs the same story; adding a store is one entry in STORES.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { SqliteReadStore } from '../../infra/read-store/sqlite-read-store.ts';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { EventStoreDbEventStore } from '../../infra/event-store/eventstoredb-event-store.ts';
import { PostgresEventStore } from '../../infra/event-store/postgres-event-store.ts';
import { createTestDatabase, postgresOrSkip, type TestDatabase } from '../support/postgres.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { appendStoredEvents, readStoredEvents } from '../fixtures/stored-events.ts';
import { spawn, spawnSync } from 'node:child_process';
import { CambioProcess, REPO_ROOT, runCambio } from '../support/cambio-process.ts';
import {
  eventually,
  httpClient,
  login,
  registerAndLogin,
  sleep,
  type HttpClient,
  type JsonRecord,
  type NewUser,
  type Problem,
  type WalletAnswer,
} from '../support/http-client.ts';
import {
  EventStoreDbStandIn,
  STAND_IN_LABEL,
} from '../support/eventstoredb-standin/standin-server.ts';

interface StoreUnderTest {
  label: string;
  /** Starts what the store needs and returns the environment that selects it. */
  start(): Promise<Record<string, string>>;
  stop(): Promise<void>;
  /** The store's adapter itself, as an old deployment (no chain, no encryption) wrote through. */
  openRaw(dataDir: string): Promise<EventStore>;
  /** Reading the log from a position that is no event's is refused (EventStoreDB's byte offsets). */
  exactPositions?: boolean;
  /** Skips the suite, saying why, when the store's server is missing. */
  require?(context: Mocha.Context): Promise<void>;
}

let standIn: EventStoreDbStandIn | undefined;
let postgres: TestDatabase | undefined;
const STORES: StoreUnderTest[] = [
  {
    label: 'SQLite',
    start: async () => ({}),
    stop: async () => {},
    openRaw: (dataDir) => SqliteEventStore.open({ file: join(dataDir, 'events.sqlite') }),
  },
  {
    label: `EventStoreDB (${STAND_IN_LABEL})`,
    start: async () => {
      standIn = await EventStoreDbStandIn.start();
      return { CAMBIO_EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: standIn.url };
    },
    stop: async () => {
      await standIn?.stop();
      standIn = undefined;
    },
    openRaw: () => EventStoreDbEventStore.open({ url: standIn!.url }),
    exactPositions: true,
  },
  {
    label: 'PostgreSQL',
    require: (context) => postgresOrSkip(context, "the auditor's toolkit on PostgreSQL"),
    start: async () => {
      postgres = await createTestDatabase();
      return { CAMBIO_EVENT_STORE: 'postgres', POSTGRES_URL: postgres.url };
    },
    stop: async () => {
      await postgres?.drop();
      postgres = undefined;
    },
    openRaw: () => PostgresEventStore.open({ url: postgres!.url }),
  },
];

for (const store of STORES) {
  describe(`e2e: the auditor's toolkit on ${store.label}`, function () {
    this.timeout(120_000);
    let env: Record<string, string>;
    let cambio: CambioProcess;
    let client: HttpClient;
    let trader: NewUser;
    let auditorToken: string;
    const instants: string[] = [];
    const positions: string[] = [];

    const cli = (...args: string[]) => runCambio([...args, '--data-dir', cambio.dataDir], env);

    before(async function () {
      await store.require?.(this);
      // Registering a taken address again at once must answer like a first registration.
      env = { ...(await store.start()), VERIFICATION_RESEND_SECONDS: '0' };
      cambio = await CambioProcess.start({ env });
      client = httpClient(() => cambio.baseUrl);
      trader = await registerAndLogin(client, cambio.outboxDir, {
        name: 'Grace',
        lastName: 'Hopper',
      });
      const auditor = await registerAndLogin(client, cambio.outboxDir, { name: 'Audrey' });
      for (const role of ['auditor', 'admin']) {
        const granted = await cli('users', 'grant-role', auditor.mail, role);
        expect(granted.code, granted.stderr).to.equal(0);
      }
      auditorToken = (await login(client, auditor.mail, auditor.password)).token;
      // Three wallet events, with the instant just after each one.
      for (const [path, amount] of [
        ['deposit', '100'],
        ['deposit', '50'],
        ['withdraw', '30'],
      ] as const) {
        const answer = await client.post<WalletAnswer>(
          `/api/user/wallet/${path}`,
          { amount },
          { token: trader.token },
        );
        expect(answer.status, answer.text).to.equal(200);
        positions.push(answer.body.position);
        instants.push(new Date().toISOString());
        await sleep(15);
      }
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed') console.log(cambio.tail(40));
    });

    after(async function () {
      await cambio?.cleanup();
      await store.stop();
    });

    const audit = (path: string) => client.get<JsonRecord>(path, { token: auditorToken });

    describe('time travel', () => {
      it('answers the wallet as it stood at an instant or a position, from the events', async () => {
        const wallet = `/api/audit/wallets/${trader.userId}`;
        const atFirst = await audit(`${wallet}?at=${instants[0]}`);
        expect(atFirst.status, atFirst.text).to.equal(200);
        expect(atFirst.body).to.deep.include({ events: 1, balances: { USD: '100' } });
        expect(atFirst.body.asOf).to.deep.equal({ at: instants[0] });

        const atSecond = await audit(`${wallet}?position=${positions[1]}`);
        expect(atSecond.body).to.deep.include({ events: 2, balances: { USD: '150' } });
        expect(atSecond.body.position).to.equal(positions[1]);

        const before = await audit(`${wallet}?at=2000-01-01T00:00:00Z`);
        expect(before.body).to.deep.include({ events: 0, balances: {}, position: '0' });

        const now = await audit(wallet);
        expect(now.body).to.deep.include({ events: 3, balances: { USD: '120' } });
      });

      it('gives the owner their own balance at an instant', async () => {
        const then = await client.get<JsonRecord>(
          `/api/user/wallet/balance?at=${encodeURIComponent(instants[1]!)}`,
          { token: trader.token },
        );
        expect(then.status, then.text).to.equal(200);
        expect(then.body).to.deep.equal({ USD: '150' });
        const now = await client.get<JsonRecord>(
          `/api/user/wallet/balance?position=${positions[2]}`,
          { token: trader.token },
        );
        expect(now.body).to.deep.equal({ USD: '120' });
      });

      it('refuses unknown query parameters, bad instants and out-of-range positions with 400', async () => {
        const cases: [string, string, string][] = [
          [
            `/api/audit/wallets/${trader.userId}?asof=2024-01-01T00:00:00Z`,
            'asof',
            'validation_failed',
          ],
          [`/api/audit/wallets/${trader.userId}?at=yesterday`, 'at', 'validation_failed'],
          [
            `/api/audit/wallets/${trader.userId}?at=${instants[0]}&position=1`,
            'position',
            'validation_failed',
          ],
          [
            `/api/audit/wallets/${trader.userId}?position=99999999999999999999`,
            'position',
            'position_out_of_range',
          ],
          ['/api/audit/events?after=99999999999999999999', 'after', 'position_out_of_range'],
          ['/api/audit/events?after=1&since=2', 'since', 'validation_failed'],
          [
            '/api/audit/streams/x?fromRevision=99999999999999999999',
            'fromRevision',
            'validation_failed',
          ],
        ];
        for (const [path, field, code] of cases) {
          const answer = await audit(path);
          expect(answer.status, `${path}: ${answer.text}`).to.equal(400);
          expect(answer.contentType).to.equal('application/problem+json');
          const problem = answer.body as Problem;
          expect(problem.code, path).to.equal(code);
          expect(
            problem.errors?.map((error) => error.field),
            path,
          ).to.include(field);
        }
        // Within the log but between two events: SQLite and PostgreSQL read on from there;
        // EventStoreDB's byte positions answer 400 instead of failing.
        const between = BigInt(positions[2]!) - 1n;
        const page = await audit(`/api/audit/events?after=${between}&limit=1`);
        if (!store.exactPositions) expect(page.status, page.text).to.equal(200);
        else {
          expect(page.status, page.text).to.equal(400);
          expect((page.body as Problem).code).to.equal('position_unknown');
        }
        const owner = await client.get<JsonRecord>('/api/user/wallet/balance?when=now', {
          token: trader.token,
        });
        expect(owner.status).to.equal(400);
        expect((owner.body as Problem).errors?.[0]?.field).to.equal('when');
      });
    });

    describe('tamper evidence', () => {
      it('verifies every chain: exit 0 on the untouched log', async () => {
        const run = await cli('audit', 'verify');
        expect(run.code, run.stdout + run.stderr).to.equal(0);
        expect(run.stdout).to.match(/checked \d+ events in \d+ streams/);
        expect(run.stdout).to.include('every chain is intact');
        // Not a terminal here: progress comes as plain lines on stderr, never on stdout.
        expect(run.stderr).to.match(/verifying: 100\.0%/);
        const one = await cli('audit', 'verify', '--stream', `wallet-${trader.userId}`);
        expect(one.code, one.stdout).to.equal(0);
        expect(one.stdout).to.include('checked 3 events in 1 streams');
      });

      it('names the stream and revision of an event edited in place, after a clean run', async function () {
        const wallet = `wallet-${trader.userId}`;
        if (store.label === 'SQLite') {
          // One byte of the stored file, on a copy of the data directory (server stopped so
          // the file holds every commit).
          await cambio.stop();
          const copy = mkdtempSync(join(tmpdir(), 'cambio-tampered-'));
          try {
            cpSync(cambio.dataDir, copy, { recursive: true });
            const file = join(copy, 'events.sqlite');
            const bytes = readFileSync(file);
            const at = bytes.indexOf('"amount":"50"');
            expect(at).to.be.greaterThan(0);
            expect(bytes.indexOf('"amount":"50"', at + 1)).to.equal(-1);
            bytes[at + '"amount":"'.length] = '7'.charCodeAt(0);
            writeFileSync(file, bytes);
            const run = await runCambio(['audit', 'verify', '--data-dir', copy], env);
            expect(run.code, run.stdout + run.stderr).to.equal(1);
            expect(run.stdout).to.include(
              `BROKEN ${wallet} revision 1: its content does not match`,
            );
            expect(run.stdout).to.include(`1 broken links in 1 streams: ${wallet}`);
          } finally {
            rmSync(copy, { recursive: true, force: true });
            await cambio.restart();
          }
        } else if (postgres !== undefined) {
          // An UPDATE in place, as someone with write access to the database could make.
          const db = new pg.Client({ connectionString: postgres.url });
          await db.connect();
          const edit = (amount: string) =>
            db.query(
              `UPDATE events SET data = jsonb_set(data, '{amount}', to_jsonb($3::text))
                WHERE stream_id = $1 AND revision = $2`,
              [wallet, 1, amount],
            );
          try {
            expect((await edit('70')).rowCount).to.equal(1);
            const run = await cli('audit', 'verify');
            expect(run.code, run.stdout + run.stderr).to.equal(1);
            expect(run.stdout).to.include(
              `BROKEN ${wallet} revision 1: its content does not match`,
            );
          } finally {
            await edit('50');
            await db.end();
          }
          expect((await cli('audit', 'verify')).code).to.equal(0);
        } else {
          // The stand-in keeps its records in memory: flip one byte of the stored data.
          const log = standIn!.log;
          const record = Array.from({ length: log.size }, (_, i) => log.at(i)!).find(
            (r) => r.streamId === wallet && r.revision === 1n,
          )!;
          const original = record.data;
          const text = new TextDecoder().decode(original);
          record.data = new TextEncoder().encode(text.replace('"50"', '"70"'));
          try {
            const run = await cli('audit', 'verify');
            expect(run.code, run.stdout + run.stderr).to.equal(1);
            expect(run.stdout).to.include(
              `BROKEN ${wallet} revision 1: its content does not match`,
            );
          } finally {
            record.data = original;
          }
          expect((await cli('audit', 'verify')).code).to.equal(0);
        }
      });

      // Deleting needs write access to the store's own file: shown on the embedded store.
      if (store.label === 'SQLite')
        it('shows a truncated stream against an anchored head, which the chain alone cannot', async () => {
          const wallet = `wallet-${trader.userId}`;
          const heads = await cli('audit', 'verify', '--heads');
          expect(heads.code, heads.stderr).to.equal(0);
          expect(heads.stdout).to.match(new RegExp(`^${wallet} 2 [0-9a-f]{64}$`, 'm'));
          await cambio.stop();
          const copy = mkdtempSync(join(tmpdir(), 'cambio-truncated-'));
          try {
            cpSync(cambio.dataDir, copy, { recursive: true });
            writeFileSync(join(copy, 'heads.txt'), heads.stdout);
            const db = new Database(join(copy, 'events.sqlite'));
            db.prepare('DELETE FROM events WHERE stream_id = ? AND revision = 2').run(wallet);
            db.close();
            const plain = await runCambio(['audit', 'verify', '--data-dir', copy], env);
            expect(plain.code, plain.stdout).to.equal(0);
            const anchored = await runCambio(
              ['audit', 'verify', '--anchor', join(copy, 'heads.txt'), '--data-dir', copy],
              env,
            );
            expect(anchored.code, anchored.stdout).to.equal(1);
            expect(anchored.stdout).to.include(
              `ANCHOR ${wallet} revision 2: the anchored event is gone`,
            );
          } finally {
            rmSync(copy, { recursive: true, force: true });
            await cambio.restart();
          }
        });
    });

    describe('reconciliation', () => {
      const metric = async (name: string): Promise<string | undefined> => {
        const text = (await client.get('/metrics')).text;
        return new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
      };

      it('replays every wallet and finds the read models equal: exit 0, route and metric', async () => {
        const run = await cli('audit', 'reconcile');
        expect(run.code, run.stdout + run.stderr).to.equal(0);
        expect(run.stdout).to.match(
          /reconciled \d+ wallets \(\d+ events\) with the read models at position \d+: no difference/,
        );
        expect(run.stderr).to.include('reconciling: 100.0%');
        const last = await audit('/api/admin/reconciliation');
        expect(last.status, last.text).to.equal(200);
        expect(last.body).to.deep.include({ ok: true, differences: [], differenceCount: 0 });
        expect(await metric('cambio_reconciliation_differences')).to.equal('0');
      });

      it('lists a changed balance and a lost history entry, exits 1, and is clean after a rebuild', async () => {
        const db = new Database(join(cambio.dataDir, 'read.sqlite'));
        db.pragma('busy_timeout = 5000');
        db.prepare(
          "UPDATE doc_balances_g1 SET doc = json_set(doc, '$.amount', '1000') WHERE id = ?",
        ).run(`${trader.userId}:USD`);
        const lost = db
          .prepare(
            "SELECT id FROM doc_history_g1 WHERE json_extract(doc, '$.userId') = ? ORDER BY position LIMIT 1",
          )
          .get(trader.userId) as { id: string };
        db.prepare('DELETE FROM doc_history_g1 WHERE id = ?').run(lost.id);
        db.close();

        const run = await cli('audit', 'reconcile');
        expect(run.code, run.stdout).to.equal(1);
        expect(run.stdout).to.include(
          `DIFFERENCE wallet ${trader.userId} balance: USD: the log says 120, the read model 1000`,
        );
        expect(run.stdout).to.include(
          `DIFFERENCE wallet ${trader.userId} history: event ${lost.id}`,
        );
        expect(run.stdout).to.include('2 differences in 1 wallets');
        const last = await audit('/api/admin/reconciliation');
        expect(last.body).to.deep.include({ ok: false, differenceCount: 2 });
        expect(await metric('cambio_reconciliation_differences')).to.equal('2');

        const rebuilt = await cli('projections', 'rebuild');
        expect(rebuilt.code, rebuilt.stdout + rebuilt.stderr).to.equal(0);
        const again = await cli('audit', 'reconcile');
        expect(again.code, again.stdout).to.equal(0);
      });
    });

    describe('export', () => {
      const verifyExport = (file: string) =>
        new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
          const child = spawn(process.execPath, [
            join(REPO_ROOT, 'scripts', 'verify-export.mjs'),
            file,
          ]);
          let stdout = '';
          child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
          child.once('error', reject);
          child.once('close', (code) => resolve({ code, stdout }));
        });

      it('exports NDJSON from the CLI and the API that verifies without the server, and not once edited', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'cambio-export-'));
        try {
          const run = await cli('audit', 'export');
          expect(run.code, run.stderr).to.equal(0);
          expect(run.stderr).to.match(/exported \d+ events/);
          const file = join(dir, 'events.ndjson');
          writeFileSync(file, run.stdout);
          const lines = run.stdout.trim().split('\n');
          const wallet = `wallet-${trader.userId}`;
          const walletLines = lines
            .map((line) => JSON.parse(line) as JsonRecord)
            .filter((e) => e.streamId === wallet);
          expect(walletLines).to.have.length(3);
          expect(walletLines[2]!.metadata)
            .to.have.property('hash')
            .that.matches(/^[0-9a-f]{64}$/);

          const clean = await verifyExport(file);
          expect(clean.code, clean.stdout).to.equal(0);
          expect(clean.stdout).to.include(`${lines.length} events in`);
          expect(clean.stdout).to.include('every chain intact');

          // NDJSON is not one JSON document: read the body as text.
          const ndjson = (path: string) =>
            fetch(`${cambio.baseUrl}${path}`, {
              headers: { authorization: `Bearer ${auditorToken}` },
            });
          const api = await ndjson('/api/audit/export');
          expect(api.status).to.equal(200);
          expect(api.headers.get('content-type')).to.match(/^application\/x-ndjson/);
          expect(await api.text()).to.equal(run.stdout);
          const one = await ndjson(`/api/audit/export?stream=${wallet}`);
          expect((await one.text()).trim().split('\n')).to.have.length(3);
          const refused = await client.get<JsonRecord>('/api/audit/export?from=0', {
            token: auditorToken,
          });
          expect(refused.status).to.equal(400);
          const forbidden = await client.get<JsonRecord>('/api/audit/export', {
            token: trader.token,
          });
          expect(forbidden.status).to.equal(403);

          // One byte of the export: the standalone check names the stream and revision.
          writeFileSync(file, run.stdout.replace(/"amount":"50"/, '"amount":"70"'));
          const edited = await verifyExport(file);
          expect(edited.code, edited.stdout).to.equal(1);
          expect(edited.stdout).to.include(
            `BROKEN ${wallet} revision 1: content does not match its hash`,
          );

          // The one-line recipe of AUDIT.md, where jq is installed.
          const jq = spawnSync('jq', ['--version']);
          if (jq.status !== 0) {
            console.log('      (jq is not installed: the jq recipe of AUDIT.md was not checked)');
          } else {
            const line = lines.find((l) => l.includes(wallet))!;
            const recipe = spawnSync(
              'sh',
              [
                '-c',
                `jq -cjS '{streamId,id,type,data,metadata:(.metadata|del(.hash))}' | sha256sum`,
              ],
              { input: line, encoding: 'utf8' },
            );
            expect(recipe.stdout.split(' ')[0]).to.equal(
              (JSON.parse(line) as { metadata: { hash: string } }).metadata.hash,
            );
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });

    describe('erasure by crypto-shredding', () => {
      const allAuditEvents = async (): Promise<string> => {
        let text = '';
        for (let after = '0'; ;) {
          const page = await audit(`/api/audit/events?after=${after}&limit=500`);
          expect(page.status, page.text).to.equal(200);
          const events = page.body.events as JsonRecord[];
          if (events.length === 0) return text;
          text += page.text;
          after = page.body.next as string;
        }
      };
      const userDocuments = async (): Promise<string> => {
        const readStore = new SqliteReadStore({ file: join(cambio.dataDir, 'read.sqlite') });
        try {
          const found = [];
          for (const generation of [1, 2, 3]) {
            found.push(
              ...(await readStore
                .find(`users_g${generation}`, { order: 'asc', limit: 1000 })
                .catch(() => [])),
            );
          }
          return JSON.stringify(found.map(({ doc }) => doc));
        } finally {
          await readStore.close();
        }
      };

      it('stores names and addresses encrypted; after forget nothing shows them, and the log still verifies and reconciles', async () => {
        const person = { name: 'Zelda', lastName: 'Quixotewright' };
        const forgotten = await registerAndLogin(client, cambio.outboxDir, person);
        const deposit = await client.post<WalletAnswer>(
          '/api/user/wallet/deposit',
          { amount: '10' },
          { token: forgotten.token },
        );
        expect(deposit.status, deposit.text).to.equal(200);
        const secrets = [forgotten.mail, person.name, person.lastName];
        const leaks = (text: string) => secrets.filter((secret) => text.includes(secret));

        // At rest, before any erasure: the stored events hold ciphertext only.
        const before = await cli('audit', 'export');
        expect(leaks(before.stdout)).to.deep.equal([]);
        expect(before.stdout).to.match(/"mail":"pd1:/);
        // Readers with the key see the data.
        expect(await allAuditEvents()).to.include(forgotten.mail);

        const forget = await cli('users', 'forget', forgotten.mail);
        expect(forget.code, forget.stdout + forget.stderr).to.equal(0);
        expect(forget.stdout).to.include(`for account ${forgotten.userId}`);

        const me = await eventually('the profile erased', async () => {
          const answer = await client.get<JsonRecord>('/api/user/me', { token: forgotten.token });
          return answer.body.mail === '[erased]' ? answer : undefined;
        });
        expect(me.body).to.deep.include({ name: '[erased]', lastName: '[erased]' });
        expect(leaks(me.text)).to.deep.equal([]);
        expect(leaks(await allAuditEvents())).to.deep.equal([]);
        const registration = await audit(
          `/api/audit/streams/registration-${createHash('sha256').update(forgotten.mail).digest('hex').slice(0, 40)}`,
        );
        expect(registration.text).to.include('"mail":"[erased]"');
        expect(registration.text).to.include('PersonalDataErased');
        expect(leaks(registration.text)).to.deep.equal([]);
        const after = await cli('audit', 'export');
        expect(leaks(after.stdout)).to.deep.equal([]);
        const api = await fetch(`${cambio.baseUrl}/api/audit/export`, {
          headers: { authorization: `Bearer ${auditorToken}` },
        });
        expect(leaks(await api.text())).to.deep.equal([]);
        expect(leaks(await userDocuments())).to.deep.equal([]);
        // A rebuild from the log cannot bring them back either.
        const rebuilt = await cli('projections', 'rebuild');
        expect(rebuilt.code, rebuilt.stderr).to.equal(0);
        expect(leaks(await userDocuments())).to.deep.equal([]);

        // The money stays, and so does every proof.
        const wallet = await audit(`/api/audit/wallets/${forgotten.userId}`);
        expect(wallet.body).to.deep.include({ balances: { USD: '10' }, problems: [] });
        const verify = await cli('audit', 'verify');
        expect(verify.code, verify.stdout).to.equal(0);
        const reconcile = await cli('audit', 'reconcile');
        expect(reconcile.code, reconcile.stdout).to.equal(0);

        // The credentials went with the key; the address stays taken, and nothing fails.
        const login = await client.post('/api/user/login', {
          mail: forgotten.mail,
          password: forgotten.password,
        });
        expect(login.status).to.equal(401);
        const again = await client.post('/api/user/register', {
          ...person,
          mail: forgotten.mail,
          password: 'another password',
        });
        expect(again.status, again.text).to.be.oneOf([200, 409]);
      });

      it('lets an admin erase over HTTP; an unknown address is 404', async () => {
        const person = await registerAndLogin(client, cambio.outboxDir, {
          name: 'Yorick',
          lastName: 'Erasmus',
        });
        const erased = await client.post<JsonRecord>(
          '/api/admin/erasures',
          { mail: person.mail },
          { token: auditorToken },
        );
        expect(erased.status, erased.text).to.equal(200);
        expect(erased.body).to.deep.include({ userId: person.userId, erased: true });
        expect(erased.text).to.not.include(person.mail);
        const me = await eventually('the profile erased', async () => {
          const answer = await client.get<JsonRecord>('/api/user/me', { token: person.token });
          return answer.body.name === '[erased]' ? answer : undefined;
        });
        expect(me.text).to.not.include('Yorick');
        const unknown = await client.post<JsonRecord>(
          '/api/admin/erasures',
          { mail: 'nobody-here@example.com' },
          { token: auditorToken },
        );
        expect(unknown.status).to.equal(404);
        const forbidden = await client.post<JsonRecord>(
          '/api/admin/erasures',
          { mail: person.mail },
          { token: trader.token },
        );
        expect(forbidden.status).to.equal(403);
      });
    });

    describe('event names and versions', () => {
      it('records a sign-up as UserRegistered (schema 2) and reads a version 1 log through the upcaster', async () => {
        const newcomer = await registerAndLogin(client, cambio.outboxDir, { name: 'Nova' });
        const signUpStream = `registration-${createHash('sha256').update(newcomer.mail).digest('hex').slice(0, 40)}`;
        const stream = await audit(`/api/audit/streams/${signUpStream}`);
        const types = (stream.body.events as { type: string; metadata: JsonRecord }[]).map((e) => [
          e.type,
          e.metadata.schemaVersion,
        ]);
        expect(types).to.deep.include(['UserRegistered', 2]);
        expect(types.map(([type]) => type)).to.not.include('RegistrationCompleted');

        // A log written by version 1, appended as that version wrote it.
        const legacy = readStoredEvents('user-events-v1.ndjson');
        const raw = await store.openRaw(cambio.dataDir);
        try {
          await appendStoredEvents(raw, legacy);
        } finally {
          await raw.close();
        }
        const userId = legacy.find((line) => line.type === 'RegistrationCompleted')!.data
          .userId as string;
        const session = await login(client, 'legacy-ada@example.com', 'old horse battery');
        expect(session.userId).to.equal(userId);
        const me = await eventually('the legacy profile', async () => {
          const answer = await client.get<JsonRecord>('/api/user/me', { token: session.token });
          return answer.status === 200 ? answer : undefined;
        });
        expect(me.body).to.deep.include({
          name: 'Ada',
          lastName: 'Legacy',
          roles: ['user', 'auditor'],
        });
        const balance = await client.get<JsonRecord>('/api/user/wallet/balance', {
          token: session.token,
        });
        expect(balance.body).to.deep.equal({ USD: '25.5' });

        // The account stream opened by version 1 takes a new grant on top.
        const granted = await cli('users', 'grant-role', 'legacy-ada@example.com', 'admin');
        expect(granted.code, granted.stderr).to.equal(0);
        expect(granted.stdout).to.include('user, auditor, admin');
        const verify = await cli('audit', 'verify');
        expect(verify.code, verify.stdout).to.equal(0);
        expect(verify.stdout).to.include(
          `legacy user-${userId}: 3 events written before the hash chain (sealed`,
        );
        expect(verify.stdout).to.include(
          `legacy wallet-${userId}: 1 events written before the hash chain (not sealed yet)`,
        );
      });
    });
  });
}
