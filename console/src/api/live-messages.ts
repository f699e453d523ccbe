/** What the server pushes on `/ws` (read-api/websocket/protocol.ts), as the console reads it. */

export interface RatesMessage {
  type: 'rates';
  currency: string;
  rates: Record<string, string>;
  at: string;
}

export interface HistoryEntry {
  id: string;
  type: string;
  currency: string;
  amount: string;
  at: string;
  position: string;
  [field: string]: string | Record<string, string> | undefined;
}

export interface WalletMessage {
  type: 'wallet';
  userId: string;
  balances: Record<string, string>;
  position: string;
  entry?: HistoryEntry;
  skipped?: number;
}
