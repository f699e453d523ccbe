import type { CurrencyCode } from '../money/currency.ts';

// Commands are plain data decided against one user's wallet stream. Amounts are already bigint
// minor units of the named currency: the edge parsed them with parseAmount.

/** A live rate as the handler read it: units of crypto per 1 USD (Coinbase convention). */
export type QuotedRate = {
  /** Positive decimal text, e.g. "0.0000231" BTC per USD. */
  value: string;
  /** ISO-8601 instant the rate source observed the rate. */
  at: string;
};

/** Pay fiat money in. */
export type Deposit = {
  type: 'Deposit';
  userId: string;
  /** A fiat currency; USD when omitted. */
  currency?: CurrencyCode;
  amount: bigint;
};

/** Take fiat money out. */
export type Withdraw = {
  type: 'Withdraw';
  userId: string;
  /** A fiat currency; USD when omitted. */
  currency?: CurrencyCode;
  amount: bigint;
};

/** Buy `amount` minor units of a crypto currency, paying USD at `rate`. */
export type Buy = {
  type: 'Buy';
  userId: string;
  currency: CurrencyCode;
  amount: bigint;
  quote: 'USD';
  rate: QuotedRate;
  /** Refuse if 1 whole unit would cost more than this many USD minor units. */
  maxPrice?: bigint;
};

/** Sell `amount` minor units of a crypto currency for USD at `rate`. */
export type Sell = {
  type: 'Sell';
  userId: string;
  currency: CurrencyCode;
  amount: bigint;
  quote: 'USD';
  rate: QuotedRate;
  /** Refuse if 1 whole unit would fetch less than this many USD minor units. */
  minPrice?: bigint;
};

export type WalletCommand = Deposit | Withdraw | Buy | Sell;
