import type { Logger } from 'pino';
import type { Bus, QueueConsumer, QueueMessage } from '../ports/bus.ts';
import type { Mailer } from '../ports/mailer.ts';
import { MAIL_QUEUE, type MailRequest } from '../ports/mail-requests.ts';
import { renderVerificationMail } from './verification-mail.ts';

export interface NotifierOptions {
  bus: Bus;
  mailer: Mailer;
  logger: Logger;
  /** Deliveries of one request before it is parked for an operator. */
  maxDeliveries?: number;
  onOutcome?: (outcome: 'sent' | 'failed' | 'parked') => void;
}

const isMailRequest = (data: unknown): data is MailRequest =>
  typeof data === 'object' &&
  data !== null &&
  (data as MailRequest).kind === 'verification' &&
  typeof (data as MailRequest).to === 'string' &&
  typeof (data as MailRequest).code === 'string' &&
  typeof (data as MailRequest).eventId === 'string';

/**
 * The mail service: takes mail requests off the bus, renders them and hands them to the
 * transport; the message is acknowledged only once the transport accepted the mail, so a
 * crash means a redelivery, never a lost mail. Failures back off exponentially (1 s … 5 min);
 * after `maxDeliveries` the request is parked where an operator can see and replay it.
 */
export const startNotifier = async (options: NotifierOptions): Promise<QueueConsumer> => {
  const { logger } = options;
  return options.bus.consume(
    MAIL_QUEUE,
    async (message: QueueMessage) => {
      if (!isMailRequest(message.data)) {
        // A malformed request will not get better with retries: park it at once.
        throw Object.assign(new Error('malformed mail request'), { permanent: true });
      }
      const mail = renderVerificationMail(message.data);
      try {
        await options.mailer.send(mail);
      } catch (error) {
        options.onOutcome?.('failed');
        logger.warn(
          { err: error, mailId: mail.id, delivery: message.deliveryCount },
          'mail not accepted; will retry',
        );
        throw error;
      }
      options.onOutcome?.('sent');
      logger.info({ mailId: mail.id, kind: message.data.kind }, 'mail sent');
    },
    {
      maxDeliveries: options.maxDeliveries ?? 10,
      backoffMs: (delivery) => Math.min(300_000, 1000 * 2 ** (delivery - 1)),
      onParked: (message, error) => {
        options.onOutcome?.('parked');
        logger.error(
          { err: error, messageId: message.id, deliveries: message.deliveryCount },
          'mail request parked',
        );
      },
    },
  );
};
