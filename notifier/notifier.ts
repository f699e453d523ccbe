import type { Logger } from 'pino';
import type { Bus, QueueConsumer, QueueMessage } from '../ports/bus.ts';
import type { DeliveryLog } from '../ports/delivery-log.ts';
import type { Mailer } from '../ports/mailer.ts';
import { MAIL_QUEUE, isMailRequest, type MailRequest } from '../ports/mail-requests.ts';
import type { Mail } from '../ports/mailer.ts';
import { createRecentIds } from '../infra/bus/recent-ids.ts';
import { createMemoryDeliveryLog } from '../infra/delivery-log/memory-delivery-log.ts';
import { isPermanentMailError } from './permanent-mail-error.ts';
import { renderVerificationMail } from './verification-mail.ts';
import { renderRegistrationAttemptMail, renderSignInLockedMail } from './security-mails.ts';

/** What became of one delivery of a mail request (the `outcome` label of the mail metric). */
export type MailOutcome = 'sent' | 'duplicate' | 'failed' | 'parked';

export interface NotifierOptions {
  bus: Bus;
  mailer: Mailer;
  logger: Logger;
  /**
   * The record of sent and refused mail shared by every notifier of the deployment. Without
   * one, a memory of this process only: redeliveries to this process are still skipped.
   */
  deliveryLog?: DeliveryLog;
  /** Deliveries of one request before it is parked for an operator. */
  maxDeliveries?: number;
  /** Delay before redelivering a request the transport did not accept, by delivery count. */
  backoffMs?: (deliveryCount: number) => number;
  /** How long to keep trying to record a mail the transport accepted (NATS may be down). */
  recordPatienceMs?: number;
  onOutcome?: (outcome: MailOutcome) => void;
}

const DEFAULT_MAX_DELIVERIES = 10;
const DEFAULT_RECORD_PATIENCE_MS = 60_000;
/** Ids this process sent, checked before the shared log: cheap, and works while NATS is down. */
const SENT_HERE_CAPACITY = 10_000;

/** 1 s, 2 s, 4 s … at most 5 min: a mail server that is down gets time to come back. */
export const mailBackoffMs = (deliveryCount: number): number =>
  Math.min(300_000, 1000 * 2 ** (deliveryCount - 1));

export const renderMail = (request: MailRequest): Mail => {
  switch (request.kind) {
    case 'verification':
      return renderVerificationMail(request);
    case 'registration-attempt':
      return renderRegistrationAttemptMail(request);
    case 'sign-in-locked':
      return renderSignInLockedMail(request);
  }
};

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Handles one delivery of a mail request; resolving acks it, rejecting asks for a redelivery.
 *
 * Never the same mail twice: the mail's id (its event's id) is looked up in the delivery log
 * before sending and recorded there after the transport accepted it, before the ack. So a
 * notifier that dies after recording but before acking, or an ack lost to a NATS outage,
 * ends in a redelivery that is skipped — here or on any other notifier. One window cannot be
 * closed from this side: a crash after the SMTP server accepted the mail and before the
 * record is written sends it again. That resend carries the same Message-ID (derived from the
 * mail id, infra/mail/mail-id.ts), so a receiving server or client can recognise it.
 */
export const mailHandler = (options: NotifierOptions) => {
  const { logger, mailer } = options;
  const log = options.deliveryLog ?? createMemoryDeliveryLog();
  const patienceMs = options.recordPatienceMs ?? DEFAULT_RECORD_PATIENCE_MS;
  const sentHere = createRecentIds(SENT_HERE_CAPACITY);
  const outcome = (what: MailOutcome) => options.onOutcome?.(what);

  const park = async (message: QueueMessage, error: unknown): Promise<void> => {
    // If parking fails the request stays on the queue and the next delivery parks it.
    await log.park(message, error);
    outcome('parked');
    logger.error(
      { err: error, messageId: message.id, deliveries: message.deliveryCount },
      'mail request refused for good; parked for an operator',
    );
  };

  /** Keeps trying, since giving up means a resend if this request is delivered again. */
  const recordSent = async (mailId: string): Promise<void> => {
    const deadline = Date.now() + patienceMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await log.recordSent(mailId);
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          logger.error(
            { err: error, mailId },
            'could not record a sent mail; a redelivery elsewhere would send it again',
          );
          return;
        }
        logger.warn({ err: error, mailId, attempt }, 'recording a sent mail failed; retrying');
        await delay(Math.min(5_000, 250 * 2 ** attempt));
      }
    }
  };

  return async (message: QueueMessage): Promise<void> => {
    if (!isMailRequest(message.data)) {
      await park(message, new Error('malformed mail request'));
      return;
    }
    const request = message.data;
    const mailId = request.eventId;
    if (sentHere.has(mailId) || (await log.wasSent(mailId))) {
      outcome('duplicate');
      logger.info(
        { mailId, messageId: message.id, delivery: message.deliveryCount },
        'mail already sent; redelivery skipped',
      );
      return;
    }
    const mail = renderMail(request);
    try {
      await mailer.send(mail);
    } catch (error) {
      if (isPermanentMailError(error)) {
        await park(message, error);
        return;
      }
      outcome('failed');
      logger.warn(
        { err: error, mailId, delivery: message.deliveryCount },
        'mail not accepted; will retry',
      );
      throw error;
    }
    sentHere.add(mailId);
    outcome('sent');
    logger.info({ mailId, kind: request.kind, delivery: message.deliveryCount }, 'mail sent');
    // Resolved only once recorded: the ack that follows is then safe to lose.
    await recordSent(mailId);
  };
};

/**
 * The mail service: takes mail requests off the bus, renders them and hands them to the
 * transport; a request is acknowledged only once the transport accepted the mail and the
 * delivery log recorded it, so a crash means a redelivery, never a lost mail. A temporary
 * failure (SMTP 4xx, a broken connection) backs off; a permanent refusal (SMTP 5xx) is parked
 * at once, and so is a request still failing after `maxDeliveries`. Operators list and replay
 * parked requests with `cambio mail parked` and `cambio mail replay`.
 */
export const startNotifier = async (options: NotifierOptions): Promise<QueueConsumer> => {
  const { logger } = options;
  return options.bus.consume(MAIL_QUEUE, mailHandler(options), {
    maxDeliveries: options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES,
    backoffMs: options.backoffMs ?? mailBackoffMs,
    onParked: (message, error) => {
      options.onOutcome?.('parked');
      logger.error(
        { err: error, messageId: message.id, deliveries: message.deliveryCount },
        'mail request parked after its last delivery failed',
      );
    },
  });
};
