import type { QueueMessage } from './bus.ts';

/**
 * The notifier's durable memory of what happened to each mail, shared by every notifier of a
 * deployment (a NATS KV bucket on the distributed bus, a SQLite file embedded). The queue
 * delivers at least once; this log turns a redelivery of a mail that was already accepted by
 * the transport into a no-op, and keeps requests no retry can deliver where operators see them.
 * Every adapter passes test/notifier/delivery-log.contract.ts.
 */
export interface DeliveryLog {
  /** Whether a transport already accepted the mail with this id. */
  wasSent(mailId: string): Promise<boolean>;
  /** Records that a transport accepted the mail; resolves once the record is durable. */
  recordSent(mailId: string): Promise<void>;
  /**
   * Keeps a request that was refused for good (an SMTP 5xx, a malformed request) with the
   * same operator view and replay as requests the bus parked after their last delivery.
   */
  park(message: QueueMessage, error: unknown): Promise<void>;
  close(): Promise<void>;
}
