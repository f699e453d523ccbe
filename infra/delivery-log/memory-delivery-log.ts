import type { QueueMessage } from '../../ports/bus.ts';
import type { DeliveryLog } from '../../ports/delivery-log.ts';
import { createRecentIds } from '../bus/recent-ids.ts';

export interface ParkedRequest {
  message: QueueMessage;
  error: string;
  parkedAt: Date;
}

export interface MemoryDeliveryLog extends DeliveryLog {
  /** What was parked through this log, oldest first. */
  parked(): readonly ParkedRequest[];
}

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * A delivery log that lives as long as its process: enough for tests and for one notifier
 * whose queue is itself in memory (the in-process bus), where a restart loses both anyway.
 * Bounded, so a long-running process does not grow without end; a redelivery comes within
 * minutes, long before `capacity` newer mails pushed its id out.
 */
export function createMemoryDeliveryLog(capacity = 100_000): MemoryDeliveryLog {
  const sent = createRecentIds(capacity);
  const parked: ParkedRequest[] = [];
  return {
    wasSent: async (mailId) => sent.has(mailId),
    recordSent: async (mailId) => {
      sent.add(mailId);
    },
    park: async (message, error) => {
      parked.push({ message, error: errorText(error), parkedAt: new Date() });
    },
    parked: () => parked,
    close: async () => {},
  };
}
