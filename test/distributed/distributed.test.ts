import { expect } from 'chai';
import { startDistributedSystem, type DistributedSystem } from './distributed-system.ts';
import { newcomerAcrossReplicas } from './newcomer-across-replicas.ts';

describe('distributed deployment: every role its own process', function () {
  this.timeout(120_000);
  let system: DistributedSystem | undefined;

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
  });
});
