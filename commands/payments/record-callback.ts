import { createHash, randomUUID } from 'node:crypto';
import {
  WrongExpectedRevisionError,
  type EventStore,
  type JsonObject,
} from '../../ports/event-store.ts';
import type { PaymentCallback } from '../../ports/payment-provider.ts';
import type { CommandContext } from '../command-context.ts';

export const PAYMENT_CALLBACK_RECEIVED = 'PaymentCallbackReceived';
export const PAYMENT_CALLBACK_SCHEMA_VERSION = 1;

/** One stream per provider notification id: its first event reserves the id. */
export const paymentCallbackStreamId = (provider: string, callbackId: string): string =>
  `payment-callback-${createHash('sha256').update(`${provider}\u0000${callbackId}`).digest('hex').slice(0, 40)}`;

export type PaymentCallbackRecord = PaymentCallback & { provider: string };

/**
 * Records a verified callback durably, once per provider notification id (appended with "no
 * stream" expected, so a replay of the same id finds the stream and records nothing).
 * Resolves to 'duplicate' for a replay.
 */
export const recordPaymentCallback = async (
  eventStore: EventStore,
  provider: string,
  callback: PaymentCallback,
  context: CommandContext,
): Promise<'recorded' | 'duplicate'> => {
  const data: PaymentCallbackRecord = { ...callback, provider };
  try {
    await eventStore.append(
      paymentCallbackStreamId(provider, callback.id),
      [
        {
          id: randomUUID(),
          type: PAYMENT_CALLBACK_RECEIVED,
          data: data as unknown as JsonObject,
          metadata: {
            correlationId: context.correlationId,
            causationId: context.causationId,
            actor: context.actor,
            schemaVersion: PAYMENT_CALLBACK_SCHEMA_VERSION,
            timestamp: context.now.toISOString(),
          },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    return 'recorded';
  } catch (error) {
    if (error instanceof WrongExpectedRevisionError) return 'duplicate';
    throw error;
  }
};
