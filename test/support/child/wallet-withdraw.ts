/**
 * A wallet modelled with raw events, to test optimistic concurrency at the store level: the
 * balance is the sum of deposits minus withdrawals, and a withdrawal is read → check →
 * append at the revision read → on conflict read again. Amounts are whole units as decimal
 * strings, summed as bigint.
 */
import {
  WrongExpectedRevisionError,
  type EventStore,
  type ExpectedRevision,
  type RecordedEvent,
} from '../../../ports/event-store.ts';
import { testEvent } from './test-events.ts';

export type WithdrawOutcome = 'succeeded' | 'refused';

export const balanceOf = (history: readonly RecordedEvent[]): bigint =>
  history.reduce((balance, { type, data }) => {
    const amount = BigInt(String(data.amount));
    if (type === 'Deposited') return balance + amount;
    if (type === 'Withdrawn') return balance - amount;
    return balance;
  }, 0n);

export const deposit = async (store: EventStore, streamId: string, amount: bigint) =>
  store.append(streamId, [testEvent('Deposited', { amount: amount.toString() })], {
    expectedRevision: 'any',
  });

/** Withdraws `amount`, retrying on conflict until it lands or the balance refuses it. */
export const withdraw = async (
  store: EventStore,
  streamId: string,
  amount: bigint,
  actor: string,
): Promise<WithdrawOutcome> => {
  for (;;) {
    const history = await store.readStream(streamId);
    const balance = balanceOf(history);
    if (balance < amount) return 'refused';
    const expectedRevision: ExpectedRevision =
      history.length === 0 ? 'no_stream' : history[history.length - 1]!.revision;
    const event = testEvent(
      'Withdrawn',
      { amount: amount.toString(), balanceAfter: (balance - amount).toString() },
      actor,
    );
    try {
      await store.append(streamId, [event], { expectedRevision });
      return 'succeeded';
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
  }
};

/** Runs `count` withdrawals of 1 at once and counts the outcomes. */
export const withdrawConcurrently = async (
  store: EventStore,
  streamId: string,
  count: number,
  actor: string,
): Promise<Record<WithdrawOutcome, number>> => {
  const outcomes = await Promise.all(
    Array.from({ length: count }, () => withdraw(store, streamId, 1n, actor)),
  );
  return {
    succeeded: outcomes.filter((outcome) => outcome === 'succeeded').length,
    refused: outcomes.filter((outcome) => outcome === 'refused').length,
  };
};
