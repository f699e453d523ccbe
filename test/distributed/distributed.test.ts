import { expect } from 'chai';
import { startDistributedSystem, type DistributedSystem } from './distributed-system.ts';
import { newcomerAcrossReplicas, type FlowResult } from './newcomer-across-replicas.ts';
import { httpClient, sleep, type TokenPair } from '../support/http-client.ts';

describe('distributed deployment: every role its own process', function () {
  this.timeout(120_000);
  let system: DistributedSystem | undefined;
  let newcomer: FlowResult | undefined;

  before(async function () {
    const result = await startDistributedSystem();
    if (!result.started) {
      console.log(
        `\n      !!! SKIPPING the distributed deployment test: ${result.reason}\n` +
          '      !!! It needs nats-server and FerretDB (scripts/install-ferretdb.sh) or MONGODB_URL.\n',
      );
      this.skip();
    }
    system = result.system;
    for (const line of system.describe()) console.log(`      ${line}`);
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed' || !system) return;
    const replicas = [...system.writeApis, ...system.readApis, system.projector, system.notifier];
    for (const replica of replicas) {
      console.log(`--- ${replica.name} ---\n${replica.process.tail(30)}`);
    }
  });

  after(async function () {
    await system?.stop();
  });

  it('a newcomer registers, verifies, deposits, buys and reads back through alternating replicas', async function () {
    if (!system) throw new Error('not started');
    const result = await newcomerAcrossReplicas(system, (line) => console.log(`      ${line}`));
    expect(result.balances.BTC).to.equal('0.001');
    newcomer = result;
  });

  it('a logout on one write-api ends the session on every replica within a second', async function () {
    if (!system || !newcomer) throw new Error('needs the newcomer of the test before');
    const [write1, write2] = system.writeApis;
    const session = await httpClient(write2.process.baseUrl).post<TokenPair>('/api/user/login', {
      mail: newcomer.mail,
      password: 'a long enough password',
    });
    expect(session.status, session.text).to.equal(200);
    const token = session.body.token;
    const probes = [
      ...system.readApis.map((r) => [r, '/api/user/wallet/balance'] as const),
      ...system.writeApis.map((r) => [r, '/api/audit/events'] as const),
    ];
    const statuses = () =>
      Promise.all(
        probes.map(async ([replica, path]) => {
          const answer = await httpClient(replica.process.baseUrl).get(path, { token });
          return answer.status;
        }),
      );
    // Authenticated everywhere first (the audit route then refuses the plain user with 403).
    expect(await statuses()).to.deep.equal([200, 200, 403, 403]);
    const loggedOut = Date.now();
    const out = await httpClient(write1.process.baseUrl).post('/api/user/logout', undefined, {
      token,
    });
    expect(out.status).to.equal(204);
    for (;;) {
      const now = await statuses();
      if (now.every((status) => status === 401)) break;
      if (Date.now() - loggedOut > 1000) throw new Error(`still accepted after 1 s: ${now.join()}`);
      await sleep(25);
    }
    console.log(
      `      refused by all 4 API replicas ${Date.now() - loggedOut} ms after the logout`,
    );
  });
});
