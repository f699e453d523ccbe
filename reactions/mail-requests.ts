import type { Logger } from 'pino';
import type { Bus } from '../ports/bus.ts';
import type { EventStore, RecordedEvent } from '../ports/event-store.ts';
import { MAIL_QUEUE, type MailRequest } from '../ports/mail-requests.ts';
import type { ReadStore } from '../ports/read-store.ts';
import {
  CheckpointedSubscriber,
  readStoreCheckpoint,
} from '../projections/checkpointed-subscriber.ts';
import { codeFromNonce } from '../commands/user/verification-codes.ts';
import { inEventSpan } from '../projections/event-spans.ts';
import { ERASED } from '../domain/user/personal-data-erased.ts';

export const MAIL_REQUESTS_CHECKPOINT = 'reaction.mail-requests';

/**
 * Turns events that call for a mail (a verification code, an attempt to register a taken
 * address, a locked sign-in) into mail requests on the bus. It follows the log from its
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
  const malformed = (event: RecordedEvent): null => {
    deps.logger?.error({ eventId: event.id, type: event.type }, 'mail event lacks a field');
    return null;
  };
  // The person was forgotten before the mail went out: there is no address left to mail.
  const requestFor = (event: RecordedEvent): MailRequest | null => {
    const request = requestOf(event);
    return request === null || request.to === ERASED ? null : request;
  };
  const requestOf = (event: RecordedEvent): MailRequest | null => {
    const { data } = event;
    switch (event.type) {
      case 'VerificationCodeIssued': {
        const { mail, codeNonce, expiresAt } = data;
        if (
          typeof mail !== 'string' ||
          typeof codeNonce !== 'string' ||
          typeof expiresAt !== 'string'
        ) {
          return malformed(event);
        }
        if (Date.parse(expiresAt) <= clock().getTime()) return null;
        return {
          kind: 'verification',
          eventId: event.id,
          to: mail,
          code: codeFromNonce(deps.codeKey, codeNonce),
          expiresAt,
        };
      }
      case 'RegistrationAttempted': {
        const { mail, issuedAt, expiresAt } = data;
        if (typeof mail !== 'string' || typeof issuedAt !== 'string') return malformed(event);
        // As stale as an expired code: the owner learns nothing useful from it any more.
        if (typeof expiresAt === 'string' && Date.parse(expiresAt) <= clock().getTime()) {
          return null;
        }
        return { kind: 'registration-attempt', eventId: event.id, to: mail, at: issuedAt };
      }
      case 'SignInLocked': {
        const { mail, until, failures } = data;
        if (typeof mail !== 'string' || typeof until !== 'string' || typeof failures !== 'number') {
          return malformed(event);
        }
        if (Date.parse(until) <= clock().getTime()) return null;
        return { kind: 'sign-in-locked', eventId: event.id, to: mail, until, failures };
      }
      default:
        return null;
    }
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
        if (request === null) continue;
        // Inside the event's span, so the bus carries the trace on to the notifier.
        await inEventSpan(event, () => deps.bus.enqueue(MAIL_QUEUE, event.id, { ...request }));
      }
    },
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
};
