/**
 * Deposits through a payment provider. Opening an intent credits nothing; the provider's first
 * verdict decides it: a success credits the amount once, a failure or expiry closes it. Any
 * later verdict, repeated or out of order, records nothing.
 */
import { accept, type Decision } from '../decider.ts';
import { DomainError } from '../errors.ts';
import { formatAmount } from '../money/decimal.ts';
import type { OpenDepositIntent, SettleDepositIntent } from './wallet-commands.ts';
import type { WalletEvent } from './wallet-events.ts';
import {
  ofKind,
  requireAmountWithinLimit,
  requireBalanceWithinLimit,
  requirePositive,
  requireUser,
} from './wallet-rules.ts';
import { requireDepositWithinLimit, type WalletLimits } from './wallet-limits.ts';
import { balanceOf, type WalletState } from './wallet-state.ts';

export const openDepositIntent = (
  command: OpenDepositIntent,
  state: WalletState,
  limits: WalletLimits,
): Decision<WalletEvent> => {
  const userId = requireUser(command.userId);
  const unit = ofKind(command.currency, 'fiat', 'deposits');
  if (state.intents.has(command.intentId)) return accept();
  requirePositive(command.amount, 'amount', 'amount_not_positive', unit);
  requireAmountWithinLimit(command.amount, unit);
  requireDepositWithinLimit(limits, command.amount, unit);
  return accept({
    type: 'DepositIntentOpened',
    data: {
      userId,
      intentId: command.intentId,
      currency: unit.code,
      amount: formatAmount(command.amount, unit),
      provider: command.provider,
      checkoutReference: command.checkoutReference,
      balance: formatAmount(balanceOf(state, unit.code), unit),
    },
  });
};

export const settleDepositIntent = (
  command: SettleDepositIntent,
  state: WalletState,
): Decision<WalletEvent> => {
  const userId = requireUser(command.userId);
  const intent = state.intents.get(command.intentId);
  if (intent === undefined) {
    throw new DomainError(
      'not_found',
      'intent_not_found',
      `no deposit intent ${command.intentId}`,
      {
        intentId: command.intentId,
      },
    );
  }
  if (intent.state !== 'open') return accept();
  const unit = ofKind(intent.currency, 'fiat', 'deposits');
  if (command.currency !== intent.currency || command.amount !== intent.amount) {
    throw new DomainError(
      'rule',
      'intent_mismatch',
      `the provider reports ${String(command.currency)} ${String(command.amount)} minor units for an intent of ${formatAmount(intent.amount, unit)} ${intent.currency}`,
      { intentId: command.intentId },
    );
  }
  const common = {
    userId,
    intentId: command.intentId,
    currency: unit.code,
    amount: formatAmount(intent.amount, unit),
    providerEventId: command.providerEventId,
  };
  if (command.outcome !== 'succeeded') {
    return accept({
      type: 'DepositIntentClosed',
      data: {
        ...common,
        outcome: command.outcome,
        balance: formatAmount(balanceOf(state, unit.code), unit),
      },
    });
  }
  const balance = balanceOf(state, unit.code) + intent.amount;
  // The deposit limit was checked when the intent opened; the payer has paid by now, so only
  // the technical ceiling can refuse the credit (the operator's balance policy does not).
  requireBalanceWithinLimit(balance, unit);
  return accept({
    type: 'DepositIntentSucceeded',
    data: { ...common, balance: formatAmount(balance, unit) },
  });
};
