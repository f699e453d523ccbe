import { expect } from 'chai';
import { startDistributedSystem, type DistributedSystem } from './distributed-system.ts';
import { newcomerAcrossReplicas, type FlowResult } from './newcomer-across-replicas.ts';
import { httpClient, sleep, type TokenPair } from '../support/http-client.ts';
import { withdrawalsAcrossReplicas } from './withdrawals-across-replicas.ts';

describe('distributed deployment: every role its own process', function () {
  this.timeout(120_000);
  let system: DistributedSystem | undefined;
  let newcomer: FlowResult | undefined;

  before(async function () {
    const result = await startDistributedSystem();
    if (!result.started) {
      console.log(
        `\n      !!! SKIPPING the distributed deployment test: ${result.reason}\n` +
          '      !!! It needs nats-server, PostgreSQL on 127.0.0.1:5432 and FerretDB\n' +
          '      !!! (scripts/install-ferretdb.sh) or MONGODB_URL.\n',
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

  it('200 concurrent withdrawals of 1 USD from 100 USD over both write-api replicas: 100 accepted, balance 0', async function () {
    if (!system) throw new Error('not started');
    const result = await withdrawalsAcrossReplicas(system);
    console.log(
      `      accepted by write-api #1/#2: ${result.acceptedBy.join('/')}; refused ${JSON.stringify(result.refused)}`,
    );
    // Each replica gets half the requests; with commands batched per stream one replica may
    // drain the whole balance before the other decides, so only the total is fixed.
    expect(result.acceptedBy[0] + result.acceptedBy[1]).to.equal(100);
    // Every other one is refused: for lack of money, or (rarely) after losing the race too often.
    for (const refusal of Object.keys(result.refused)) {
      expect(refusal).to.be.oneOf(['422 insufficient_funds', '409 concurrent_modification']);
    }
    expect(result.balance).to.deep.equal({ USD: '0' });
  });

  it('no process keeps anything in its data directory that another one needs', function () {
    if (!system) throw new Error('not started');
    const contents = system.dataDirContents();
    for (const line of contents) console.log(`      ${line}`);
    // The write side's state is all in PostgreSQL: no event store file anywhere, and the
    // API and notifier processes write nothing at all (the secret comes from the environment).
    for (const line of contents) expect(line).not.to.match(/events\.sqlite/);
    for (const replica of [...system.writeApis, ...system.readApis, system.notifier]) {
      const line = contents.find((entry) => entry.startsWith(replica.name));
      expect(line, replica.name).to.match(/\(nothing\)$/);
    }
  });
});
