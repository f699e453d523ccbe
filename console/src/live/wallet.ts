import type { WalletMessage } from '../api/live-messages.ts';

/** The wallet as the newest update (websocket or command answer) left it. */
export interface Wallet {
  balances: Record<string, string>;
  /** Global position of the newest wallet event reflected; "0" before any. */
  position: string;
  /** When the last change arrived, so the view can mark what moved. */
  changed: Record<string, number>;
}

export const emptyWallet: Wallet = { balances: {}, position: '-1', changed: {} };

/** Applies an update only when it is newer: answers and pushes may arrive in any order. */
export const withUpdate = (
  wallet: Wallet,
  update: Pick<WalletMessage, 'balances' | 'position'>,
): Wallet => {
  if (BigInt(update.position) < BigInt(wallet.position)) return wallet;
  const now = Date.now();
  const changed = { ...wallet.changed };
  for (const [code, amount] of Object.entries(update.balances)) {
    if (wallet.balances[code] !== amount && wallet.position !== '-1') changed[code] = now;
  }
  return { balances: update.balances, position: update.position, changed };
};
