/**
 * `npm run e2e:distributed`: starts the distributed deployment as separate processes (two
 * write-api, two read-api, a projector, a notifier) against a shared event store file,
 * FerretDB, a private NATS and an in-process SMTP server, runs the newcomer flow through the
 * replicas alternately, prints which server did what, and stops everything.
 * Exit 0: passed; 1: failed; 3: could not run here (the reason is printed).
 */
import { startDistributedSystem } from '../test/distributed/distributed-system.ts';
import { newcomerAcrossReplicas } from '../test/distributed/newcomer-across-replicas.ts';

const EXIT_NOT_RUN = 3;

const print = (line: string) => process.stdout.write(`${line}\n`);

const started = Date.now();
const result = await startDistributedSystem();
if (!result.started) {
  process.stderr.write(
    `e2e:distributed NOT RUN: ${result.reason}\n` +
      'It needs nats-server on PATH and FerretDB (scripts/install-ferretdb.sh) or MONGODB_URL.\n',
  );
  process.exit(EXIT_NOT_RUN);
}
const { system } = result;
print(`started in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
for (const line of system.describe()) print(`  ${line}`);
print('newcomer flow:');
try {
  const flow = await newcomerAcrossReplicas(system, (line) => print(`  ${line}`));
  print(`passed: ${flow.steps} steps for ${flow.mail}; wallet ${JSON.stringify(flow.balances)}`);
  print(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  process.stderr.write(
    `e2e:distributed FAILED: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  const replicas = [...system.writeApis, ...system.readApis, system.projector, system.notifier];
  for (const replica of replicas) {
    process.stderr.write(`--- ${replica.name} ---\n${replica.process.tail(30)}\n`);
  }
  process.exitCode = 1;
} finally {
  await system.stop();
}
process.exit(process.exitCode ?? 0);
