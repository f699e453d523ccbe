/**
 * The command handler in-process, against a real SQLite event store on a temp file: given the
 * stream's history, when commands are handled, then the answers and the events in the store.
 * Faults a healthy store never shows (a conflicting writer at the worst moment, an I/O error, a
 * slow fsync) are injected by wrapping the real store (see `storeWith`).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  CommandHandler,
  type Aggregate,
  type CommandOutcome,
  type CommandHandlerOptions,
} from '../../commands/command-handler.ts';
import type { CommandContext } from '../../commands/command-context.ts';
import { accept, reject, type Decider } from '../../domain/decider.ts';
import { DomainError } from '../../domain/errors.ts';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import type { EventStore, EventToAppend, RecordedEvent } from '../../ports/event-store.ts';

// --- a small aggregate: a tally that can be added to, refuses going negative, counts strikes --

type TallyCommand =
  | { type: 'Add'; amount: number }
  | { type: 'Take'; amount: number }
  | { type: 'Strike' }
  | { type: 'Explode' }
  | { type: 'Nothing' };
type TallyEvent =
  | { type: 'Added'; data: { amount: number; total: number } }
  | { type: 'Taken'; data: { amount: number; total: number } }
  | { type: 'Struck'; data: { strikes: number } };
interface Tally {
  total: number;
  strikes: number;
}

const tallyDecider: Decider<TallyCommand, Tally, TallyEvent> = {
  initialState: () => ({ total: 0, strikes: 0 }),
  decide: (command, state) => {
    switch (command.type) {
      case 'Add':
        return accept({
          type: 'Added',
          data: { amount: command.amount, total: state.total + command.amount },
        });
      case 'Take':
        if (command.amount > state.total) {
          throw new DomainError('rule', 'insufficient_funds', 'Not enough in the tally.');
        }
        return accept({
          type: 'Taken',
          data: { amount: command.amount, total: state.total - command.amount },
        });
      case 'Strike':
        // Refused, and the refusal is recorded (like a wrong verification code).
        return reject(new DomainError('rule', 'struck', 'Struck.'), {
          type: 'Struck',
          data: { strikes: state.strikes + 1 },
        });
      case 'Explode':
        throw new TypeError('a bug in the decider');
      case 'Nothing':
        return accept();
    }
  },
  evolve: (state, event) => {
    switch (event.type) {
      case 'Added':
      case 'Taken':
        return { ...state, total: event.data.total };
      case 'Struck':
        return { ...state, strikes: event.data.strikes };
    }
  },
};

const tally: Aggregate<TallyCommand, Tally, TallyEvent> = {
  name: 'tally',
  decider: tallyDecider,
  schemaVersion: 1,
  upcast: (type, data) => ({ type, data }) as unknown as TallyEvent,
};

const HOUR = 60 * 60 * 1000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

const contextAt = (now: number, key?: string, body = 'same body'): CommandContext => ({
  actor: 'user-1',
  correlationId: randomUUID(),
  causationId: randomUUID(),
  now: new Date(now),
  ...(key === undefined ? {} : { idempotencyKey: key, requestHash: `hash of ${body}` }),
});

/** Resolves with the rejection of `promise`; fails the test when it fulfils. */
const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got an answer');
};

const codeOf = (error: unknown) => (error instanceof DomainError ? error.code : String(error));

/** The real store with its `append` wrapped: the wrapper may act before delegating, or fail. */
const storeWith = (
  store: EventStore,
  append: (
    forward: () => Promise<Awaited<ReturnType<EventStore['append']>>>,
    streamId: string,
    events: readonly EventToAppend[],
  ) => ReturnType<EventStore['append']>,
): EventStore & { appends: EventToAppend[][] } => {
  const appends: EventToAppend[][] = [];
  return Object.assign(Object.create(store) as EventStore, {
    appends,
    append: (streamId: string, events: readonly EventToAppend[], options: never) => {
      appends.push([...events]);
      return append(() => store.append(streamId, events, options), streamId, events);
    },
  });
};

/** A command as another process would write it: appended behind the handler's back. */
const foreignAdd = (store: EventStore, streamId: string, revision: bigint | 'no_stream') =>
  store.append(
    streamId,
    [
      {
        id: randomUUID(),
        type: 'Added',
        data: { amount: 100, total: 100 },
        metadata: {
          correlationId: 'other',
          causationId: 'other',
          actor: 'other',
          schemaVersion: 1,
          timestamp: new Date(T0).toISOString(),
        },
      },
    ],
    { expectedRevision: revision },
  );

describe('commands: the command handler', function () {
  this.timeout(20_000);
  let dir: string;
  let store: SqliteEventStore;
  let streamId: string;
  const opened: SqliteEventStore[] = [];

  const openStore = async () => {
    const opening = await SqliteEventStore.open({
      file: join(dir, 'events.sqlite'),
      synchronous: 'normal',
    });
    opened.push(opening);
    return opening;
  };
  const stream = (): Promise<RecordedEvent[]> => store.readStream(streamId);
  const handlerOn = (on: EventStore, options: CommandHandlerOptions = {}) =>
    new CommandHandler(on, {}, { clock: () => T0, ...options });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cambio-handler-'));
    store = await openStore();
    streamId = `tally-${randomUUID()}`;
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((each) => each.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  describe('load → decide → append', () => {
    it('appends an accepted command with its metadata and answers the new state', async () => {
      const handler = handlerOn(store);
      const context = contextAt(T0);
      const outcome = await handler.handle(tally, streamId, { type: 'Add', amount: 5 }, context);

      expect(outcome.state).to.deep.equal({ total: 5, strikes: 0 });
      expect(outcome.revision).to.equal(0n);
      expect(outcome.replayed).to.equal(false);
      const [recorded, ...more] = await stream();
      expect(more).to.have.length(0);
      expect(outcome.position).to.equal(recorded!.position);
      expect(outcome.events.map((e) => e.id)).to.deep.equal([recorded!.id]);
      expect(recorded!.data).to.deep.equal({ amount: 5, total: 5 });
      expect(recorded!.metadata).to.include({
        actor: 'user-1',
        correlationId: context.correlationId,
        causationId: context.causationId,
        schemaVersion: 1,
        timestamp: new Date(T0).toISOString(),
      });
      expect(recorded!.metadata.commandId).to.be.a('string');
    });

    it('a refusal the decider throws answers its error and appends nothing', async () => {
      const handler = handlerOn(store);
      const error = await rejectionOf(
        handler.handle(tally, streamId, { type: 'Take', amount: 1 }, contextAt(T0)),
      );
      expect(codeOf(error)).to.equal('insufficient_funds');
      expect(await stream()).to.have.length(0);
    });

    it('a command deciding nothing answers the current state and appends nothing', async () => {
      const handler = handlerOn(store);
      await handler.handle(tally, streamId, { type: 'Add', amount: 2 }, contextAt(T0));
      const outcome = await handler.handle(tally, streamId, { type: 'Nothing' }, contextAt(T0));
      expect(outcome).to.include({ revision: 0n, replayed: false });
      expect(outcome.state.total).to.equal(2);
      expect(outcome.events).to.deep.equal([]);
      expect(await stream()).to.have.length(1);
    });

    it('a refused decision that records events appends them, answers the error, and a retry with its key decides again', async () => {
      const handler = handlerOn(store);
      const first = await rejectionOf(
        handler.handle(tally, streamId, { type: 'Strike' }, contextAt(T0, 'strike-1')),
      );
      expect(codeOf(first)).to.equal('struck');
      expect((await stream()).map((e) => e.data)).to.deep.equal([{ strikes: 1 }]);
      expect((await stream())[0]!.metadata).to.not.have.property('idempotencyKey');

      const retry = await rejectionOf(
        handler.handle(tally, streamId, { type: 'Strike' }, contextAt(T0, 'strike-1')),
      );
      expect(codeOf(retry)).to.equal('struck');
      expect((await stream()).map((e) => e.data)).to.deep.equal([{ strikes: 1 }, { strikes: 2 }]);
      const { state } = await handler.load(tally, streamId);
      expect(state.strikes).to.equal(2);
    });

    it('load answers the stream as another process left it', async () => {
      const handler = handlerOn(store);
      await handler.handle(tally, streamId, { type: 'Add', amount: 1 }, contextAt(T0));
      const other = await openStore();
      await foreignAdd(other, streamId, 0n);
      const loaded = await handler.load(tally, streamId);
      expect(loaded).to.deep.equal({ state: { total: 100, strikes: 0 }, revision: 1n });
    });
  });

  describe('conflicts with other writers', () => {
    it('decides again on the newer state after a conflicting append, and reports the retry', async () => {
      let retries = 0;
      const racing = storeWith(store, async (forward, id, events) => {
        // Another process appends just before the handler's take lands.
        if (events[0]?.type === 'Taken' && racing.appends.length === 2) {
          await foreignAdd(store, id, 0n); // sets the total to 100
        }
        return forward();
      });
      const handler = new CommandHandler(
        racing,
        { onConflictRetry: () => retries++ },
        { clock: () => T0 },
      );
      await handler.handle(tally, streamId, { type: 'Add', amount: 40 }, contextAt(T0));
      const outcome = await handler.handle(
        tally,
        streamId,
        { type: 'Take', amount: 30 },
        contextAt(T0),
      );
      expect(retries).to.equal(1);
      expect(racing.appends).to.have.length(3);
      expect(outcome.state.total).to.equal(70);
      expect(outcome.revision).to.equal(2n);
      expect((await stream()).map((e) => e.type)).to.deep.equal(['Added', 'Added', 'Taken']);
    });

    it('gives up after 10 conflicting attempts with concurrent_modification (a conflict)', async function () {
      let retries = 0;
      const alwaysRaced = storeWith(store, async (forward, id) => {
        const [last] = (await store.readStream(id)).slice(-1);
        await foreignAdd(store, id, last === undefined ? 'no_stream' : last.revision);
        return forward();
      });
      const handler = new CommandHandler(
        alwaysRaced,
        { onConflictRetry: () => retries++ },
        { clock: () => T0 },
      );
      const error = await rejectionOf(
        handler.handle(tally, streamId, { type: 'Add', amount: 1 }, contextAt(T0)),
      );
      expect(error).to.be.instanceOf(DomainError);
      expect(error).to.include({ kind: 'conflict', code: 'concurrent_modification' });
      expect(retries).to.equal(10);
      expect(alwaysRaced.appends).to.have.length(10);
      expect((await stream()).every((e) => e.metadata.actor === 'other')).to.equal(true);
    });

    it('fails every command of the append alike on another append error, without retrying, and recovers', async () => {
      let failing = true;
      const broken = storeWith(store, (forward) =>
        failing ? Promise.reject(new Error('disk I/O error')) : forward(),
      );
      const handler = handlerOn(broken);
      const error = await rejectionOf(
        handler.handle(tally, streamId, { type: 'Add', amount: 1 }, contextAt(T0, 'k')),
      );
      expect((error as Error).message).to.equal('disk I/O error');
      expect(broken.appends).to.have.length(1);
      expect(await stream()).to.have.length(0);

      failing = false;
      const outcome = await handler.handle(
        tally,
        streamId,
        { type: 'Add', amount: 1 },
        contextAt(T0, 'k'),
      );
      expect(outcome).to.include({ revision: 0n, replayed: false });
      expect(outcome.state.total).to.equal(1);
    });
  });

  describe('idempotency keys', () => {
    it('a retry with the same key and body answers the first run and records nothing', async () => {
      const handler = handlerOn(store);
      const first = await handler.handle(
        tally,
        streamId,
        { type: 'Add', amount: 3 },
        contextAt(T0, 'k'),
      );
      await handler.handle(tally, streamId, { type: 'Add', amount: 4 }, contextAt(T0));
      const again = await handler.handle(
        tally,
        streamId,
        { type: 'Add', amount: 3 },
        contextAt(T0 + HOUR, 'k'),
      );
      expect(again).to.deep.equal({ ...first, replayed: true });
      expect(await stream()).to.have.length(2);
    });

    it('the same key with another body is refused with idempotency_key_reused', async () => {
      const handler = handlerOn(store);
      await handler.handle(tally, streamId, { type: 'Add', amount: 3 }, contextAt(T0, 'k', 'a'));
      const error = await rejectionOf(
        handler.handle(tally, streamId, { type: 'Add', amount: 9 }, contextAt(T0, 'k', 'b')),
      );
      expect(codeOf(error)).to.equal('idempotency_key_reused');
      expect(error).to.include({ kind: 'rule' });
      expect(await stream()).to.have.length(1);
    });

    it('a key still in flight is refused with idempotency_key_in_use, then replays', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const slow = storeWith(store, async (forward) => {
        await held;
        return forward();
      });
      const handler = handlerOn(slow);
      const first = handler.handle(tally, streamId, { type: 'Add', amount: 3 }, contextAt(T0, 'k'));
      const error = await rejectionOf(
        handler.handle(tally, streamId, { type: 'Add', amount: 3 }, contextAt(T0, 'k')),
      );
      expect(codeOf(error)).to.equal('idempotency_key_in_use');
      expect(error).to.include({ kind: 'conflict' });
      release();
      await first;
      const again = await handler.handle(
        tally,
        streamId,
        { type: 'Add', amount: 3 },
        contextAt(T0, 'k'),
      );
      expect(again.replayed).to.equal(true);
      expect(await stream()).to.have.length(1);
    });

    it('a key retried after 300 newer keyed commands on the stream replays instead of executing', async () => {
      const handler = handlerOn(store);
      const first = await handler.handle(
        tally,
        streamId,
        { type: 'Add', amount: 1 },
        contextAt(T0, 'first'),
      );
      await Promise.all(
        Array.from({ length: 300 }, (_, n) =>
          handler.handle(tally, streamId, { type: 'Add', amount: 1 }, contextAt(T0, `later-${n}`)),
        ),
      );
      const retry = await handler.handle(
        tally,
        streamId,
        { type: 'Add', amount: 1 },
        contextAt(T0 + 23 * HOUR, 'first'),
      );
      expect(retry).to.deep.equal({ ...first, replayed: true });
      expect(await stream()).to.have.length(301);
    });

    it('replays across a restart: a new process rebuilds the keys from the stream', async () => {
      const first = await handlerOn(store).handle(
        tally,
        streamId,
        { type: 'Add', amount: 7 },
        contextAt(T0, 'k'),
      );
      for (let n = 0; n < 250; n++) {
        await handlerOn(store).handle(
          tally,
          streamId,
          { type: 'Add', amount: 1 },
          contextAt(T0 + n, `later-${n}`),
        );
      }
      await store.close();
      store = await openStore();

      const restarted = handlerOn(store, { clock: () => T0 + 2 * HOUR });
      const retry = await restarted.handle(
        tally,
        streamId,
        { type: 'Add', amount: 7 },
        contextAt(T0 + 2 * HOUR, 'k'),
      );
      expect(retry).to.deep.include({
        replayed: true,
        state: first.state,
        revision: first.revision,
        events: first.events,
      });
      expect(await stream()).to.have.length(251);
    });

    it('replays on another replica: a retry sent to another process finds the key in the stream', async () => {
      const replicaA = handlerOn(store);
      const replicaB = handlerOn(await openStore());
      // B has this stream cached from before A's keyed command.
      await replicaB.handle(tally, streamId, { type: 'Add', amount: 1 }, contextAt(T0));
      const first = await replicaA.handle(
        tally,
        streamId,
        { type: 'Add', amount: 2 },
        contextAt(T0, 'k'),
      );
      const retry = await replicaB.handle(
        tally,
        streamId,
        { type: 'Add', amount: 2 },
        contextAt(T0 + HOUR, 'k'),
      );
      expect(retry).to.deep.include({ replayed: true, state: first.state, events: first.events });
      expect(await stream()).to.have.length(2);
    });

    it('forgets a key 24 hours after its first run: the same key then runs as a new request', async () => {
      let now = T0;
      const handler = handlerOn(store, { clock: () => now });
      await handler.handle(tally, streamId, { type: 'Add', amount: 5 }, contextAt(now, 'k'));

      now = T0 + 24 * HOUR - 1;
      const within = await handler.handle(
        tally,
        streamId,
        { type: 'Add', amount: 5 },
        contextAt(now, 'k'),
      );
      expect(within.replayed).to.equal(true);

      now = T0 + 24 * HOUR;
      const after = await handler.handle(
        tally,
        streamId,
        { type: 'Add', amount: 5 },
        contextAt(now, 'k'),
      );
      expect(after).to.include({ replayed: false, revision: 1n });
      expect(after.state.total).to.equal(10);

      // The new run is what the key answers from now on, in this process and after a restart.
      const again = await handler.handle(
        tally,
        streamId,
        { type: 'Add', amount: 5 },
        contextAt(now + HOUR, 'k'),
      );
      expect(again).to.deep.equal({ ...after, replayed: true });
      const restarted = await handlerOn(await openStore(), { clock: () => now + HOUR }).handle(
        tally,
        streamId,
        { type: 'Add', amount: 5 },
        contextAt(now + HOUR, 'k'),
      );
      expect(restarted).to.deep.include({ replayed: true, revision: 1n, events: after.events });
      expect(await stream()).to.have.length(2);
    });
  });

  describe('batching per stream', () => {
    /** Holds the store's appends until released, so that commands queue up behind the first. */
    const gatedStore = () => {
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const gated = storeWith(store, async (forward) => {
        await gate;
        return forward();
      });
      return { gated, open };
    };

    it('decides queued commands in turn and writes them in one append, each with its own answer', async () => {
      const { gated, open } = gatedStore();
      const handler = handlerOn(gated);
      const handle = (command: TallyCommand, key?: string) =>
        handler.handle(tally, streamId, command, contextAt(T0, key));
      const settled = <T>(promise: Promise<T>) =>
        promise.then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );

      const first = settled(handle({ type: 'Add', amount: 10 }));
      await new Promise((resolve) => setImmediate(resolve));
      const queued = [
        settled(handle({ type: 'Take', amount: 4 }, 'take-4')),
        settled(handle({ type: 'Take', amount: 100 })),
        settled(handle({ type: 'Explode' })),
        settled(handle({ type: 'Add', amount: 1 })),
        settled(handle({ type: 'Strike' })),
        settled(handle({ type: 'Take', amount: 7 })),
      ];
      open();
      const [lone, ...answers] = await Promise.all([first, ...queued]);

      expect(gated.appends.map((events) => events.map((e) => e.type))).to.deep.equal([
        ['Added'],
        ['Taken', 'Added', 'Struck', 'Taken'],
      ]);
      const [take4, take100, explode, add1, strike, take7] = answers;
      const state = (answer: (typeof answers)[number] | undefined) =>
        answer?.ok ? (answer.value as CommandOutcome<Tally>) : undefined;
      expect(lone!.ok).to.equal(true);
      expect(state(take4)).to.deep.include({ state: { total: 6, strikes: 0 }, revision: 1n });
      expect(take100!.ok === false && codeOf(take100!.error)).to.equal('insufficient_funds');
      expect(explode!.ok === false && explode!.error).to.be.instanceOf(TypeError);
      expect(state(add1)).to.deep.include({ state: { total: 7, strikes: 0 }, revision: 2n });
      expect(strike!.ok === false && codeOf(strike!.error)).to.equal('struck');
      expect(state(take7)).to.deep.include({ state: { total: 0, strikes: 1 }, revision: 4n });

      const stored = await stream();
      expect(stored.map((e) => e.revision)).to.deep.equal([0n, 1n, 2n, 3n, 4n]);
      expect(stored.map((e) => e.data)).to.deep.equal([
        { amount: 10, total: 10 },
        { amount: 4, total: 6 },
        { amount: 1, total: 7 },
        { strikes: 1 },
        { amount: 7, total: 0 },
      ]);
      // Each command keeps its own command id, so keys and causation stay per command.
      expect(new Set(stored.map((e) => e.metadata.commandId)).size).to.equal(5);
      expect(state(take7)!.position).to.equal(stored[4]!.position);
      expect(state(take4)!.events.map((e) => e.id)).to.deep.equal([stored[1]!.id]);

      // The key of a batched command replays like any other.
      const retry = await handle({ type: 'Take', amount: 4 }, 'take-4');
      expect(retry).to.deep.equal({ ...state(take4)!, replayed: true });
      expect((await handler.load(tally, streamId)).revision).to.equal(4n);
    });

    it('a batch that conflicts with another writer is decided again as a whole', async () => {
      const { gated, open } = gatedStore();
      let raced = false;
      const racing = storeWith(gated, async (forward, id) => {
        if (!raced && (await store.readStream(id)).length === 1) {
          raced = true;
          await foreignAdd(store, id, 0n); // sets the total to 100
        }
        return forward();
      });
      const handler = handlerOn(racing);
      const first = handler.handle(tally, streamId, { type: 'Add', amount: 60 }, contextAt(T0));
      const batch = [
        handler.handle(tally, streamId, { type: 'Take', amount: 50 }, contextAt(T0)),
        handler.handle(tally, streamId, { type: 'Take', amount: 50 }, contextAt(T0)),
      ];
      open();
      await first;
      // Decided on 60 the second take was refused; decided again on 100 both are accepted.
      const outcomes = await Promise.all(batch);
      expect(outcomes.map((o) => o.state.total)).to.deep.equal([50, 0]);
      expect((await stream()).map((e) => e.type)).to.deep.equal([
        'Added',
        'Added',
        'Taken',
        'Taken',
      ]);
    });

    it('keeps arrival order and never exceeds maxBatch commands per append', async () => {
      const { gated, open } = gatedStore();
      const handler = handlerOn(gated, { maxBatch: 4 });
      const outcomes = Array.from({ length: 10 }, (_, n) =>
        handler.handle(tally, streamId, { type: 'Add', amount: n }, contextAt(T0)),
      );
      open();
      const revisions = (await Promise.all(outcomes)).map((o) => o.revision);
      expect(revisions).to.deep.equal(Array.from({ length: 10 }, (_, n) => BigInt(n)));
      expect(gated.appends.map((events) => events.length)).to.deep.equal([1, 4, 4, 1]);
      expect((await stream()).map((e) => e.data.amount)).to.deep.equal(
        Array.from({ length: 10 }, (_, n) => n),
      );
    });
  });
});
