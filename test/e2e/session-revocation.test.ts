import { expect } from 'chai';
import { CambioProcess } from '../support/cambio-process.ts';
import {
  httpClient,
  login,
  registerAndLogin,
  sleep,
  type HttpClient,
  type NewUser,
  type Problem,
  type TokenPair,
} from '../support/http-client.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../support/nats-server.ts';
import { connect, type TestClient } from '../read-api/websocket/harness.ts';

/** What the issue promises: a session ends on every replica within a second. */
const WITHIN_MS = 1000;

/**
 * Two processes: `all` (event store, projector, write-api, read-api) and a second read-api
 * that has no event store and learns of revocations from the read store the projector fills.
 */
describe('e2e: sessions end everywhere within a second', function () {
  this.timeout(120_000);
  let nats: PrivateNatsServer;
  let main: CambioProcess;
  let replica: CambioProcess;
  let onMain: HttpClient;
  let onReplica: HttpClient;
  let user: NewUser;
  const sockets: TestClient[] = [];

  before(async function () {
    const missing = natsServerUnavailableReason();
    if (missing !== null) {
      console.log(`    skipped: ${missing}`);
      this.skip();
    }
    nats = await startPrivateNatsServer();
    const bus = ['--bus', 'nats', '--nats-url', nats.url];
    main = await CambioProcess.start({ args: bus });
    replica = await CambioProcess.start({
      dataDir: main.dataDir,
      args: ['--role', 'read-api', ...bus],
    });
    onMain = httpClient(() => main.baseUrl);
    onReplica = httpClient(() => replica.baseUrl);
    user = await registerAndLogin(onMain, main.outboxDir);
  });

  afterEach(async function () {
    for (const socket of sockets.splice(0)) await socket.close();
    if (this.currentTest?.state === 'failed') {
      console.log(main.tail(40));
      console.log(replica.tail(40));
    }
  });

  after(async function () {
    await replica?.cleanup();
    await main?.cleanup();
    await nats?.dispose();
  });

  const balance = (client: HttpClient, token: string) =>
    client.get<Problem>('/api/user/wallet/balance', { token });

  /** Milliseconds until `token` is refused on both processes, failing after `WITHIN_MS`. */
  const refusedEverywhere = async (token: string, since: number): Promise<number> => {
    for (;;) {
      const [a, b] = await Promise.all([balance(onMain, token), balance(onReplica, token)]);
      if (a.status === 401 && b.status === 401) {
        expect(b.body.detail).to.match(/session has ended/);
        return Date.now() - since;
      }
      if (Date.now() - since > WITHIN_MS) {
        throw new Error(
          `still accepted after ${WITHIN_MS} ms: main ${a.status}, replica ${b.status}`,
        );
      }
      await sleep(25);
    }
  };

  const walletSocket = async (baseUrl: string, token: string): Promise<TestClient> => {
    const socket = await connect(`${baseUrl.replace('http', 'ws')}/ws`, {
      protocols: ['cambio.v1', `bearer.${token}`],
    });
    sockets.push(socket);
    socket.send({ op: 'subscribe', channel: 'wallet', id: 1 });
    await socket.next((m) => m.type === 'subscribed', 'wallet subscription');
    return socket;
  };

  it('logout: the access token stops reading and writing on both processes, and their wallet sockets close with 4001', async function () {
    const session = await login(onMain, user.mail, user.password);
    const deposit = await onMain.post(
      '/api/user/wallet/deposit',
      { amount: '5' },
      {
        token: session.token,
      },
    );
    expect(deposit.status).to.equal(200);
    expect((await balance(onReplica, session.token)).status).to.equal(200);
    const socketOnMain = await walletSocket(main.baseUrl, session.token);
    const socketOnReplica = await walletSocket(replica.baseUrl, session.token);

    const loggedOutAt = Date.now();
    const out = await onMain.post('/api/user/logout', undefined, { token: session.token });
    expect(out.status).to.equal(204);
    const elapsed = await refusedEverywhere(session.token, loggedOutAt);
    console.log(`      refused on both processes ${elapsed} ms after the logout answered`);

    for (const socket of [socketOnMain, socketOnReplica]) {
      const closed = await Promise.race([socket.closed, sleep(WITHIN_MS).then(() => null)]);
      expect(closed, 'socket closed').to.deep.equal({ code: 4001, reason: 'session_revoked' });
    }
    const write = await onMain.post<Problem>(
      '/api/user/wallet/deposit',
      { amount: '1' },
      {
        token: session.token,
      },
    );
    expect(write.status).to.equal(401);
    // A new socket with the token is refused at the upgrade.
    let refused = false;
    await connect(`${replica.baseUrl.replace('http', 'ws')}/ws`, {
      protocols: ['cambio.v1', `bearer.${session.token}`],
    }).catch(() => (refused = true));
    expect(refused, 'upgrade refused').to.equal(true);
    // Another session of the same user is not affected.
    expect((await balance(onReplica, user.token)).status).to.equal(200);
  });

  it('a reused refresh token revokes the session: the newest access token stops working on both processes', async function () {
    const first = await login(onMain, user.mail, user.password);
    const rotated = await onMain.post<TokenPair>('/api/user/refresh', {
      refreshToken: first.refreshToken,
    });
    expect(rotated.status).to.equal(200);
    expect((await balance(onReplica, rotated.body.token)).status).to.equal(200);
    const reusedAt = Date.now();
    const reuse = await onMain.post<Problem>('/api/user/refresh', {
      refreshToken: first.refreshToken,
    });
    expect(reuse.status).to.equal(401);
    const elapsed = await refusedEverywhere(rotated.body.token, reusedAt);
    console.log(`      refused on both processes ${elapsed} ms after the reuse answered`);
  });

  it('survives restarts: a revoked token stays refused by restarted processes', async function () {
    const session = await login(onMain, user.mail, user.password);
    await onMain.post('/api/user/logout', undefined, { token: session.token });
    await refusedEverywhere(session.token, Date.now());
    await replica.restart();
    await main.restart();
    expect((await balance(onMain, session.token)).status).to.equal(401);
    expect((await balance(onReplica, session.token)).status).to.equal(401);
    expect((await balance(onReplica, user.token)).status).to.equal(200);
  });
});
