/**
 * Child process: opens the store, waits for `go`, then runs `--concurrency` loops that
 * together make `--appends` appends. Each append is a batch of 1–3 events, alternately to a
 * stream shared with other processes (read its revision, append at it, re-read on conflict)
 * and to this writer's own stream (expected 'any'). Reports every acknowledged event as
 * `acked {"stream","id","batch","index","size"}` and finally `done {}`.
 * Usage: append-worker.ts --store <location> --writer <name> --shared <stream> --appends <n> --concurrency <n>
 */
import { parseArgs } from 'node:util';
import { WrongExpectedRevisionError, type ExpectedRevision } from '../../../ports/event-store.ts';
import { openStoreAt } from '../event-store-targets.ts';
import { readyThenWaitForGo, report } from './child-process.ts';
import { testEvent } from './test-events.ts';

const { values } = parseArgs({
  options: {
    store: { type: 'string' },
    writer: { type: 'string' },
    shared: { type: 'string' },
    appends: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
  },
});
if (!values.store || !values.writer || !values.shared || !values.appends) {
  throw new Error('usage: --store <location> --writer <name> --shared <stream> --appends <n>');
}
const { writer, shared } = values;
const own = `writer-${writer}`;

const store = await openStoreAt(values.store);
await readyThenWaitForGo();

let next = 0;
const total = Number(values.appends);

const appendOnce = async (sequence: number) => {
  const size = (sequence % 3) + 1;
  const batch = `${writer}-${sequence}`;
  const stream = sequence % 2 === 0 ? shared : own;
  const events = Array.from({ length: size }, (_, index) =>
    testEvent('Appended', { writer, batch, index, size }, writer),
  );
  for (;;) {
    let expectedRevision: ExpectedRevision = 'any';
    if (stream === shared) {
      const last = (await store.readStream(stream)).at(-1);
      expectedRevision = last ? last.revision : 'no_stream';
    }
    try {
      await store.append(stream, events, { expectedRevision });
      break;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
  }
  events.forEach(({ id }, index) => report('acked', { stream, id, batch, index, size }));
};

await Promise.all(
  Array.from({ length: Number(values.concurrency) }, async () => {
    while (next < total) await appendOnce(next++);
  }),
);
await store.close();
report('done', {});
process.exit(0);
