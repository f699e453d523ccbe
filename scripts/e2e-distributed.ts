/**
 * `npm run e2e:distributed`: starts the distributed deployment as separate processes (two
 * write-api, two read-api, a projector, a notifier), each with its own data directory,
 * against PostgreSQL (the event store), FerretDB, a private NATS and an in-process SMTP
 * server; runs the newcomer flow through the replicas alternately and 200 concurrent
 * withdrawals over both write-api replicas, prints which server did what and what each
 * process kept on disk, and stops everything.
 * Exit 0: passed; 1: failed; 3: could not run here (the reason is printed).
 */
import { startDistributedSystem } from '../test/distributed/distributed-system.ts';
import { newcomerAcrossReplicas } from '../test/distributed/newcomer-across-replicas.ts';
import { withdrawalsAcrossReplicas } from '../test/distributed/withdrawals-across-replicas.ts';

const EXIT_NOT_RUN = 3;

const print = (line: string) => process.stdout.write(`${line}\n`);

const started = Date.now();
const result = await startDistributedSystem();
if (!result.started) {
  process.stderr.write(
    `e2e:distributed NOT RUN: ${result.reason}\n` +
      'It needs nats-server on PATH, PostgreSQL on 127.0.0.1:5432 (or POSTGRES_TEST_URL) and\n' +
      'FerretDB (scripts/install-ferretdb.sh) or MONGODB_URL.\n',
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
  print('200 concurrent withdrawals of 1 USD from 100 USD over both write-api replicas:');
  const withdrawals = await withdrawalsAcrossReplicas(system);
  const accepted = withdrawals.acceptedBy[0] + withdrawals.acceptedBy[1];
  print(
    `  accepted ${accepted} (write-api #1 ${withdrawals.acceptedBy[0]}, #2 ${withdrawals.acceptedBy[1]}); ` +
      `refused ${JSON.stringify(withdrawals.refused)}; balance ${JSON.stringify(withdrawals.balance)}`,
  );
  if (accepted !== 100 || withdrawals.balance.USD !== '0') {
    throw new Error('expected exactly 100 accepted withdrawals and a balance of 0');
  }
  print('what each process keeps in its own data directory:');
  for (const line of system.dataDirContents()) print(`  ${line}`);
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
