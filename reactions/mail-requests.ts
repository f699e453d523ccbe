import type { Logger } from 'pino';
import type { Bus } from '../ports/bus.ts';
import type { EventStore, RecordedEvent } from '../ports/event-store.ts';
import { MAIL_QUEUE, type VerificationMailRequest } from '../ports/mail-requests.ts';
import type { ReadStore } from '../ports/read-store.ts';
import {
  CheckpointedSubscriber,
  readStoreCheckpoint,
} from '../projections/checkpointed-subscriber.ts';
import { codeFromNonce } from '../commands/user/verification-codes.ts';
import { ERASED } from '../domain/user/personal-data-erased.ts';

export const MAIL_REQUESTS_CHECKPOINT = 'reaction.mail-requests';

/**
 * Turns events that call for a mail into mail requests on the bus. It follows the log from its
 * own checkpoint and stores it only after the bus accepted the batch, so a crash anywhere loses
 * no mail; the bus de-duplicates a re-sent request by the event id. Codes that expired before
 * the request could be made are not mailed (a long outage or a first start on an old log).
 */
export const mailRequestsReaction = (deps: {
  eventStore: EventStore;
  readStore: ReadStore;
  bus: Bus;
  codeKey: Buffer;
  clock?: () => Date;
  logger?: Logger;
}): CheckpointedSubscriber => {
  const clock = deps.clock ?? (() => new Date());
  const checkpoint = readStoreCheckpoint(deps.readStore, MAIL_REQUESTS_CHECKPOINT);
  const requestFor = (event: RecordedEvent): VerificationMailRequest | null => {
    if (event.type !== 'VerificationCodeIssued') return null;
    const { mail, codeNonce, expiresAt } = event.data;
    if (
      typeof mail !== 'string' ||
      typeof codeNonce !== 'string' ||
      typeof expiresAt !== 'string'
    ) {
      deps.logger?.error({ eventId: event.id }, 'verification event without mail, nonce or expiry');
      return null;
    }
    if (Date.parse(expiresAt) <= clock().getTime()) return null;
    // The person was forgotten before the mail went out: there is no address left to mail.
    if (mail === ERASED) return null;
    return {
      kind: 'verification',
      eventId: event.id,
      to: mail,
      code: codeFromNonce(deps.codeKey, codeNonce),
      expiresAt,
    };
  };
  return new CheckpointedSubscriber({
    name: 'mail-requests',
    eventStore: deps.eventStore,
    loadCheckpoint: checkpoint.load,
    saveCheckpoint: checkpoint.save,
    batchSize: 100,
    handleBatch: async (events) => {
      for (const event of events) {
        const request = requestFor(event);
        if (request !== null) await deps.bus.enqueue(MAIL_QUEUE, event.id, { ...request });
      }
    },
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
};
