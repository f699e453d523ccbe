import type { RecordedEvent } from '../../ports/event-store.ts';
import type { HistoryEntryMessage } from '../../ports/live-messages.ts';
import type { DocumentWrite } from '../../ports/read-store.ts';
import type { WalletEvent } from '../../domain/wallet/wallet-events.ts';
import type { ReadModel } from '../read-model.ts';
import { decodeWalletEvent } from './decode-events.ts';

export const HISTORY = 'history';

export const HISTORY_TYPES = Object.freeze([
  'deposit',
  'withdrawal',
  'buy',
  'sell',
  'transfer',
] as const);
export type HistoryType = (typeof HISTORY_TYPES)[number];

export const isHistoryType = (value: unknown): value is HistoryType =>
  typeof value === 'string' && (HISTORY_TYPES as readonly string[]).includes(value);

type HistoryCommon = {
  userId: string;
  /** The currency moved; for a trade, the crypto bought or sold. */
  currency: string;
  amount: string;
  /** When the event was decided (ISO-8601). */
  at: string;
  correlationId: string;
};

export type FundsMovementDocument = HistoryCommon & {
  type: 'deposit' | 'withdrawal';
  /** Balance of `currency` after the movement. */
  balance: string;
  /** Set on a deposit paid through a payment provider: the intent it settled. */
  intentId?: string;
};

/**
 * A transfer as one side sees it: money going out, coming in, or coming back (a refund).
 * The counterparty is the other side's mail: the address the sender typed, or the sender's.
 */
export type TransferDocument = HistoryCommon & {
  type: 'transfer';
  direction: 'out' | 'in' | 'refund';
  counterparty: string;
  transferId: string;
  balance: string;
  /** Why a refund happened. */
  reason?: string;
};

type TradeCommon = HistoryCommon & {
  quoteCurrency: string;
  rate: string;
  rateAt: string;
  price: string;
  /** Both legs' balances after the trade. */
  balances: Record<string, string>;
};

export type BuyDocument = TradeCommon & { type: 'buy'; cost: string };
export type SellDocument = TradeCommon & { type: 'sell'; proceeds: string };

/** One entry per wallet event, id = the event id, ordered by the event's position. */
export type HistoryDocument = FundsMovementDocument | BuyDocument | SellDocument | TransferDocument;

/** Saga steps that move no money (a completion, a decline, an intent opened or closed) list nothing. */
const documentOf = (wallet: WalletEvent, event: RecordedEvent): HistoryDocument | null => {
  const common = {
    userId: wallet.data.userId,
    currency: wallet.data.currency,
    amount: wallet.data.amount,
    at: event.metadata.timestamp,
    correlationId: event.metadata.correlationId,
  };
  switch (wallet.type) {
    case 'FundsDeposited':
      return { ...common, type: 'deposit', balance: wallet.data.balance };
    case 'FundsWithdrawn':
      return { ...common, type: 'withdrawal', balance: wallet.data.balance };
    case 'CryptoBought':
    case 'CryptoSold': {
      const { quoteCurrency, rate, rateAt, price, balances } = wallet.data;
      const trade = { ...common, quoteCurrency, rate, rateAt, price, balances: { ...balances } };
      return wallet.type === 'CryptoBought'
        ? { ...trade, type: 'buy', cost: wallet.data.cost }
        : { ...trade, type: 'sell', proceeds: wallet.data.proceeds };
    }
    case 'TransferSent':
    case 'TransferRefunded': {
      const { to, transferId, balance } = wallet.data;
      const transfer = {
        ...common,
        type: 'transfer' as const,
        counterparty: to,
        transferId,
        balance,
      };
      return wallet.type === 'TransferSent'
        ? { ...transfer, direction: 'out' }
        : { ...transfer, direction: 'refund', reason: wallet.data.reason };
    }
    case 'TransferReceived': {
      const { fromMail, transferId, balance } = wallet.data;
      return {
        ...common,
        type: 'transfer',
        direction: 'in',
        counterparty: fromMail,
        transferId,
        balance,
      };
    }
    case 'DepositIntentSucceeded':
      return {
        ...common,
        type: 'deposit',
        balance: wallet.data.balance,
        intentId: wallet.data.intentId,
      };
    case 'TransferDeclined':
    case 'TransferCompleted':
    case 'DepositIntentOpened':
    case 'DepositIntentClosed':
      return null;
  }
};

/** The history entry a wallet event produces; null for any other event. */
export const historyDocumentOf = (event: RecordedEvent): HistoryDocument | null => {
  const wallet = decodeWalletEvent(event);
  return wallet ? documentOf(wallet, event) : null;
};

const project = (event: RecordedEvent): DocumentWrite[] => {
  const doc = historyDocumentOf(event);
  return doc ? [{ collection: HISTORY, id: event.id, doc, position: event.position }] : [];
};

export const historyReadModel: ReadModel = {
  collections: [
    { name: HISTORY, indexes: [['userId'], ['userId', 'currency'], ['userId', 'type']] },
  ],
  project,
};

/**
 * The entry as the API shows it (GET /api/user/wallet/history and live wallet updates): the
 * stored document without the owner, plus the event id and its position as text.
 */
export const historyEntryOf = (
  id: string,
  position: bigint,
  doc: HistoryDocument,
): HistoryEntryMessage => {
  const { userId: _owner, ...entry } = doc;
  return { id, ...entry, position: position.toString() };
};
