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

/** Debit the sender for a transfer to the account registered with `to` (a normalized mail). */
export type SendTransfer = {
  type: 'SendTransfer';
  userId: string;
  /** Chosen by the caller (a UUID); keys every later step of the transfer. */
  transferId: string;
  to: string;
  /** Any currency of the registry. */
  currency: CurrencyCode;
  amount: bigint;
};

/** Credit the recipient's side of a transfer; a repeat of the same transfer changes nothing. */
export type ReceiveTransfer = {
  type: 'ReceiveTransfer';
  /** The recipient. */
  userId: string;
  transferId: string;
  /** The sender's user id and mail, for the recipient's records. */
  from: string;
  fromMail: string;
  currency: CurrencyCode;
  amount: bigint;
};

/** The sender's side: the recipient was credited. */
export type CompleteTransfer = {
  type: 'CompleteTransfer';
  userId: string;
  transferId: string;
  recipientId: string;
};

/** The sender's side: the money goes back, because the recipient could not be credited. */
export type RefundTransfer = {
  type: 'RefundTransfer';
  userId: string;
  transferId: string;
  /** Why, as a stable code: `recipient_not_found`, `recipient_cannot_receive`, ... */
  reason: string;
};

/** Record a payment a provider will collect; nothing is credited until it succeeds. */
export type OpenDepositIntent = {
  type: 'OpenDepositIntent';
  userId: string;
  intentId: string;
  /** A fiat currency. */
  currency: CurrencyCode;
  amount: bigint;
  provider: string;
  checkoutReference: string;
};

/** The provider's verdict on an intent; only the first verdict counts. */
export type SettleDepositIntent = {
  type: 'SettleDepositIntent';
  userId: string;
  intentId: string;
  outcome: 'succeeded' | 'failed' | 'expired';
  /** The provider's id of the callback that carried the verdict. */
  providerEventId: string;
  /** What the provider says it collected; must match the intent. */
  currency: CurrencyCode;
  amount: bigint;
};

export type TransferCommand = SendTransfer | ReceiveTransfer | CompleteTransfer | RefundTransfer;
export type DepositIntentCommand = OpenDepositIntent | SettleDepositIntent;

export type WalletCommand =
  Deposit | Withdraw | Buy | Sell | TransferCommand | DepositIntentCommand;
