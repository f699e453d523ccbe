/**
 * Child process: opens the store file, waits for `go`, runs concurrent withdrawals of 1 on
 * one stream, and reports `result {"succeeded":n,"refused":m}`.
 * Usage: withdraw-worker.ts --file <db> --stream <id> --commands <n> --actor <name>
 */
import { parseArgs } from 'node:util';
import { SqliteEventStore } from '../../../infra/event-store/sqlite-event-store.ts';
import { readyThenWaitForGo, report } from './child-process.ts';
import { withdrawConcurrently } from './wallet-withdraw.ts';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    stream: { type: 'string' },
    commands: { type: 'string' },
    actor: { type: 'string', default: 'child' },
  },
});
if (!values.file || !values.stream || !values.commands) {
  throw new Error('usage: --file <db> --stream <id> --commands <n> [--actor <name>]');
}

const store = new SqliteEventStore({ file: values.file });
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
