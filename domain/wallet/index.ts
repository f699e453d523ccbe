/**
 * The wallet: one stream per user holding every balance; deposits, withdrawals, buys, sells,
 * both sides of transfers and deposits through a payment provider.
 */
export type {
  Buy,
  CompleteTransfer,
  Deposit,
  DepositIntentCommand,
  OpenDepositIntent,
  QuotedRate,
  ReceiveTransfer,
  RefundTransfer,
  Sell,
  SendTransfer,
  SettleDepositIntent,
  TransferCommand,
  WalletCommand,
  Withdraw,
} from './wallet-commands.ts';
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
  type DepositIntentClosed,
  type DepositIntentEvent,
  type DepositIntentOpened,
  type DepositIntentSucceeded,
  type FundsDeposited,
  type FundsDepositedData,
  type FundsWithdrawn,
  type FundsWithdrawnData,
  type TransferCompleted,
  type TransferDeclined,
  type TransferEvent,
  type TransferReceived,
  type TransferRefunded,
  type TransferSent,
  type WalletEvent,
  type WalletEventType,
} from './wallet-events.ts';
export {
  balanceOf,
  evolveWallet,
  initialWalletState,
  type DepositIntent,
  type SentTransfer,
  type WalletState,
} from './wallet-state.ts';
export { decideWallet, walletDecider, walletDeciderWith, walletStreamId } from './wallet.ts';
export * from './wallet-limits.ts';
export { auditWalletEvent } from './wallet-audit.ts';
export { revisionOfWalletEtag, walletEtag } from './wallet-version.ts';
