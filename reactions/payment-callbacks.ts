import type { Logger } from 'pino';
import type { CommandHandler } from '../commands/command-handler.ts';
import { walletAggregate } from '../commands/aggregates.ts';
import {
  PAYMENT_CALLBACK_RECEIVED,
  type PaymentCallbackRecord,
} from '../commands/payments/record-callback.ts';
import { isDomainError } from '../domain/errors.ts';
import { currency, parseMinorUnits } from '../domain/money/index.ts';
import { walletStreamId } from '../domain/wallet/index.ts';
import type { EventStore, RecordedEvent } from '../ports/event-store.ts';
import { parsePaymentCallback } from '../ports/payment-provider.ts';
import type { ReadStore } from '../ports/read-store.ts';
import {
  CheckpointedSubscriber,
  readStoreCheckpoint,
} from '../projections/checkpointed-subscriber.ts';

export const PAYMENT_CALLBACKS_CHECKPOINT = 'reaction.payment-callbacks';

const OUTCOMES = {
  'payment.succeeded': 'succeeded',
  'payment.failed': 'failed',
  'payment.expired': 'expired',
} as const;

/**
 * Settles the deposit intent a recorded callback names. The wallet decides each intent once
 * (the first verdict wins), so a repeat after a crash, a duplicate or a late verdict out of
 * order records nothing. Verdicts the wallet refuses for good (no such intent, another amount)
 * are logged and passed over; anything else fails the batch, which is retried.
 */
export const settleFromCallback = async (
  deps: { handler: CommandHandler; logger?: Logger },
  event: RecordedEvent,
): Promise<'settled' | 'ignored'> => {
  const callback = parsePaymentCallback(event.data);
  if (Array.isArray(callback)) {
    deps.logger?.error({ eventId: event.id, problems: callback }, 'unreadable payment callback');
    return 'ignored';
  }
  const { provider } = event.data as unknown as PaymentCallbackRecord;
  try {
    const amount = parseMinorUnits(callback.amount, currency(callback.currency));
    await deps.handler.handle(
      walletAggregate,
      walletStreamId(callback.userId),
      {
        type: 'SettleDepositIntent',
        userId: callback.userId,
        intentId: callback.intentId,
        outcome: OUTCOMES[callback.type],
        providerEventId: `${provider}:${callback.id}`,
        currency: callback.currency,
        amount,
      },
      {
        actor: 'system',
        correlationId: event.metadata.correlationId,
        causationId: event.id,
        now: new Date(),
      },
    );
    return 'settled';
  } catch (error) {
    if (isDomainError(error) && error.kind !== 'conflict' && error.kind !== 'unavailable') {
      deps.logger?.error(
        { eventId: event.id, intentId: callback.intentId, code: error.code },
        'payment callback refused by the wallet',
      );
      return 'ignored';
    }
    throw error;
  }
};

/** Follows the log for recorded callbacks and settles their intents, one at a time. Run one. */
export const paymentCallbacksReaction = (deps: {
  eventStore: EventStore;
  readStore: ReadStore;
  handler: CommandHandler;
  logger?: Logger;
}): CheckpointedSubscriber => {
  const checkpoint = readStoreCheckpoint(deps.readStore, PAYMENT_CALLBACKS_CHECKPOINT);
  return new CheckpointedSubscriber({
    name: 'payment-callbacks',
    eventStore: deps.eventStore,
    loadCheckpoint: checkpoint.load,
    saveCheckpoint: checkpoint.save,
    batchSize: 100,
    handleBatch: async (events) => {
      for (const event of events) {
        if (event.type === PAYMENT_CALLBACK_RECEIVED) await settleFromCallback(deps, event);
      }
    },
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
};
