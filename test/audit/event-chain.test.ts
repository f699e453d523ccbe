import { expect } from 'chai';
import {
  canonicalJson,
  checkLink,
  eventHash,
  linkEvents,
  startChain,
  type ChainBreak,
} from '../../commands/event-chain.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import { testEvent } from '../support/child/test-events.ts';

const STREAM = 'wallet-1';

/** Events as a store hands them back: revisions and positions assigned in order. */
const stored = (count: number, previous: string | null = null): RecordedEvent[] =>
  linkEvents(
    STREAM,
    Array.from({ length: count }, (_, i) => testEvent('FundsDeposited', { amount: `${i + 1}` })),
    previous,
  ).map((event, index) => ({
    ...event,
    streamId: STREAM,
    revision: BigInt(index),
    position: BigInt(index + 1),
  }));

const verify = (events: readonly RecordedEvent[]) => {
  const chain = startChain(STREAM);
  const breaks: ChainBreak[] = events.flatMap((event) => checkLink(chain, event));
  return { chain, breaks: breaks.map((b) => `${b.revision}: ${b.problem}`) };
};

describe('event chain', () => {
  it('encodes JSON canonically: keys sorted at every depth, no whitespace', () => {
    expect(canonicalJson({ b: [{ z: 1, a: 'x' }], a: null, c: 'é' })).to.equal(
      '{"a":null,"b":[{"a":"x","z":1}],"c":"é"}',
    );
  });

  it('links each event to the one before it; an intact stream has no break', () => {
    const events = stored(4);
    expect(events[0]!.metadata.previousHash).to.equal(null);
    expect(events[2]!.metadata.previousHash).to.equal(events[1]!.metadata.hash);
    expect(eventHash(events[3]!)).to.equal(events[3]!.metadata.hash);
    expect(verify(events).breaks).to.deep.equal([]);
  });

  it('finds an edited amount, type, metadata field or stream id at the edited revision only', () => {
    const edits: ((event: RecordedEvent) => RecordedEvent)[] = [
      (e) => ({ ...e, data: { amount: '900' } }),
      (e) => ({ ...e, type: 'FundsWithdrawn' }),
      (e) => ({ ...e, metadata: { ...e.metadata, actor: 'someone else' } }),
      (e) => ({ ...e, streamId: 'wallet-2' }),
    ];
    for (const edit of edits) {
      const events = stored(4);
      events[2] = edit(events[2]!);
      expect(verify(events).breaks).to.deep.equal([
        '2: its content does not match its hash (the event was edited)',
      ]);
    }
  });

  it('finds a deleted event, first or in the middle', () => {
    const middle = stored(4);
    middle.splice(1, 1);
    expect(verify(middle).breaks).to.deep.equal([
      '2: revision 2 follows revision 0: events are missing',
      '2: does not link to the event before it (an event was removed, inserted or reordered)',
    ]);
    // Renumbered, as if rewritten by someone who knows the store: the link still breaks.
    const renumbered = middle.map((event, index) => ({ ...event, revision: BigInt(index) }));
    expect(verify(renumbered).breaks).to.deep.equal([
      '1: does not link to the event before it (an event was removed, inserted or reordered)',
    ]);
    const first = stored(3)
      .slice(1)
      .map((event, index) => ({ ...event, revision: BigInt(index) }));
    expect(verify(first).breaks).to.have.length(1);
  });

  it('finds two events swapped', () => {
    const events = stored(4);
    const swapped = [events[0]!, events[2]!, events[1]!, events[3]!].map((event, index) => ({
      ...event,
      revision: BigInt(index),
    }));
    expect(verify(swapped).breaks.map((line) => line.slice(0, 1))).to.deep.equal(['1', '2', '3']);
  });

  it('finds an unhashed event inserted into a chained stream', () => {
    const events = stored(3);
    const inserted = { ...testEvent('FundsDeposited', { amount: '1000' }) };
    const forged = [events[0]!, { ...inserted, streamId: STREAM, revision: 1n, position: 9n }];
    expect(verify(forged).breaks).to.deep.equal([
      '1: carries no hash although its stream is chained (inserted or stripped)',
    ]);
  });

  it('adopts a legacy prefix: the first hashed event seals it, so a later edit of it shows', () => {
    const legacy = Array.from({ length: 2 }, (_, i) => ({
      ...testEvent('FundsDeposited', { amount: `${i}` }),
      streamId: STREAM,
      revision: BigInt(i),
      position: BigInt(i + 1),
    }));
    const chain = startChain(STREAM);
    for (const event of legacy) checkLink(chain, event);
    const hashed = stored(2, chain.link).map((event, index) => ({
      ...event,
      revision: BigInt(index + 2),
      position: BigInt(index + 3),
    }));
    const intact = verify([...legacy, ...hashed]);
    expect(intact.breaks).to.deep.equal([]);
    expect(intact.chain).to.include({ legacy: 2, sealed: true });

    const edited = [{ ...legacy[0]!, data: { amount: '500' } }, legacy[1]!, ...hashed];
    expect(verify(edited).breaks).to.deep.equal([
      '2: does not link to the event before it (an event was removed, inserted or reordered)',
    ]);
  });
});
