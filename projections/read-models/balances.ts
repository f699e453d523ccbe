import type { RecordedEvent } from '../../ports/event-store.ts';
import type { DocumentWrite } from '../../ports/read-store.ts';
import { currencies } from '../../domain/money/currency.ts';
import type { ReadModel } from '../read-model.ts';
import { decodeWalletEvent } from './decode-events.ts';

export const BALANCES = 'balances';

/** One document per wallet and currency: the balance after the newest event that touched it. */
export type BalanceDocument = {
  userId: string;
  currency: string;
  /** Decimal text, exactly as the event recorded it. */
  amount: string;
  /**
   * Revision of the event in the wallet's stream, decimal text: the highest among a wallet's
   * documents is the wallet's newest event, whose version its ETag names. Absent in documents
   * projected before it was recorded (a rebuild fills it in).
   */
  revision?: string;
};

const currencyOrder = new Map(currencies().map((currency, index) => [currency.code, index]));
const rank = (code: string): number => currencyOrder.get(code) ?? currencyOrder.size;

/** The same balances with the currencies in registry order (fiat first), as clients see them. */
export const sortedBalances = (balances: Record<string, string>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(balances).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)),
  );

export const balanceId = (userId: string, currency: string): string => `${userId}:${currency}`;

export interface WalletBalancesAfter {
  userId: string;
  /** Only the currencies the event touched: one for a deposit, both legs of a trade. */
  balances: Record<string, string>;
}

/** The balances a wallet event leaves behind; null for any other event. */
export const walletBalancesAfter = (event: RecordedEvent): WalletBalancesAfter | null => {
  const wallet = decodeWalletEvent(event);
  if (!wallet) return null;
  const { userId } = wallet.data;
  switch (wallet.type) {
    case 'FundsDeposited':
    case 'FundsWithdrawn':
      return { userId, balances: { [wallet.data.currency]: wallet.data.balance } };
    case 'CryptoBought':
    case 'CryptoSold':
      return { userId, balances: { ...wallet.data.balances } };
    default:
      // Transfer and deposit-intent steps touch one currency and record its balance after.
      return { userId, balances: { [wallet.data.currency]: wallet.data.balance } };
  }
};

const project = (event: RecordedEvent): DocumentWrite[] => {
  const after = walletBalancesAfter(event);
  if (!after) return [];
  const { userId, balances } = after;
  return Object.entries(balances).map(([currency, amount]) => {
    const doc: BalanceDocument = { userId, currency, amount, revision: String(event.revision) };
    return { collection: BALANCES, id: balanceId(userId, currency), doc, position: event.position };
  });
};

export const balancesReadModel: ReadModel = {
  collections: [{ name: BALANCES, indexes: [['userId']] }],
  project,
};
