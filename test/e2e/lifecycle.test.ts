import { mkdirSync, mkdtempSync, rmSync, watch } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { embeddedFiles } from '../../infra/process/adapters.ts';
import { SqliteReadStore } from '../../infra/read-store/sqlite-read-store.ts';
import { MAIL_REQUESTS_CHECKPOINT } from '../../reactions/mail-requests.ts';
import { CambioProcess, runCambio } from '../support/cambio-process.ts';
import {
  eventually,
  httpClient,
  login,
  mailsTo,
  registerAndLogin,
  uniqueMail,
  verificationCode,
  type Balances,
  type HistoryEntry,
  type HistoryPage,
  type HttpClient,
  type JsonRecord,
  type NewUser,
  type WalletAnswer,
} from '../support/http-client.ts';

describe('e2e: process lifecycle', function () {
  this.timeout(90_000);

  describe('configuration errors', function () {
    let dataDir: string;
    before(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'cambio-e2e-config-'));
    });
    after(() => rmSync(dataDir, { recursive: true, force: true }));

    it('`cambio start --port abc` exits 2 and names the port setting', async function () {
      const run = await runCambio(['start', '--port', 'abc', '--data-dir', dataDir]);
      expect(run.code, run.stderr).to.equal(2);
      expect(run.stderr).to.include('"abc"');
      expect(run.stderr).to.include('--port');
      expect(run.stderr).to.include('PORT');
      expect(run.stderr).to.match(/port/);
      expect(run.stdout).not.to.include('listening');
    });

    it('PORT=abc in the environment exits 2 and names the port setting too', async function () {
      const run = await runCambio(['start', '--data-dir', dataDir], { PORT: 'abc' });
      expect(run.code, run.stderr).to.equal(2);
      expect(run.stderr).to.include('"abc"');
      expect(run.stderr).to.include('environment variable PORT');
      expect(run.stdout).not.to.include('listening');
    });

    it('other bad settings exit 2 naming theirs; a flag beats the environment', async function () {
      const [outOfRange, badTick, flagWins] = await Promise.all([
        runCambio(['start', '--port', '70000', '--data-dir', dataDir]),
        runCambio(['start', '--data-dir', dataDir], { RATES_TICK_MS: '1' }),
        runCambio(['start', '--port', 'xyz', '--data-dir', dataDir], { PORT: '0' }),
      ]);
      expect(outOfRange.code, outOfRange.stderr).to.equal(2);
      expect(outOfRange.stderr).to.include('--port');

      expect(badTick.code, badTick.stderr).to.equal(2);
      expect(badTick.stderr).to.include('RATES_TICK_MS');

      expect(flagWins.code).to.equal(2);
      expect(flagWins.stderr).to.include('flag --port');
    });
  });

  describe('SIGTERM during a request', function () {
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

    it('lets the request in flight finish with 200, refuses new connections, and exits 0', async function () {
      const body = Buffer.from(JSON.stringify({ amount: '42.50' }));
      const half = Math.floor(body.length / 2);
      let answered: (value: { status: number; body: string }) => void = () => {};
      const answer = new Promise<{ status: number; body: string }>((resolve) => {
        answered = resolve;
      });
      const req = httpRequest({
        host: '127.0.0.1',
        port: cambio.port,
        path: '/api/user/wallet/deposit',
        method: 'POST',
        // One connection for this request only: an idle keep-alive socket left after the answer
        // would hold the shutdown until the client's keep-alive timeout.
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          authorization: `Bearer ${user.token}`,
          // The server answers 100 Continue once it has the headers: proof the request is in flight.
          expect: '100-continue',
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => answered({ status: res.statusCode ?? 0, body: text }));
      });
      const failed = new Promise<never>((_resolve, reject) => req.on('error', reject));
      await Promise.race([new Promise<void>((resolve) => req.once('continue', resolve)), failed]);
      req.write(body.subarray(0, half));

      cambio.kill('SIGTERM');
      // The HTTP server closes right after the websocket server: from then on, no new connections.
      await cambio.waitForLog(
        (line) => line.msg === 'closed' && line.resource === 'websocket server',
      );
      // A new TCP connection (not one of fetch's pooled keep-alive sockets) is refused.
      const refused = await new Promise<string>((resolve) => {
        const socket = connect(cambio.port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      expect(refused).to.equal('ECONNREFUSED');

      req.end(body.subarray(half));
      const response = await Promise.race([answer, failed]);
      expect(response.status, response.body).to.equal(200);
      const deposit = JSON.parse(response.body) as WalletAnswer;
      expect(deposit.event.type).to.equal('FundsDeposited');
      expect(deposit.balances).to.deep.equal({ USD: '42.5' });

      const exit = await cambio.waitForExit();
      expect(exit).to.deep.equal({ code: 0, signal: null });
      expect(cambio.logs().some((line) => line.msg === 'stopped')).to.equal(true);
      expect(cambio.logs().some((line) => line.msg === 'failed to close')).to.equal(false);

      // The answered deposit was committed: a restart on the same data dir shows it.
      await cambio.restart();
      const again = await login(client, user.mail, user.password);
      const balance = await client.get<Balances>('/api/user/wallet/balance', {
        token: again.token,
        headers: { 'X-Min-Position': deposit.position },
      });
      expect(balance.body).to.deep.equal({ USD: '42.5' });
    });
  });

  describe('SIGKILL between a registration and its mail', function () {
    let cambio: CambioProcess;
    let client: HttpClient;
    const person = (mail: string) => ({
      name: 'Kim',
      lastName: 'Kill',
      mail,
      password: 'password 123',
    });

    before(async function () {
      cambio = await CambioProcess.start();
      client = httpClient(() => cambio.baseUrl);
      // The watch below needs the folder before the first mail.
      mkdirSync(cambio.outboxDir, { recursive: true });
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed') console.log(cambio.tail(40));
    });

    after(async function () {
      await cambio?.cleanup();
    });

    /** Where the mail reaction stands, read from the read store of the stopped server. */
    const mailCheckpoint = async (): Promise<bigint> => {
      const store = new SqliteReadStore({ file: embeddedFiles(cambio.dataDir).readStore });
      try {
        return (await store.getCheckpoint(MAIL_REQUESTS_CHECKPOINT)) ?? 0n;
      } finally {
        await store.close();
      }
    };

    /** Registers another address and waits for its mail: the reaction has passed all before it. */
    const barrier = async () => {
      const mail = uniqueMail('barrier');
      const response = await client.post('/api/user/register', person(mail));
      expect(response.status, response.text).to.equal(200);
      await verificationCode(cambio.outboxDir, mail);
      return mail;
    };

    const expectExactlyOneMail = async (mail: string, why: string) => {
      const mails = await mailsTo(cambio.outboxDir, mail);
      expect(mails.length, `${why}: mails to ${mail}`).to.equal(1);
      expect(mails[0]?.code).to.match(/^\d{6}$/);
    };

    it('killed as soon as the registration is acknowledged: the mail comes once after a restart', async function () {
      // The reaction usually has not run yet when the answer arrives; when it has, try again
      // (that other window is the next test's).
      for (let attempt = 1; attempt <= 5; attempt++) {
        const mail = uniqueMail('acked');
        const position = await new Promise<bigint>((resolve, reject) => {
          const body = JSON.stringify(person(mail));
          const req = httpRequest(
            {
              host: '127.0.0.1',
              port: cambio.port,
              path: '/api/user/register',
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(body),
              },
            },
            (res) => {
              cambio.kill('SIGKILL');
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => (text += chunk));
              res.on('end', () => {
                try {
                  expect(res.statusCode, text).to.equal(200);
                  resolve(BigInt((JSON.parse(text) as JsonRecord).position as string));
                } catch (error) {
                  reject(error as Error);
                }
              });
            },
          );
          req.on('error', reject);
          req.end(body);
        });
        expect(await cambio.waitForExit()).to.deep.equal({ code: null, signal: 'SIGKILL' });
        const mailedBeforeKill = (await mailsTo(cambio.outboxDir, mail)).length;
        const checkpoint = await mailCheckpoint();
        await cambio.restart();
        await barrier();
        await expectExactlyOneMail(
          mail,
          `attempt ${attempt} (mailed before the kill: ${mailedBeforeKill}, checkpoint ${checkpoint}, event ${position})`,
        );
        if (mailedBeforeKill === 0 && checkpoint < position) return;
      }
      console.log(
        '    (no attempt caught the reaction before it ran; each attempt still got its mail once)',
      );
    });

    it('killed while the mail is being written: the mail comes once after a restart, and stays once', async function () {
      const mail = uniqueMail('writing');
      let trigger: string | null = null;
      // The first file to appear in the outbox (the mailer's temp file) pulls the trigger.
      const watcher = watch(cambio.outboxDir, (_event, name) => {
        if (trigger !== null) return;
        trigger = String(name);
        cambio.kill('SIGKILL');
      });
      let position: bigint;
      try {
        const response = await client.post('/api/user/register', person(mail));
        expect(response.status, response.text).to.equal(200);
        position = BigInt(response.body.position as string);
        await eventually('the mail write to start', async () =>
          trigger === null ? undefined : true,
        );
        await cambio.waitForExit();
      } finally {
        watcher.close();
      }
      const mailedBeforeKill = (await mailsTo(cambio.outboxDir, mail)).length;
      expect(mailedBeforeKill, `killed at ${trigger}, before the mail was complete`).to.equal(0);
      const checkpoint = await mailCheckpoint();
      const state = `the mail reaction's checkpoint was ${checkpoint}, the registration event at ${position}`;

      await cambio.restart();
      const first = await barrier();
      await expectExactlyOneMail(
        mail,
        `after a restart (${state}; a checkpoint at or past the event means the request was handed to the in-memory bus and then lost)`,
      );

      await cambio.restart();
      const second = await barrier();
      await expectExactlyOneMail(mail, 'after another restart');
      await expectExactlyOneMail(first, 'the first barrier, after another restart');
      await expectExactlyOneMail(second, 'the second barrier');
    });
  });

  describe('cambio projections rebuild', function () {
    let cambio: CambioProcess;
    let client: HttpClient;
    let users: NewUser[];
    let lastPosition = '0';

    before(async function () {
      cambio = await CambioProcess.start();
      client = httpClient(() => cambio.baseUrl);
      users = await Promise.all([
        registerAndLogin(client, cambio.outboxDir),
        registerAndLogin(client, cambio.outboxDir),
      ]);
      const post = async (user: NewUser, path: string, body: JsonRecord) => {
        const answer = await eventually(`${path} with fresh rates`, async () => {
          const response = await client.post<WalletAnswer>(path, body, { token: user.token });
          return response.status === 503 ? undefined : response;
        });
        expect(answer.status, answer.text).to.equal(200);
        if (BigInt(answer.body.position) > BigInt(lastPosition))
          lastPosition = answer.body.position;
      };
      for (const [index, user] of users.entries()) {
        await post(user, '/api/user/wallet/deposit', { amount: `${100 + index}.25` });
        await post(user, '/api/user/wallet/buy', { currency: 'BTC', amount: '0.0002' });
        await post(user, '/api/user/wallet/buy', { currency: 'ETH', amount: '0.003' });
        await post(user, '/api/user/wallet/sell', { currency: 'BTC', amount: '0.0001' });
        await post(user, '/api/user/wallet/withdraw', { amount: '3' });
        for (let i = 0; i < 4; i++)
          await post(user, '/api/user/wallet/deposit', { amount: `0.0${i + 1}` });
      }
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed') console.log(cambio.tail(40));
    });

    after(async function () {
      await cambio?.cleanup();
    });

    /** Every read model a user sees: profile, balances and the whole history, page by page. */
    const snapshot = async (user: NewUser) => {
      const headers = { 'X-Min-Position': lastPosition };
      const me = await client.get('/api/user/me', { token: user.token, headers });
      const balance = await client.get<Balances>('/api/user/wallet/balance', {
        token: user.token,
        headers,
      });
      const history: HistoryEntry[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '?limit=3' : `?limit=3&cursor=${cursor}`;
        const page = await client.get<HistoryPage>(`/api/user/wallet/history${query}`, {
          token: user.token,
          headers,
        });
        expect(page.status, page.text).to.equal(200);
        history.push(...page.body.entries);
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      expect(me.status).to.equal(200);
      expect(balance.status).to.equal(200);
      return { me: me.body, balance: balance.body, history };
    };

    it('leaves balances and history identical, served live and after a restart', async function () {
      const before = await Promise.all(users.map(snapshot));
      expect(before[0]?.history).to.have.length(9);

      const rebuild = await runCambio(['projections', 'rebuild', '--data-dir', cambio.dataDir]);
      if (rebuild.code !== 0 && /unknown command/.test(rebuild.stderr)) {
        console.log(`    'cambio projections rebuild' is not available: ${rebuild.stderr.trim()}`);
        this.skip();
      }
      expect(rebuild.code, `${rebuild.stdout}\n${rebuild.stderr}`).to.equal(0);
      expect(rebuild.stdout).to.match(/generation \d+ is active/);

      // The running server follows the switch to the rebuilt generation.
      const live = await Promise.all(users.map(snapshot));
      expect(live).to.deep.equal(before);

      // And commands keep projecting after the switch.
      const user = users[0] as NewUser;
      const deposit = await client.post<WalletAnswer>(
        '/api/user/wallet/deposit',
        { amount: '1' },
        { token: user.token },
      );
      expect(deposit.status).to.equal(200);
      lastPosition = deposit.body.position;
      const afterDeposit = await snapshot(user);
      expect(afterDeposit.balance).to.deep.equal(deposit.body.balances);
      expect(afterDeposit.history.slice(1)).to.deep.equal(before[0]?.history);

      await cambio.restart();
      for (const u of users) u.token = (await login(client, u.mail, u.password)).token;
      const restarted = await Promise.all(users.map(snapshot));
      expect(restarted[1]).to.deep.equal(before[1]);
      expect(restarted[0]).to.deep.equal(afterDeposit);

      const status = await runCambio(['projections', 'status', '--data-dir', cambio.dataDir]);
      expect(status.code, status.stderr).to.equal(0);
    });
  });
});
