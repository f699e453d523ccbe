/** What the SQLite adapter does beyond the shared contract: file, durability, group commit. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { pino } from 'pino';
import { WrongExpectedRevisionError, type RecordedEvent } from '../../../ports/event-store.ts';
import { EventIdConflictError } from '../../../infra/event-store/event-id-conflict-error.ts';
import { SqliteEventStore } from '../../../infra/event-store/sqlite-event-store.ts';
import { testEvent } from '../../support/child/test-events.ts';

const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, it fulfilled');
};

describe('SqliteEventStore', () => {
  let dir: string;
  let file: string;
  const open: SqliteEventStore[] = [];
  const openStore = (options: Partial<ConstructorParameters<typeof SqliteEventStore>[0]> = {}) => {
    const store = new SqliteEventStore({ file, pollIntervalMs: 20, ...options });
    open.push(store);
    return store;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cambio-sqlite-es-'));
    file = join(dir, 'nested', 'deeper', 'events.db');
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((store) => store.close()));
    await rm(dir, { recursive: true, force: true });
  });

  describe('the file', () => {
    it('creates missing parent directories and the schema', async () => {
      const store = openStore();
      expect(existsSync(file)).to.equal(true);
      expect(await store.headPosition()).to.equal(0n);
    });

    it('uses WAL with synchronous FULL by default and NORMAL on request', async () => {
      const full = openStore();
      await full.close();
      const inspect = new Database(file, { readonly: true });
      try {
        expect(inspect.pragma('journal_mode', { simple: true })).to.equal('wal');
      } finally {
        inspect.close();
      }
      // synchronous is per connection: read it through the store's own connection.
      const read = (store: SqliteEventStore) =>
        (store as unknown as { db: Database.Database }).db.pragma('synchronous', {
          simple: true,
        });
      expect(Number(read(openStore()))).to.equal(2);
      expect(Number(read(openStore({ synchronous: 'normal' })))).to.equal(1);
    });

    it('keeps events across close and reopen', async () => {
      const first = openStore();
      const events = [testEvent('A', { n: 1 }), testEvent('B', { n: 2 })];
      await first.append('kept', events, { expectedRevision: 'no_stream' });
      await first.close();
      const second = openStore();
      const read = await second.readStream('kept');
      expect(read.map(({ id }) => id)).to.deep.equal(events.map(({ id }) => id));
      expect(await second.headPosition()).to.equal(2n);
    });

    it('refuses a file written by a newer schema version', async () => {
      await openStore().close();
      const raw = new Database(file);
      raw.pragma('user_version = 99');
      raw.close();
      expect(() => new SqliteEventStore({ file })).to.throw(/schema version 99/);
    });

    it('refuses bad options', () => {
      expect(
        () => new SqliteEventStore({ file, synchronous: 'off' as unknown as 'full' }),
      ).to.throw(RangeError);
      expect(() => new SqliteEventStore({ file, pollIntervalMs: 0 })).to.throw(RangeError);
    });
  });

  describe('group commit', () => {
    it('commits appends issued together in one transaction', async () => {
      const store = openStore();
      const before = store.stats();
      const results = await Promise.all(
        Array.from({ length: 64 }, (_, index) =>
          store.append(`group-${index}`, [testEvent('G', { index })], {
            expectedRevision: 'no_stream',
          }),
        ),
      );
      const after = store.stats();
      expect(after.transactions - before.transactions).to.equal(1);
      expect(after.appends - before.appends).to.equal(64);
      expect(after.events - before.events).to.equal(64);
      const positions = results.map(({ position }) => position);
      expect(positions).to.deep.equal([...positions].sort((a, b) => (a < b ? -1 : 1)));
    });

    it('fails only the conflicting append of a group', async () => {
      const store = openStore();
      await store.append('taken', [testEvent('A', {})], { expectedRevision: 'no_stream' });
      const outcomes = await Promise.allSettled([
        store.append('free-1', [testEvent('B', {})], { expectedRevision: 'no_stream' }),
        store.append('taken', [testEvent('C', {}), testEvent('D', {})], {
          expectedRevision: 'no_stream',
        }),
        store.append('free-2', [testEvent('E', {})], { expectedRevision: 'no_stream' }),
      ]);
      expect(outcomes.map(({ status }) => status)).to.deep.equal([
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect((outcomes[1] as PromiseRejectedResult).reason).to.be.instanceOf(
        WrongExpectedRevisionError,
      );
      expect(await store.readStream('taken')).to.have.length(1);
      expect(await store.readStream('free-1')).to.have.length(1);
      expect(await store.readStream('free-2')).to.have.length(1);
    });

    it('sees earlier appends of the same group, including an idempotent repeat', async () => {
      const store = openStore();
      const batch = [testEvent('A', {})];
      const [first, second, third] = await Promise.all([
        store.append('same', batch, { expectedRevision: 'no_stream' }),
        store.append('same', batch, { expectedRevision: 'no_stream' }),
        store.append('same', [testEvent('B', {})], { expectedRevision: 0n }),
      ]);
      // The same revision and position; no change token, as the repeat cannot vouch that
      // nothing was appended since the original.
      const { changeToken: _token, ...original } = first!;
      expect(second).to.deep.equal(original);
      expect(third!.nextExpectedRevision).to.equal(1n);
      expect(store.stats().events).to.equal(2);
    });

    it('rejects a bad payload alone, before it reaches the group', async () => {
      const store = openStore();
      const good = store.append('good', [testEvent('A', {})], { expectedRevision: 'no_stream' });
      const bad = store.append(
        'bad',
        [{ ...testEvent('A', {}), data: { amount: 1n } as unknown as { amount: string } }],
        { expectedRevision: 'no_stream' },
      );
      expect(await rejectionOf(bad)).to.be.instanceOf(TypeError);
      expect((await good).nextExpectedRevision).to.equal(0n);
      expect(await store.readStream('bad')).to.deep.equal([]);
    });
  });

  describe('appends it refuses', () => {
    it('an empty batch, duplicate ids in one batch, bad stream ids and bad revisions', async () => {
      const store = openStore();
      const event = testEvent('A', {});
      const refusals = [
        store.append('s', [], { expectedRevision: 'any' }),
        store.append('s', [event, event], { expectedRevision: 'any' }),
        store.append('', [testEvent('A', {})], { expectedRevision: 'any' }),
        store.append('s', [testEvent('A', {})], { expectedRevision: -1n }),
        store.append('s', [testEvent('A', {})], {
          expectedRevision: 'latest' as unknown as 'any',
        }),
      ];
      for (const refusal of refusals)
        expect(await rejectionOf(refusal)).to.be.instanceOf(TypeError);
      expect(await store.headPosition()).to.equal(0n);
    });

    it('ids already stored in another stream', async () => {
      const store = openStore();
      const event = testEvent('A', {});
      await store.append('first', [event], { expectedRevision: 'no_stream' });
      const error = await rejectionOf(
        store.append('second', [event], { expectedRevision: 'no_stream' }),
      );
      expect(error).to.be.instanceOf(EventIdConflictError);
      expect((error as EventIdConflictError).existingIds).to.deep.equal([event.id]);
      expect(await store.readStream('second')).to.deep.equal([]);
    });

    it('a stored id re-sent with new ones at the current revision', async () => {
      const store = openStore();
      const stored = testEvent('A', {});
      await store.append('s', [stored], { expectedRevision: 'no_stream' });
      const error = await rejectionOf(
        store.append('s', [stored, testEvent('B', {})], { expectedRevision: 0n }),
      );
      expect(error).to.be.instanceOf(EventIdConflictError);
      expect(await store.readStream('s')).to.have.length(1);
    });
  });

  describe('closing', () => {
    it('commits queued appends before it closes', async () => {
      const store = openStore();
      const pending = Array.from({ length: 10 }, (_, index) =>
        store.append('late', [testEvent('L', { index })], { expectedRevision: 'any' }),
      );
      await store.close();
      const results = await Promise.all(pending);
      expect(results.map(({ nextExpectedRevision }) => nextExpectedRevision)).to.deep.equal(
        Array.from({ length: 10 }, (_, index) => BigInt(index)),
      );
      const reopened = openStore();
      expect(await reopened.readStream('late')).to.have.length(10);
    });

    it('refuses work once closed, and closing twice is harmless', async () => {
      const store = openStore();
      await store.close();
      await store.close();
      expect(
        await rejectionOf(store.append('s', [testEvent('A', {})], { expectedRevision: 'any' })),
      ).to.match(/closed/);
      expect(await rejectionOf(store.readStream('s'))).to.match(/closed/);
      expect(await rejectionOf(store.ping())).to.match(/closed/);
      expect(() => store.subscribeToAll()).to.throw(/closed/);
    });

    it('ends live subscriptions', async () => {
      const store = openStore();
      const subscription = store.subscribeToAll();
      const done = (async () => {
        for await (const _ of subscription) {
          // waits for live events that never come
        }
      })();
      await new Promise((resolve) => setImmediate(resolve));
      await store.close();
      await done;
    });
  });

  describe('stream change token', () => {
    it('changes when another connection to the file appends, to any stream', async () => {
      const reader = openStore();
      const writer = openStore();
      const before = reader.streamChangeToken('watched');
      await writer.append('elsewhere', [testEvent('A', {})], { expectedRevision: 'no_stream' });
      expect(reader.streamChangeToken('watched')).to.not.equal(before);
    });

    it('changes only for the stream (bucket) this instance appended to', async () => {
      const store = openStore();
      const [watched, other] = [store.streamChangeToken('watched'), 'other'];
      const result = await store.append(other, [testEvent('A', {})], {
        expectedRevision: 'no_stream',
      });
      expect(store.streamChangeToken('watched')).to.equal(watched);
      expect(store.streamChangeToken(other)).to.equal(result.changeToken);
    });

    it("a later append of the same group makes an earlier append's token stale", async () => {
      const store = openStore();
      const [first, second] = await Promise.all([
        store.append('same', [testEvent('A', {})], { expectedRevision: 'no_stream' }),
        store.append('same', [testEvent('B', {})], { expectedRevision: 0n }),
      ]);
      expect(first.changeToken).to.not.equal(store.streamChangeToken('same'));
      expect(second.changeToken).to.equal(store.streamChangeToken('same'));
    });
  });

  describe('subscriptions across instances', () => {
    it('delivers events appended through another connection to the same file', async () => {
      const writer = openStore();
      const reader = openStore({ pollIntervalMs: 10 });
      const subscription = reader.subscribeToAll();
      const received: RecordedEvent[] = [];
      const done = (async () => {
        for await (const recorded of subscription) {
          received.push(recorded);
          if (received.length === 30) break;
        }
      })();
      for (let index = 0; index < 30; index += 1) {
        await writer.append('other', [testEvent('O', { index })], { expectedRevision: 'any' });
      }
      await done;
      expect(received.map(({ data }) => data.index)).to.deep.equal(
        Array.from({ length: 30 }, (_, index) => index),
      );
    });
  });

  it('logs through the given pino logger', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    await openStore({ logger }).close();
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).to.include(
      'event store opened',
    );
  });
});
