import { createHash, randomUUID } from 'node:crypto';
import { walletStreamId, type DepositIntentOpened } from '../../domain/wallet/index.ts';
import type { PaymentProvider } from '../../ports/payment-provider.ts';
import type { CommandContext } from '../command-context.ts';
import type { CommandHandler } from '../command-handler.ts';
import { walletAggregate } from '../aggregates.ts';
import { parseField } from './wallet-commands.ts';
import { formatAmount, currency as currencyOf } from '../../domain/money/index.ts';

export interface DepositIntentInput {
  amount: string;
  /** A fiat currency; USD when omitted. */
  currency?: string;
}

export interface DepositIntentAccepted {
  intentId: string;
  state: 'open';
  currency: string;
  amount: string;
  provider: string;
  checkoutReference: string;
  checkoutUrl?: string;
  position: bigint;
  replayed: boolean;
}

/**
 * A retry under the same Idempotency-Key names the same intent, so the provider (which gets the
 * intent id as its own idempotency key) and the wallet both see one payment, not two.
 */
const intentIdFor = (userId: string, context: CommandContext): string => {
  if (context.idempotencyKey === undefined) return randomUUID();
  const hex = createHash('sha256')
    .update(`deposit-intent\u0000${userId}\u0000${context.idempotencyKey}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

/**
 * Asks the provider for a checkout and records the intent; nothing is credited until the
 * provider's callback says the payment succeeded. The payer learns the checkout reference only
 * from this answer, so no callback can come before the intent is recorded.
 */
export const openDepositIntent = async (
  deps: {
    handler: CommandHandler;
    provider: PaymentProvider;
    /** The wallet aggregate under the operator's limits; the deposit limit applies here. */
    wallet?: typeof walletAggregate;
  },
  userId: string,
  input: DepositIntentInput,
  context: CommandContext,
): Promise<DepositIntentAccepted> => {
  const code = input.currency ?? 'USD';
  const amount = parseField(input.amount, code, 'amount');
  const intentId = intentIdFor(userId, context);
  const checkout = await deps.provider.createCheckout({
    intentId,
    userId,
    currency: code,
    amount: formatAmount(amount, currencyOf(code)),
  });
  const outcome = await deps.handler.handle(
    deps.wallet ?? walletAggregate,
    walletStreamId(userId),
    {
      type: 'OpenDepositIntent',
      userId,
      intentId,
      currency: code,
      amount,
      provider: deps.provider.name,
      checkoutReference: checkout.checkoutReference,
    },
    context,
  );
  const opened = outcome.events.find((event) => event.type === 'DepositIntentOpened');
  if (opened === undefined) throw new Error('an intent was accepted without being recorded');
  const data = opened.data as DepositIntentOpened['data'];
  return {
    intentId: data.intentId,
    state: 'open',
    currency: data.currency,
    amount: data.amount,
    provider: data.provider,
    checkoutReference: data.checkoutReference,
    ...(checkout.checkoutUrl !== undefined && !outcome.replayed
      ? { checkoutUrl: checkout.checkoutUrl }
      : {}),
    position: outcome.position,
    replayed: outcome.replayed,
  };
};
