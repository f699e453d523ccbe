/**
 * Money conservation from the event log alone. Per currency, what the wallets hold plus what is
 * in flight in pending transfers must equal what came in (deposits), minus what went out
 * (withdrawals), plus what trades turned into it or out of it. Every event is also audited
 * against its own wallet's history (each recorded balance must follow from the ones before and
 * never be negative), and every transfer must be received at most once and settled at most once,
 * never both credited and refunded.
 */
import { currency, formatAmount, parseMinorUnits } from '../domain/money/index.ts';
import {
  auditWalletEvent,
  evolveWallet,
  initialWalletState,
  upcastWalletEvent,
  type WalletEvent,
  type WalletState,
} from '../domain/wallet/index.ts';
import type { EventStore, RecordedEvent } from '../ports/event-store.ts';

export interface CurrencyTotals {
  /** Sum of every wallet's balance, replayed (each recorded balance is checked against it). */
  balances: string;
  /** Sent and neither received nor refunded yet. */
  inFlight: string;
  deposits: string;
  withdrawals: string;
  /** Net of trades: bought minus sold (crypto), proceeds minus costs (the quote currency). */
  tradeFlows: string;
  /** balances + inFlight − (deposits − withdrawals + tradeFlows); zero when money is conserved. */
  difference: string;
}

export interface ConservationReport {
  /** Global position of the last event read. */
  position: string;
  events: number;
  wallets: number;
  currencies: Record<string, CurrencyTotals>;
  transfers: { pending: number; completed: number; refunded: number };
  /** Empty when the log checks out. */
  violations: string[];
}

type Sums = {
  balances: bigint;
  inFlight: bigint;
  deposits: bigint;
  withdrawals: bigint;
  tradeFlows: bigint;
};

type TransferTrack = {
  currency: string;
  amount: bigint;
  received: number;
  declined: number;
  completed: number;
  refunded: number;
};

const PAGE = 1000;

/** Reads the log up to its head at the start and checks it; see the module comment. */
export const checkConservation = async (eventStore: EventStore): Promise<ConservationReport> => {
  const head = await eventStore.headPosition();
  const sums = new Map<string, Sums>();
  const sumsOf = (code: string): Sums => {
    let found = sums.get(code);
    if (found === undefined) {
      found = { balances: 0n, inFlight: 0n, deposits: 0n, withdrawals: 0n, tradeFlows: 0n };
      sums.set(code, found);
    }
    return found;
  };
  const wallets = new Map<string, WalletState>();
  const transfers = new Map<string, TransferTrack>();
  const violations: string[] = [];
  let events = 0;
  let position = 0n;

  const minor = (text: string, code: string): bigint => parseMinorUnits(text, currency(code));
  const track = (transferId: string, code: string, amount: bigint): TransferTrack => {
    let found = transfers.get(transferId);
    if (found === undefined) {
      found = { currency: code, amount, received: 0, declined: 0, completed: 0, refunded: 0 };
      transfers.set(transferId, found);
    }
    return found;
  };

  const apply = (recorded: RecordedEvent, event: WalletEvent) => {
    const where = `${recorded.streamId}@${recorded.revision} (${event.type})`;
    const before = wallets.get(event.data.userId) ?? initialWalletState();
    for (const problem of auditWalletEvent(event, before)) violations.push(`${where}: ${problem}`);
    wallets.set(event.data.userId, evolveWallet(before, event));
    switch (event.type) {
      case 'FundsDeposited':
      case 'DepositIntentSucceeded':
        sumsOf(event.data.currency).deposits += minor(event.data.amount, event.data.currency);
        break;
      case 'FundsWithdrawn':
        sumsOf(event.data.currency).withdrawals += minor(event.data.amount, event.data.currency);
        break;
      case 'CryptoBought':
        sumsOf(event.data.currency).tradeFlows += minor(event.data.amount, event.data.currency);
        sumsOf(event.data.quoteCurrency).tradeFlows -= minor(
          event.data.cost,
          event.data.quoteCurrency,
        );
        break;
      case 'CryptoSold':
        sumsOf(event.data.currency).tradeFlows -= minor(event.data.amount, event.data.currency);
        sumsOf(event.data.quoteCurrency).tradeFlows += minor(
          event.data.proceeds,
          event.data.quoteCurrency,
        );
        break;
      case 'TransferSent': {
        const amount = minor(event.data.amount, event.data.currency);
        if (transfers.has(event.data.transferId)) violations.push(`${where}: sent twice`);
        track(event.data.transferId, event.data.currency, amount);
        sumsOf(event.data.currency).inFlight += amount;
        break;
      }
      case 'TransferReceived':
      case 'TransferDeclined':
      case 'TransferCompleted':
      case 'TransferRefunded': {
        const amount = minor(event.data.amount, event.data.currency);
        const known = transfers.get(event.data.transferId);
        if (known === undefined) {
          violations.push(`${where}: transfer ${event.data.transferId} was never sent`);
          break;
        }
        if (known.currency !== event.data.currency || known.amount !== amount) {
          violations.push(`${where}: amount differs from what was sent`);
        }
        if (event.type === 'TransferReceived') {
          known.received += 1;
          sumsOf(event.data.currency).inFlight -= amount;
        } else if (event.type === 'TransferRefunded') {
          known.refunded += 1;
          sumsOf(event.data.currency).inFlight -= amount;
        } else if (event.type === 'TransferDeclined') {
          known.declined += 1;
        } else {
          known.completed += 1;
          if (known.received === 0) violations.push(`${where}: completed before it was received`);
        }
        break;
      }
      case 'DepositIntentOpened':
      case 'DepositIntentClosed':
        break;
    }
  };

  for (;;) {
    const page = await eventStore.readAll({ after: position, maxCount: PAGE });
    for (const recorded of page) {
      if (recorded.position > head) break;
      position = recorded.position;
      const event = upcastWalletEvent(
        recorded.type,
        recorded.data,
        recorded.metadata.schemaVersion,
      );
      if (event === null) continue;
      events += 1;
      try {
        apply(recorded, event);
      } catch (error) {
        violations.push(`${recorded.streamId}@${recorded.revision}: ${String(error)}`);
      }
    }
    if (page.length < PAGE || position >= head) break;
  }

  for (const [userId, wallet] of wallets) {
    for (const [code, balance] of wallet.balances) {
      if (balance < 0n) violations.push(`wallet ${userId}: ${code} balance is negative`);
      sumsOf(code).balances += balance;
    }
  }
  const counts = { pending: 0, completed: 0, refunded: 0 };
  for (const [transferId, t] of transfers) {
    if (t.received > 1) violations.push(`transfer ${transferId}: received ${t.received} times`);
    if (t.completed + t.refunded > 1) {
      violations.push(`transfer ${transferId}: settled ${t.completed + t.refunded} times`);
    }
    if (t.received > 0 && t.refunded > 0) {
      violations.push(`transfer ${transferId}: both received and refunded`);
    }
    if (t.refunded > 0) counts.refunded += 1;
    else if (t.completed > 0) counts.completed += 1;
    else counts.pending += 1;
  }

  const totals: Record<string, CurrencyTotals> = {};
  for (const [code, s] of [...sums].sort(([a], [b]) => a.localeCompare(b))) {
    const unit = currency(code);
    const difference = s.balances + s.inFlight - (s.deposits - s.withdrawals + s.tradeFlows);
    const show = (value: bigint) =>
      value < 0n ? `-${formatAmount(-value, unit)}` : formatAmount(value, unit);
    totals[code] = {
      balances: show(s.balances),
      inFlight: show(s.inFlight),
      deposits: show(s.deposits),
      withdrawals: show(s.withdrawals),
      tradeFlows: show(s.tradeFlows),
      difference: show(difference),
    };
    if (difference !== 0n)
      violations.push(`${code}: money is not conserved, off by ${show(difference)}`);
    if (s.inFlight < 0n) violations.push(`${code}: negative money in flight`);
  }
  return {
    position: String(position),
    events,
    wallets: wallets.size,
    currencies: totals,
    transfers: counts,
    violations,
  };
};
