/**
 * A child appends in a loop and reports each event only after its append resolved; this
 * process SIGKILLs it at random moments, restarts it, and after every kill checks that the
 * store holds every acknowledged event intact and nothing half-written. Run on every adapter.
 */
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'chai';
import type { EventStore, JsonObject, RecordedEvent } from '../../../ports/event-store.ts';
import { parseReport, spawnChild, type ChildHandle } from '../../support/child/child-process.ts';
import { describeEachStore, openStoreAt } from '../../support/event-store-targets.ts';

const appender = fileURLToPath(new URL('../../support/child/crash-appender.ts', import.meta.url));
const KILLS = 24;

interface Acked {
  stream: string;
  id: string;
  type: string;
  data: JsonObject;
}

const readWholeLog = async (store: EventStore): Promise<RecordedEvent[]> => {
  const log: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: log.at(-1)?.position ?? 0n, maxCount: 5000 });
    if (page.length === 0) return log;
    log.push(...page);
  }
};

/** Every acknowledged event intact; every stream contiguous; every batch whole or absent. */
const checkLog = (
  log: readonly RecordedEvent[],
  acked: ReadonlyMap<string, Acked>,
  kill: number,
) => {
  const stored = new Map(log.map((recorded) => [recorded.id, recorded]));
  for (const event of acked.values()) {
    const found = stored.get(event.id);
    if (!found) expect.fail(`after kill ${kill}: acknowledged event ${event.id} is missing`);
    if (
      found.streamId !== event.stream ||
      found.type !== event.type ||
      !isDeepStrictEqual(found.data, event.data)
    ) {
      expect.fail(`after kill ${kill}: event ${event.id} changed`);
    }
  }

  const lastRevision = new Map<string, bigint>();
  const batches = new Map<string, RecordedEvent[]>();
  let lastPosition = 0n;
  for (const recorded of log) {
    if (recorded.position <= lastPosition)
      expect.fail(`after kill ${kill}: positions out of order`);
    lastPosition = recorded.position;
    const expected = (lastRevision.get(recorded.streamId) ?? -1n) + 1n;
    if (recorded.revision !== expected) {
      expect.fail(
        `after kill ${kill}: ${recorded.streamId} jumps to revision ${recorded.revision} (expected ${expected})`,
      );
    }
    lastRevision.set(recorded.streamId, recorded.revision);
    const batch = String(recorded.data.batch);
    batches.set(batch, [...(batches.get(batch) ?? []), recorded]);
  }
  for (const [batch, events] of batches) {
    const size = Number(events[0]!.data.size);
    const indexes = events.map(({ data }) => data.index);
    if (
      !isDeepStrictEqual(
        indexes,
        Array.from({ length: size }, (_, index) => index),
      )
    ) {
      expect.fail(`after kill ${kill}: batch ${batch} is partial: indexes ${indexes.join(',')}`);
    }
  }
};

describeEachStore('event store crash safety', (target) => {
  const children = new Set<ChildHandle>();

  afterEach(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await Promise.all([...children].map((child) => child.exited));
    children.clear();
  });

  it(`keeps every acknowledged append and no partial one across ${KILLS} SIGKILLs`, async function () {
    this.timeout(180_000);
    const { location } = target();
    const acked = new Map<string, Acked>();
    let stored = 0;
    let kills = 0;

    // Two writer processes share the store, each killed and restarted in its own rhythm, so
    // kills also land while the other process holds the write lock or is mid-commit.
    const killLoop = async (writer: string) => {
      for (let round = 0; round < KILLS / 2; round += 1) {
        const child = spawnChild(appender, ['--store', location, '--writer', writer]);
        children.add(child);
        await child.waitForLine((line) => line === 'ready');
        // Random moments: right after opening, mid-stream, and anything in between.
        await new Promise((resolve) => setTimeout(resolve, randomInt(0, 300)));
        child.process.kill('SIGKILL');
        const { signal } = await child.exited;
        children.delete(child);
        expect(signal, `child ended by itself; stderr:\n${child.stderr()}`).to.equal('SIGKILL');
        kills += 1;

        for (const line of child.lines) {
          if (!line.startsWith('acked ')) continue;
          const event = parseReport<Acked>(line, 'acked');
          acked.set(event.id, event);
        }
        // Only killed children's events are in `acked`: all of them must be stored now.
        const store = await openStoreAt(location);
        try {
          const log = await readWholeLog(store);
          checkLog(log, acked, kills);
          stored = Math.max(stored, log.length);
        } finally {
          await store.close();
        }
      }
    };
    await Promise.all([killLoop('a'), killLoop('b')]);

    // The runs did real work; appends caught in flight are stored but were never acked.
    console.log(`      ${kills} kills: ${acked.size} acknowledged events, ${stored} stored`);
    expect(kills).to.equal(KILLS);
    expect(acked.size).to.be.greaterThan(KILLS);
  });
});
