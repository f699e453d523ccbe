import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { verifyChains } from '../../audit/chain-verification.ts';
import { chainedEventStore } from '../../commands/chained-event-store.ts';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { EventStoreDbEventStore } from '../../infra/event-store/eventstoredb-event-store.ts';
import type { EventStore } from '../../ports/event-store.ts';
import {
  EventStoreDbStandIn,
  STAND_IN_LABEL,
} from '../support/eventstoredb-standin/standin-server.ts';
import { testEvent } from '../support/child/test-events.ts';

interface Fixture {
  /** The adapter itself: what an old deployment (no chain) wrote through. */
  raw: EventStore;
  cleanup(): Promise<void>;
}

const STORES: { label: string; open(): Promise<Fixture> }[] = [
  {
    label: 'SQLite',
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'cambio-chain-'));
      const raw = await SqliteEventStore.open({ file: join(dir, 'events.db'), pollIntervalMs: 20 });
      return {
        raw,
        cleanup: async () => {
          await raw.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    label: `EventStoreDB (${STAND_IN_LABEL})`,
    open: async () => {
      const standIn = await EventStoreDbStandIn.start();
      const raw = await EventStoreDbEventStore.open({ url: standIn.url });
      return {
        raw,
        cleanup: async () => {
          await raw.close();
          await standIn.stop();
        },
      };
    },
  },
];

const deposit = (amount: string) => testEvent('FundsDeposited', { amount });

for (const { label, open } of STORES) {
  describe(`chained event store on ${label}`, () => {
    let fixture: Fixture;
    beforeEach(async () => {
      fixture = await open();
    });
    afterEach(() => fixture.cleanup());

    const streamOf = async (store: EventStore, streamId: string) =>
      (await store.readStream(streamId)).map((event) => ({
        hash: event.metadata.hash,
        previousHash: event.metadata.previousHash,
      }));

    it('chains appends at no_stream, an exact revision (also from a second instance), any and stream_exists', async () => {
      const stream = `wallet-${randomUUID()}`;
      const one = chainedEventStore(fixture.raw);
      const other = chainedEventStore(fixture.raw);
      await one.append(stream, [deposit('1'), deposit('2')], { expectedRevision: 'no_stream' });
      await one.append(stream, [deposit('3')], { expectedRevision: 1n });
      // This instance never saw the stream: it reads the event it links to.
      await other.append(stream, [deposit('4')], { expectedRevision: 2n });
      await one.append(stream, [deposit('5')], { expectedRevision: 3n });
      await other.append(stream, [deposit('6')], { expectedRevision: 'any' });
      await one.append(stream, [deposit('7')], { expectedRevision: 'stream_exists' });

      const links = await streamOf(fixture.raw, stream);
      expect(links).to.have.length(7);
      expect(links[0]!.previousHash).to.equal(null);
      links.slice(1).forEach((link, index) => {
        expect(link.previousHash).to.equal(links[index]!.hash);
      });
      const report = await verifyChains(fixture.raw, { streamId: stream });
      expect(report).to.deep.include({ events: 7, breaks: [], legacy: [] });
    });

    it('never forks a chain when writers append at any concurrently', async () => {
      const stream = `registration-${randomUUID()}`;
      const writers = [chainedEventStore(fixture.raw), chainedEventStore(fixture.raw)];
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          writers[i % 2]!.append(stream, [deposit(String(i))], { expectedRevision: 'any' }),
        ),
      );
      const report = await verifyChains(fixture.raw, { streamId: stream });
      expect(report).to.deep.include({ events: 20, breaks: [] });
    });

    it('refuses stream_exists on a missing stream as the store does', async () => {
      const chained = chainedEventStore(fixture.raw);
      const failed = await chained
        .append(`s-${randomUUID()}`, [deposit('1')], { expectedRevision: 'stream_exists' })
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(failed).to.have.property('name', 'WrongExpectedRevisionError');
    });

    it('continues a stream written before the chain existed and reports its legacy prefix', async () => {
      const stream = `wallet-${randomUUID()}`;
      await fixture.raw.append(stream, [deposit('1'), deposit('2')], {
        expectedRevision: 'no_stream',
      });
      const unsealed = await verifyChains(fixture.raw, { streamId: stream });
      expect(unsealed.legacy).to.deep.equal([{ streamId: stream, events: 2, sealed: false }]);

      await chainedEventStore(fixture.raw).append(stream, [deposit('3')], {
        expectedRevision: 1n,
      });
      const sealed = await verifyChains(fixture.raw, { streamId: stream });
      expect(sealed).to.deep.include({ events: 3, breaks: [] });
      expect(sealed.legacy).to.deep.equal([{ streamId: stream, events: 2, sealed: true }]);
    });

    it('verifies the whole log in one pass with every stream listed', async () => {
      const chained = chainedEventStore(fixture.raw);
      const streams = [`a-${randomUUID()}`, `b-${randomUUID()}`];
      for (const stream of streams) {
        await chained.append(stream, [deposit('1')], { expectedRevision: 'no_stream' });
        await chained.append(stream, [deposit('2')], { expectedRevision: 0n });
      }
      const seen: bigint[] = [];
      const report = await verifyChains(fixture.raw, {
        pageSize: 3,
        onProgress: ({ position }) => seen.push(position),
      });
      expect(report.breaks).to.deep.equal([]);
      expect(report.heads.map((head) => head.streamId)).to.include.members(streams);
      expect(seen[seen.length - 1]).to.equal(await fixture.raw.headPosition());
    });
  });
}
