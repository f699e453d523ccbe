import {
  auditWalletEvent,
  evolveWallet,
  initialWalletState,
  upcastWalletEvent,
  walletStreamId,
} from '../domain/wallet/index.ts';
import { currency, formatAmount } from '../domain/money/index.ts';
import type { EventStore } from '../ports/event-store.ts';

export interface WalletAuditReport {
  userId: string;
  events: number;
  /** Balances replayed from the events alone. */
  balances: Record<string, string>;
  /** Every discrepancy found, with the event's revision; empty when the stream checks out. */
  problems: { revision: string; eventId: string; problem: string }[];
}

const PAGE = 1000;

/**
 * Replays one wallet stream from its events and checks every event on its own terms: the
 * arithmetic of trades against the recorded rate and rounding, and each recorded balance
 * against the balances replayed so far. Needs nothing but the event store.
 */
export const auditWallet = async (
  eventStore: EventStore,
  userId: string,
): Promise<WalletAuditReport> => {
  let state = initialWalletState();
  let count = 0;
  const problems: WalletAuditReport['problems'] = [];
  for (let from = 0n; ;) {
    const page = await eventStore.readStream(walletStreamId(userId), {
      fromRevision: from,
      maxCount: PAGE,
    });
    for (const recorded of page) {
      const event = upcastWalletEvent(
        recorded.type,
        recorded.data,
        recorded.metadata.schemaVersion,
      );
      if (event === null) continue;
      count++;
      for (const problem of auditWalletEvent(event, state)) {
        problems.push({ revision: String(recorded.revision), eventId: recorded.id, problem });
      }
      state = evolveWallet(state, event);
    }
    if (page.length < PAGE) break;
    from = (page[page.length - 1]?.revision ?? from) + 1n;
  }
  const balances = Object.fromEntries(
    [...state.balances].map(([code, minor]) => [code, formatAmount(minor, currency(code))]),
  );
  return { userId, events: count, balances, problems };
};
