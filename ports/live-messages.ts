/**
 * Subjects and payloads of the fan-out traffic on the bus (topics, at most once). A missed
 * message is harmless: each one carries the full latest state, not a delta.
 */

/** `rates.<BASE>`: published by the rate feed on every trusted snapshot. */
export const ratesSubject = (base: string): string => `rates.${base}`;
export interface RatesMessage {
  base: string;
  /** Units of each currency per one unit of `base`, decimal strings. */
  rates: Record<string, string>;
  /** ISO-8601 instant the rates were observed. */
  at: string;
}

/** `wallets.<userId>`: published by the balances projection after it committed an event. */
export const walletSubject = (userId: string): string => `wallets.${userId}`;
export const WALLET_SUBJECT_ALL = 'wallets.>';
export interface WalletUpdateMessage {
  userId: string;
  /** Every balance of the wallet after the event, decimal strings by currency code. */
  balances: Record<string, string>;
  /** Global position of the event; clients ignore updates older than what they have. */
  position: string;
  /** The wallet's strong entity tag after the event, as GET /api/user/wallet/balance sends it. */
  etag?: string;
  /** The history entry the event produced, in the shape of GET /api/user/wallet/history. */
  entry?: HistoryEntryMessage;
}

export interface HistoryEntryMessage {
  id: string;
  type: string;
  currency: string;
  amount: string;
  at: string;
  position: string;
  [field: string]: string | Record<string, string> | undefined;
}
