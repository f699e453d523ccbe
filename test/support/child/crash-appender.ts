/**
 * Child process for the crash test: appends forever until it is killed. It keeps one append
 * in flight on each of a few streams (so group commit batches them), each a batch of 1–5
 * events. A stream's first append of a run continues it wherever the last run left it
 * (expected 'any'), later ones name the exact revision. Every acknowledged event is reported
 * with its data as `acked {"stream","id","type","data"}`, only after `append` resolved.
 * Usage: crash-appender.ts --store <file or postgres:// URL> --writer <name> [--streams <n>]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { ExpectedRevision } from '../../../ports/event-store.ts';
import { openStoreAt } from '../event-store-targets.ts';
import { report } from './child-process.ts';
import { testEvent } from './test-events.ts';

const { values } = parseArgs({
  options: {
    store: { type: 'string' },
    writer: { type: 'string' },
    streams: { type: 'string', default: '6' },
  },
});
if (!values.store || !values.writer) throw new Error('usage: --store <location> --writer <name>');
const { writer } = values;

const store = await openStoreAt(values.store);
process.stdout.write('ready\n');

let batches = 0;
const appendForever = async (stream: string) => {
  let expectedRevision: ExpectedRevision = 'any';
  for (;;) {
    batches += 1;
    const batch = `${writer}-${process.pid}-${batches}`;
    const size = 1 + (batches % 5);
    const events = Array.from({ length: size }, (_, index) =>
      testEvent('Crashed', {
        batch,
        index,
        size,
        payload: randomBytes(16 + index * 40).toString('base64'),
      }),
    );
    const result = await store.append(stream, events, { expectedRevision });
    expectedRevision = result.nextExpectedRevision;
    for (const { id, type, data } of events) report('acked', { stream, id, type, data });
  }
};

await Promise.all(
  Array.from({ length: Number(values.streams) }, (_, index) =>
    appendForever(`crash-${writer}-${index}`),
  ),
);
