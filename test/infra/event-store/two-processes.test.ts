/**
 * Two OS processes append to the same store at the same time, to a shared stream (with
 * optimistic concurrency) and to their own streams, while this process follows the log.
 */
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { EventStore, RecordedEvent } from '../../../ports/event-store.ts';
import { parseReport, spawnChild, type ChildHandle } from '../../support/child/child-process.ts';
import { describeEachStore, openStoreAt } from '../../support/event-store-targets.ts';

const worker = fileURLToPath(new URL('../../support/child/append-worker.ts', import.meta.url));

interface Acked {
  stream: string;
  id: string;
  batch: string;
  index: number;
  size: number;
}

const readWholeLog = async (store: EventStore): Promise<RecordedEvent[]> => {
  const log: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: log.at(-1)?.position ?? 0n, maxCount: 1000 });
    if (page.length === 0) return log;
    log.push(...page);
  }
};

describeEachStore('event store shared by two processes', (target) => {
  let children: ChildHandle[] = [];

  afterEach(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await Promise.all(children.map((child) => child.exited));
    children = [];
  });

  it('ends with a complete log: contiguous revisions, no duplicates, whole batches', async function () {
    this.timeout(120_000);
    const { location } = target();
    const appendsPerWriter = 150;
    const store = await openStoreAt(location, { pollIntervalMs: 10 });
    try {
      const followed: RecordedEvent[] = [];
      const subscription = store.subscribeToAll();
      const following = (async () => {
        for await (const recorded of subscription) followed.push(recorded);
      })();

      children = ['a', 'b'].map((writer) =>
        spawnChild(worker, [
          '--store',
          location,
          '--writer',
          writer,
          '--shared',
          'shared',
          '--appends',
          String(appendsPerWriter),
          '--concurrency',
          '8',
        ]),
      );
      await Promise.all(children.map((child) => child.waitForLine((line) => line === 'ready')));
      for (const child of children) child.send('go');
      const exits = await Promise.all(children.map((child) => child.exited));
      exits.forEach(({ code }, index) =>
        expect(code, `writer exit; stderr:\n${children[index]!.stderr()}`).to.equal(0),
      );

      const acked = children.flatMap((child) =>
        child.lines
          .filter((line) => line.startsWith('acked '))
          .map((line) => parseReport<Acked>(line, 'acked')),
      );
      const log = await readWholeLog(store);

      // Complete: everything acknowledged is there, and nothing else.
      const eventsPerWriter = Array.from(
        { length: appendsPerWriter },
        (_, sequence) => (sequence % 3) + 1,
      ).reduce((sum, size) => sum + size, 0);
      expect(acked).to.have.length(2 * eventsPerWriter);
      expect(log).to.have.length(acked.length);
      expect(new Set(log.map(({ id }) => id))).to.deep.equal(new Set(acked.map(({ id }) => id)));

      // Ordered: global positions strictly increase.
      log.forEach(({ position }, index) => {
        if (index > 0 && !(position > log[index - 1]!.position)) {
          expect.fail(`position ${position} follows ${log[index - 1]!.position}`);
        }
      });

      // Contiguous: every stream's revisions run 0, 1, 2, ... in position order.
      const byStream = new Map<string, RecordedEvent[]>();
      for (const recorded of log) {
        byStream.set(recorded.streamId, [...(byStream.get(recorded.streamId) ?? []), recorded]);
      }
      expect([...byStream.keys()].sort()).to.deep.equal(['shared', 'writer-a', 'writer-b']);
      for (const [stream, events] of byStream) {
        expect(
          events.map(({ revision }) => revision),
          stream,
        ).to.deep.equal(events.map((_, index) => BigInt(index)));
      }

      // Atomic: each batch sits whole and in order at consecutive revisions.
      const byBatch = new Map<string, RecordedEvent[]>();
      for (const recorded of log) {
        const batch = String(recorded.data.batch);
        byBatch.set(batch, [...(byBatch.get(batch) ?? []), recorded]);
      }
      for (const [batch, events] of byBatch) {
        expect(
          events.map(({ data }) => data.index),
          batch,
        ).to.deep.equal(events.map((_, index) => index));
        expect(events).to.have.length(Number(events[0]!.data.size));
        expect(events.at(-1)!.revision - events[0]!.revision).to.equal(BigInt(events.length - 1));
      }
      const writersInShared = new Set(byStream.get('shared')!.map(({ data }) => data.writer));
      expect(writersInShared).to.deep.equal(new Set(['a', 'b']));

      // The follower, fed by polling for the other processes' appends, saw the same log.
      while (followed.length < log.length) await new Promise((resolve) => setTimeout(resolve, 10));
      await subscription.close();
      await following;
      expect(followed.map(({ id }) => id)).to.deep.equal(log.map(({ id }) => id));
    } finally {
      await store.close();
    }
  });
});
