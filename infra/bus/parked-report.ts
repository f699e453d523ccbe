import type { Logger } from 'pino';
import type { ConsumeOptions, QueueMessage } from '../../ports/bus.ts';

/**
 * What every bus does once a message is parked: log it, and tell the consumer's `onParked`.
 * A failing hook is logged and never un-parks the message.
 */
export const reportParked = async (
  logger: Logger,
  queue: string,
  options: ConsumeOptions,
  message: QueueMessage,
  error: unknown,
): Promise<void> => {
  logger.warn(
    { err: error, queue, id: message.id, deliveries: message.deliveryCount },
    'queue message parked after its last delivery failed',
  );
  try {
    await options.onParked?.(message, error);
  } catch (hookError) {
    logger.error({ err: hookError, queue, id: message.id }, 'onParked failed');
  }
};
