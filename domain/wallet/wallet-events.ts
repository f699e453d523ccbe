import type { DomainEvent } from '../decider.ts';
import type { CurrencyCode } from '../money/currency.ts';

// Data shapes are type aliases, not interfaces, so they stay assignable to the event store's
// JSON object type. Money is canonical decimal text in the named currency; every event carries
// the resulting balances it touched, so an auditor can check it without other sources.

export type FundsDepositedData = {
  userId: string;
  currency: CurrencyCode;
  amount: string;
  /** Balance of `currency` after the deposit. */
  balance: string;
};

export type FundsWithdrawnData = {
  userId: string;
  currency: CurrencyCode;
  amount: string;
  /** Balance of `currency` after the withdrawal. */
  balance: string;
};

export type CryptoBoughtData = {
  userId: string;
  /** The crypto currency bought. */
  currency: CurrencyCode;
  /** Crypto received. */
  amount: string;
  quoteCurrency: CurrencyCode;
  /** Quote currency paid: amount ÷ rate, rounded up to the quote's minor unit. */
  cost: string;
  /** Canonical rate used: units of `currency` per one `quoteCurrency`. */
  rate: string;
  rateAt: string;
  /** Quote units per one whole crypto unit (1 ÷ rate), rounded up to the quote's minor unit. */
  price: string;
  /** Resulting balances of both legs. */
  balances: Record<CurrencyCode, string>;
};

export type CryptoSoldData = {
  userId: string;
  /** The crypto currency sold. */
  currency: CurrencyCode;
  /** Crypto given up. */
  amount: string;
  quoteCurrency: CurrencyCode;
  /** Quote currency received: amount ÷ rate, rounded down to the quote's minor unit. */
  proceeds: string;
  /** Canonical rate used: units of `currency` per one `quoteCurrency`. */
  rate: string;
  rateAt: string;
  /** Quote units per one whole crypto unit (1 ÷ rate), rounded down to the quote's minor unit. */
  price: string;
  /** Resulting balances of both legs. */
  balances: Record<CurrencyCode, string>;
};

// A transfer is a saga over two wallet streams. Every step names the transfer, its currency and
// amount, and the balance of that currency after the step, so each stream checks on its own;
// money sent and neither received nor refunded is in flight.

export type TransferSentData = {
  /** The sender. */
  userId: string;
  transferId: string;
  /** The recipient's mail, normalized, as the sender typed it. */
  to: string;
  currency: CurrencyCode;
  amount: string;
  /** Sender's balance of `currency` after the debit. */
  balance: string;
};

export type TransferReceivedData = {
  /** The recipient. */
  userId: string;
  transferId: string;
  /** The sender's user id and mail. */
  from: string;
  fromMail: string;
  currency: CurrencyCode;
  amount: string;
  /** Recipient's balance of `currency` after the credit. */
  balance: string;
};

/** The recipient's wallet refused the credit (a balance limit): the sender will be refunded. */
export type TransferDeclinedData = {
  userId: string;
  transferId: string;
  from: string;
  currency: CurrencyCode;
  amount: string;
  /** The refusal's code, e.g. `balance_limit_exceeded`. */
  reason: string;
  /** Recipient's balance of `currency`, unchanged. */
  balance: string;
};

export type TransferCompletedData = {
  /** The sender. */
  userId: string;
  transferId: string;
  to: string;
  recipientId: string;
  currency: CurrencyCode;
  amount: string;
  /** Sender's balance of `currency`, unchanged by the completion. */
  balance: string;
};

export type TransferRefundedData = {
  /** The sender. */
  userId: string;
  transferId: string;
  to: string;
  currency: CurrencyCode;
  amount: string;
  /** `recipient_not_found`, `recipient_cannot_receive`, ... */
  reason: string;
  /** Sender's balance of `currency` after the refund. */
  balance: string;
};

// A deposit through a payment provider: the intent records what the provider will collect and
// credits nothing; the provider's verdict either credits it (once) or closes it.

export type DepositIntentOpenedData = {
  userId: string;
  intentId: string;
  currency: CurrencyCode;
  amount: string;
  provider: string;
  checkoutReference: string;
  /** Balance of `currency`, unchanged. */
  balance: string;
};

export type DepositIntentSucceededData = {
  userId: string;
  intentId: string;
  currency: CurrencyCode;
  amount: string;
  providerEventId: string;
  /** Balance of `currency` after the credit. */
  balance: string;
};

export type DepositIntentClosedData = {
  userId: string;
  intentId: string;
  currency: CurrencyCode;
  amount: string;
  outcome: 'failed' | 'expired';
  providerEventId: string;
  /** Balance of `currency`, unchanged. */
  balance: string;
};

export type FundsDeposited = DomainEvent<'FundsDeposited', FundsDepositedData>;
export type FundsWithdrawn = DomainEvent<'FundsWithdrawn', FundsWithdrawnData>;
export type CryptoBought = DomainEvent<'CryptoBought', CryptoBoughtData>;
export type CryptoSold = DomainEvent<'CryptoSold', CryptoSoldData>;

export type TransferSent = DomainEvent<'TransferSent', TransferSentData>;
export type TransferReceived = DomainEvent<'TransferReceived', TransferReceivedData>;
export type TransferDeclined = DomainEvent<'TransferDeclined', TransferDeclinedData>;
export type TransferCompleted = DomainEvent<'TransferCompleted', TransferCompletedData>;
export type TransferRefunded = DomainEvent<'TransferRefunded', TransferRefundedData>;
export type DepositIntentOpened = DomainEvent<'DepositIntentOpened', DepositIntentOpenedData>;
export type DepositIntentSucceeded = DomainEvent<
  'DepositIntentSucceeded',
  DepositIntentSucceededData
>;
export type DepositIntentClosed = DomainEvent<'DepositIntentClosed', DepositIntentClosedData>;

export type TransferEvent =
  TransferSent | TransferReceived | TransferDeclined | TransferCompleted | TransferRefunded;
export type DepositIntentEvent = DepositIntentOpened | DepositIntentSucceeded | DepositIntentClosed;

export type WalletEvent =
  FundsDeposited | FundsWithdrawn | CryptoBought | CryptoSold | TransferEvent | DepositIntentEvent;

export type WalletEventType = WalletEvent['type'];

/** Every wallet event type. */
export const WALLET_EVENT_TYPES: readonly WalletEventType[] = Object.freeze([
  'FundsDeposited',
  'FundsWithdrawn',
  'CryptoBought',
  'CryptoSold',
  'TransferSent',
  'TransferReceived',
  'TransferDeclined',
  'TransferCompleted',
  'TransferRefunded',
  'DepositIntentOpened',
  'DepositIntentSucceeded',
  'DepositIntentClosed',
]);

/** True for an event type the wallet decider knows. */
export const isWalletEventType = (type: string): type is WalletEventType =>
  (WALLET_EVENT_TYPES as readonly string[]).includes(type);

/** Version of every wallet event's data shape, written into event metadata. */
export const WALLET_EVENT_SCHEMA_VERSION = 1;

/**
 * Lifts a stored wallet event to the current shape; null for a type the wallet does not know
 * (the stream may one day hold events of other features). Version 1 is the only shape so far,
 * so this is the identity. When a shape changes, bump WALLET_EVENT_SCHEMA_VERSION and add one
 * step per old version here, e.g. `if (schemaVersion < 2) data = { ...data, newField: … }`.
 * A version newer than this code was written by a newer deployment and is never guessed at.
 */
export const upcastWalletEvent = (
  type: string,
  data: object,
  schemaVersion: number,
): WalletEvent | null => {
  // Versions are per aggregate: another aggregate's event at its own version is not ours.
  if (!isWalletEventType(type)) return null;
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    throw new RangeError(`${type}: invalid schema version ${String(schemaVersion)}`);
  }
  if (schemaVersion > WALLET_EVENT_SCHEMA_VERSION) {
    throw new RangeError(
      `${type}: schema version ${schemaVersion} is newer than ${WALLET_EVENT_SCHEMA_VERSION}`,
    );
  }
  // Version 1 data is stored exactly as decided.
  return { type, data } as WalletEvent;
};

/** The wallet's upcast hook under the name the command handler's aggregate expects. */
export const upcast = upcastWalletEvent;
