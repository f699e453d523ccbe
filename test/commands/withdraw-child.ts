/**
 * Child process: opens the event store file, says `ready`, waits for `go`, runs concurrent
 * withdrawals of 1 USD from one wallet and reports `tally {...}`.
 * Usage: withdraw-child.ts --file <events.sqlite> --user <id> --count <n>
 */
import { parseArgs } from 'node:util';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { readyThenWaitForGo, report } from '../support/child/child-process.ts';
import { withdrawMany } from './withdraw-many.ts';

const { values } = parseArgs({
  options: { file: { type: 'string' }, user: { type: 'string' }, count: { type: 'string' } },
});
if (!values.file || !values.user || !values.count) {
  throw new Error('usage: --file <events.sqlite> --user <id> --count <n>');
}

const store = await SqliteEventStore.open({ file: values.file });
await readyThenWaitForGo();
const tally = await withdrawMany(store, values.user, Number(values.count));
await store.close();
report('tally', tally);
process.exit(0);
