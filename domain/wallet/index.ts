/** The wallet: one stream per user holding every balance; deposits, withdrawals, buys, sells. */
export type { Buy, Deposit, QuotedRate, Sell, WalletCommand, Withdraw } from './wallet-commands.ts';
export {
  isWalletEventType,
  upcast,
  upcastWalletEvent,
  WALLET_EVENT_SCHEMA_VERSION,
  WALLET_EVENT_TYPES,
  type CryptoBought,
  type CryptoBoughtData,
  type CryptoSold,
  type CryptoSoldData,
  type FundsDeposited,
  type FundsDepositedData,
  type FundsWithdrawn,
  type FundsWithdrawnData,
  type WalletEvent,
  type WalletEventType,
} from './wallet-events.ts';
export { balanceOf, evolveWallet, initialWalletState, type WalletState } from './wallet-state.ts';
export { decideWallet, walletDecider, walletStreamId } from './wallet.ts';
export { auditWalletEvent } from './wallet-audit.ts';
export { revisionOfWalletEtag, walletEtag } from './wallet-version.ts';
