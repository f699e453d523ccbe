import type { CurrencyCode } from '../money/currency.ts';
import { currency } from '../money/currency.ts';
import { parseMinorUnits } from '../money/decimal.ts';
import type { WalletEvent } from './wallet-events.ts';

/** One user's wallet: every balance in minor units; a missing currency holds zero. */
export type WalletState = {
  readonly exists: boolean;
  readonly balances: ReadonlyMap<CurrencyCode, bigint>;
};

/** The wallet before its first event. */
export const initialWalletState = (): WalletState => ({ exists: false, balances: new Map() });

/** Balance of `code` in minor units (0n when never touched). */
export const balanceOf = (state: WalletState, code: CurrencyCode): bigint =>
  state.balances.get(code) ?? 0n;

const minor = (text: string, code: CurrencyCode): bigint => parseMinorUnits(text, currency(code));

/** The wallet after `event`; never mutates `state` (command handlers cache states). */
export const evolveWallet = (state: WalletState, event: WalletEvent): WalletState => {
  const balances = new Map(state.balances);
  const add = (code: CurrencyCode, delta: bigint) =>
    balances.set(code, (balances.get(code) ?? 0n) + delta);
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
  }
  return { exists: true, balances };
};
