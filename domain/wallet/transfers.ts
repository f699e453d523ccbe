/**
 * Transfers between wallets, as a saga over two streams. The sender's stream debits at once
 * (TransferSent) and later either completes or refunds; the recipient's stream either credits
 * or declines. Each stream decides each step of one transfer once: asked again, it records
 * nothing more, so a process manager may repeat any step after a crash.
 */
import { accept, type Decision } from '../decider.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { currency, type Currency } from '../money/currency.ts';
import { formatAmount } from '../money/decimal.ts';
import type {
  CompleteTransfer,
  ReceiveTransfer,
  RefundTransfer,
  SendTransfer,
} from './wallet-commands.ts';
import type { WalletEvent } from './wallet-events.ts';
import {
  requireAmountWithinLimit,
  requireBalanceWithinLimit,
  requireCovered,
  requirePositive,
  requireUser,
} from './wallet-rules.ts';
import { requireBalanceWithinPolicy, type WalletLimits } from './wallet-limits.ts';
import { balanceOf, type SentTransfer, type WalletState } from './wallet-state.ts';

const requireTransferId = (transferId: unknown): string => {
  if (typeof transferId !== 'string' || transferId === '') {
    throw new TypeError('transferId is required');
  }
  return transferId;
};

const sameTransfer = (earlier: SentTransfer, command: SendTransfer): boolean =>
  earlier.to === command.to &&
  earlier.currency === command.currency &&
  earlier.amount === command.amount;

export const sendTransfer = (command: SendTransfer, state: WalletState): Decision<WalletEvent> => {
  const userId = requireUser(command.userId);
  const transferId = requireTransferId(command.transferId);
  const unit = currency(command.currency);
  const earlier = state.sent.get(transferId);
  if (earlier !== undefined) {
    if (sameTransfer(earlier, command)) return accept();
    throw new DomainError(
      'conflict',
      'transfer_id_taken',
      `transfer ${transferId} already exists`,
      {
        transferId,
      },
    );
  }
  requirePositive(command.amount, 'amount', 'amount_not_positive', unit);
  requireAmountWithinLimit(command.amount, unit);
  requireCovered(state, unit, command.amount);
  return accept({
    type: 'TransferSent',
    data: {
      userId,
      transferId,
      to: command.to,
      currency: unit.code,
      amount: formatAmount(command.amount, unit),
      balance: formatAmount(balanceOf(state, unit.code) - command.amount, unit),
    },
  });
};

/**
 * Credits the recipient, or records why not (a balance limit): the recorded decline is what
 * licenses the refund, so a later retry can never credit a transfer that was refunded.
 */
export const receiveTransfer = (
  command: ReceiveTransfer,
  state: WalletState,
  limits: WalletLimits,
): Decision<WalletEvent> => {
  const userId = requireUser(command.userId);
  const transferId = requireTransferId(command.transferId);
  const unit = currency(command.currency);
  const earlier = state.received.get(transferId);
  if (earlier === 'received') return accept();
  if (earlier === 'declined') {
    throw new DomainError('rule', 'transfer_declined', `transfer ${transferId} was declined`, {
      transferId,
    });
  }
  requirePositive(command.amount, 'amount', 'amount_not_positive', unit);
  const balance = balanceOf(state, unit.code) + command.amount;
  const common = {
    userId,
    transferId,
    from: command.from,
    currency: unit.code,
    amount: formatAmount(command.amount, unit),
  };
  try {
    requireBalanceWithinLimit(balance, unit);
    requireBalanceWithinPolicy(limits, balance, unit);
  } catch (error) {
    if (!isDomainError(error)) throw error;
    const declined: WalletEvent = {
      type: 'TransferDeclined',
      data: {
        ...common,
        reason: error.code,
        balance: formatAmount(balanceOf(state, unit.code), unit),
      },
    };
    return { events: [declined], error };
  }
  return accept({
    type: 'TransferReceived',
    data: { ...common, fromMail: command.fromMail, balance: formatAmount(balance, unit) },
  });
};

const pendingTransfer = (
  state: WalletState,
  transferId: string,
): { transfer: SentTransfer; unit: Currency } | 'settled' => {
  const transfer = state.sent.get(transferId);
  if (transfer === undefined) {
    throw new DomainError('not_found', 'transfer_not_found', `no transfer ${transferId} was sent`, {
      transferId,
    });
  }
  return transfer.state === 'pending' ? { transfer, unit: currency(transfer.currency) } : 'settled';
};

/** Completion after a refund (or a refund after completion) would create money: refused. */
const requireSettledAs = (
  state: WalletState,
  transferId: string,
  wanted: SentTransfer['state'],
): Decision<WalletEvent> => {
  const actual = state.sent.get(transferId)?.state;
  if (actual === wanted) return accept();
  throw new DomainError(
    'conflict',
    'transfer_already_settled',
    `transfer ${transferId} is already ${String(actual)}`,
    { transferId, state: actual },
  );
};

export const completeTransfer = (
  command: CompleteTransfer,
  state: WalletState,
): Decision<WalletEvent> => {
  const userId = requireUser(command.userId);
  const transferId = requireTransferId(command.transferId);
  const pending = pendingTransfer(state, transferId);
  if (pending === 'settled') return requireSettledAs(state, transferId, 'completed');
  const { transfer, unit } = pending;
  return accept({
    type: 'TransferCompleted',
    data: {
      userId,
      transferId,
      to: transfer.to,
      recipientId: command.recipientId,
      currency: unit.code,
      amount: formatAmount(transfer.amount, unit),
      balance: formatAmount(balanceOf(state, unit.code), unit),
    },
  });
};

export const refundTransfer = (
  command: RefundTransfer,
  state: WalletState,
): Decision<WalletEvent> => {
  const userId = requireUser(command.userId);
  const transferId = requireTransferId(command.transferId);
  const pending = pendingTransfer(state, transferId);
  if (pending === 'settled') return requireSettledAs(state, transferId, 'refunded');
  const { transfer, unit } = pending;
  // The refund restores what the debit took, so it cannot exceed the balance limit.
  return accept({
    type: 'TransferRefunded',
    data: {
      userId,
      transferId,
      to: transfer.to,
      currency: unit.code,
      amount: formatAmount(transfer.amount, unit),
      reason: command.reason,
      balance: formatAmount(balanceOf(state, unit.code) + transfer.amount, unit),
    },
  });
};
