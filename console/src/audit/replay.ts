import {
  auditWalletEvent,
  evolveWallet,
  initialWalletState,
  upcastWalletEvent,
  type WalletState,
} from '../../../domain/wallet/index.ts';
import { currency, formatAmount } from '../../../domain/money/index.ts';

/** An event as the audit routes show it. */
export interface AuditEvent {
  id: string;
  streamId: string;
  revision: string;
  position: string;
  type: string;
  data: Record<string, unknown>;
  metadata: { timestamp?: string; actor?: string; schemaVersion?: number; [key: string]: unknown };
}

export interface ReplayStep {
  event: AuditEvent;
  balances: Record<string, string>;
  /** What the domain's audit found wrong with this event, given the balances before it. */
  problems: string[];
}

const balancesOf = (state: WalletState): Record<string, string> =>
  Object.fromEntries(
    [...state.balances].map(([code, minor]) => [code, formatAmount(minor, currency(code))]),
  );

/**
 * A wallet replayed in the browser with the server's own domain code (upcast, evolve, audit):
 * the balances after each event, for the time slider. The server's replay
 * (GET /api/audit/wallets/:userId) checks the same; this shows every step of it.
 */
export const replayWallet = (events: readonly AuditEvent[]): ReplayStep[] => {
  let state = initialWalletState();
  const steps: ReplayStep[] = [];
  for (const recorded of events) {
    const event = upcastWalletEvent(
      recorded.type,
      recorded.data,
      recorded.metadata.schemaVersion ?? 1,
    );
    if (event === null) continue;
    const problems = auditWalletEvent(event, state);
    state = evolveWallet(state, event);
    steps.push({ event: recorded, balances: balancesOf(state), problems });
  }
  return steps;
};
