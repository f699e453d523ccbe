import type { CurrencyCode } from '../money/currency.ts';
import { currency } from '../money/currency.ts';
import { parseMinorUnits } from '../money/decimal.ts';
import type { WalletEvent } from './wallet-events.ts';

/** A transfer this wallet sent: pending until the recipient's side is settled. */
export type SentTransfer = {
  readonly state: 'pending' | 'completed' | 'refunded';
  readonly to: string;
  readonly currency: CurrencyCode;
  readonly amount: bigint;
};

/** A deposit through a payment provider: open until the provider's first verdict. */
export type DepositIntent = {
  readonly state: 'open' | 'succeeded' | 'failed' | 'expired';
  readonly currency: CurrencyCode;
  readonly amount: bigint;
};

/**
 * One user's wallet: every balance in minor units (a missing currency holds zero), and the
 * transfers and deposit intents it took part in, by id, so that every saga step is decided
 * once however often it is asked for.
 */
export type WalletState = {
  readonly exists: boolean;
  readonly balances: ReadonlyMap<CurrencyCode, bigint>;
  readonly sent: ReadonlyMap<string, SentTransfer>;
  /** Transfers to this wallet: credited, or declined (the sender gets a refund). */
  readonly received: ReadonlyMap<string, 'received' | 'declined'>;
  readonly intents: ReadonlyMap<string, DepositIntent>;
};

/** The wallet before its first event. */
export const initialWalletState = (): WalletState => ({
  exists: false,
  balances: new Map(),
  sent: new Map(),
  received: new Map(),
  intents: new Map(),
});

/** Balance of `code` in minor units (0n when never touched). */
export const balanceOf = (state: WalletState, code: CurrencyCode): bigint =>
  state.balances.get(code) ?? 0n;

const minor = (text: string, code: CurrencyCode): bigint => parseMinorUnits(text, currency(code));

const withEntry = <V>(map: ReadonlyMap<string, V>, key: string, value: V): Map<string, V> =>
  new Map(map).set(key, value);

/**
 * The wallet after `event`; never mutates `state` (command handlers cache states). Only the
 * parts an event changes are copied.
 */
export const evolveWallet = (state: WalletState, event: WalletEvent): WalletState => {
  const balances = new Map(state.balances);
  const add = (code: CurrencyCode, delta: bigint) =>
    balances.set(code, (balances.get(code) ?? 0n) + delta);
  let { sent, received, intents } = state;
  switch (event.type) {
    case 'FundsDeposited':
      add(event.data.currency, minor(event.data.amount, event.data.currency));
      break;
    case 'FundsWithdrawn':
      add(event.data.currency, -minor(event.data.amount, event.data.currency));
      break;
    case 'CryptoBought':
      add(event.data.currency, minor(event.data.amount, event.data.currency));
      add(event.data.quoteCurrency, -minor(event.data.cost, event.data.quoteCurrency));
      break;
    case 'CryptoSold':
      add(event.data.currency, -minor(event.data.amount, event.data.currency));
      add(event.data.quoteCurrency, minor(event.data.proceeds, event.data.quoteCurrency));
      break;
    case 'TransferSent': {
      const { transferId, to, currency: code } = event.data;
      const amount = minor(event.data.amount, code);
      add(code, -amount);
      sent = withEntry(sent, transferId, { state: 'pending', to, currency: code, amount });
      break;
    }
    case 'TransferCompleted':
    case 'TransferRefunded': {
      const { transferId, to, currency: code } = event.data;
      const amount = minor(event.data.amount, code);
      const refunded = event.type === 'TransferRefunded';
      if (refunded) add(code, amount);
      const settled = refunded ? 'refunded' : 'completed';
      sent = withEntry(sent, transferId, { state: settled, to, currency: code, amount });
      break;
    }
    case 'TransferReceived':
      add(event.data.currency, minor(event.data.amount, event.data.currency));
      received = withEntry(received, event.data.transferId, 'received');
      break;
    case 'TransferDeclined':
      received = withEntry(received, event.data.transferId, 'declined');
      break;
    case 'DepositIntentOpened':
    case 'DepositIntentSucceeded':
    case 'DepositIntentClosed': {
      const { intentId, currency: code } = event.data;
      const amount = minor(event.data.amount, code);
      const status =
        event.type === 'DepositIntentOpened'
          ? 'open'
          : event.type === 'DepositIntentSucceeded'
            ? 'succeeded'
            : event.data.outcome;
      if (event.type === 'DepositIntentSucceeded') add(code, amount);
      intents = withEntry(intents, intentId, { state: status, currency: code, amount });
      break;
    }
  }
  return { exists: true, balances, sent, received, intents };
};
