import {
  auditWalletEvent,
  evolveWallet,
  initialWalletState,
  upcastWalletEvent,
  walletStreamId,
} from '../domain/wallet/index.ts';
import { currency, formatAmount } from '../domain/money/index.ts';
import type { EventStore, RecordedEvent } from '../ports/event-store.ts';
import type { Cutoff } from './point-in-time.ts';

export interface WalletAuditReport {
  userId: string;
  events: number;
  /** Balances replayed from the events alone. */
  balances: Record<string, string>;
  /** Global position of the newest wallet event replayed ("0" when none was). */
  position: string;
  /** Instant the newest replayed event was decided at; null when none was. */
  lastEventAt: string | null;
  /** Every discrepancy found, with the event's revision; empty when the stream checks out. */
  problems: { revision: string; eventId: string; problem: string }[];
}

const PAGE = 1000;

/**
 * Whether `recorded` lies past the cutoff. A stream's events are replayed in revision order
 * and the replay stops at the first one past it, so the answer is always a state the wallet
 * really was in (timestamps of one stream may tie, but never run backwards past a cutoff).
 */
const isPast = (recorded: RecordedEvent, cutoff: Cutoff | null): boolean => {
  if (cutoff === null) return false;
  if ('position' in cutoff) return recorded.position > cutoff.position;
  return Date.parse(recorded.metadata.timestamp) > Date.parse(cutoff.at);
};

/**
 * Replays one wallet stream from its events and checks every event on its own terms: the
 * arithmetic of trades against the recorded rate and rounding, and each recorded balance
 * against the balances replayed so far. With a cutoff, the wallet as it stood then. Needs
 * nothing but the event store.
 */
export const auditWallet = async (
  eventStore: EventStore,
  userId: string,
  cutoff: Cutoff | null = null,
): Promise<WalletAuditReport> => {
  let state = initialWalletState();
  let count = 0;
  let last: RecordedEvent | undefined;
  const problems: WalletAuditReport['problems'] = [];
  replay: for (let from = 0n; ;) {
    const page = await eventStore.readStream(walletStreamId(userId), {
      fromRevision: from,
      maxCount: PAGE,
    });
    for (const recorded of page) {
      if (isPast(recorded, cutoff)) break replay;
      const event = upcastWalletEvent(
        recorded.type,
        recorded.data,
        recorded.metadata.schemaVersion,
      );
      if (event === null) continue;
      count++;
      last = recorded;
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
  return {
    userId,
    events: count,
    balances,
    position: String(last?.position ?? 0n),
    lastEventAt: last?.metadata.timestamp ?? null,
    problems,
  };
};
