/**
 * Child process: opens the store, waits for `go`, runs concurrent withdrawals of 1 on
 * one stream, and reports `result {"succeeded":n,"refused":m}`.
 * Usage: withdraw-worker.ts --store <location> --stream <id> --commands <n> --actor <name>
 */
import { parseArgs } from 'node:util';
import { openStoreAt } from '../event-store-targets.ts';
import { readyThenWaitForGo, report } from './child-process.ts';
import { withdrawConcurrently } from './wallet-withdraw.ts';

const { values } = parseArgs({
  options: {
    store: { type: 'string' },
    stream: { type: 'string' },
    commands: { type: 'string' },
    actor: { type: 'string', default: 'child' },
  },
});
if (!values.store || !values.stream || !values.commands) {
  throw new Error('usage: --store <location> --stream <id> --commands <n> [--actor <name>]');
}

const store = await openStoreAt(values.store);
await readyThenWaitForGo();
const result = await withdrawConcurrently(
  store,
  values.stream,
  Number(values.commands),
  values.actor,
);
await store.close();
report('result', result);
process.exit(0);
