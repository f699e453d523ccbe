import { createTransport } from 'nodemailer';
import type { Logger } from 'pino';
import type { Mail, Mailer } from '../../ports/mailer.ts';
import { MAIL_ID_HEADER, messageIdFor } from './mail-id.ts';

/**
 * The distributed mail transport: SMTP through a small connection pool. Every mail carries a
 * Message-ID derived from its id, so a mail resent after a lost reply can be recognised as
 * the same mail by the receiving side. Any refusal (4xx, 5xx, timeout) rejects `send`, and
 * the caller's queue redelivers it later.
 */

export interface SmtpMailerOptions {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS is used when offered. */
  secure?: boolean;
  /** Refuse to send unless the connection was upgraded with STARTTLS. */
  requireTLS?: boolean;
  auth?: { user: string; pass: string };
  from: string;
  logger: Logger;
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  maxConnections?: number;
}

export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const logger = options.logger.child({ component: 'smtp-mailer' });
  const transport = createTransport({
    pool: true,
    host: options.host,
    port: options.port,
    secure: options.secure ?? false,
    requireTLS: options.requireTLS ?? false,
    auth: options.auth,
    maxConnections: options.maxConnections ?? 2,
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
    greetingTimeout: options.greetingTimeoutMs ?? 10_000,
    socketTimeout: options.socketTimeoutMs ?? 30_000,
  });
  let closed = false;

  return {
    async send(mail: Mail) {
      if (closed) throw new Error('mailer is closed');
      const messageId = messageIdFor(mail.id, options.from);
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId,
          headers: { [MAIL_ID_HEADER]: mail.id },
        });
        logger.info({ id: mail.id, messageId, response: info.response }, 'mail sent');
      } catch (error) {
        logger.warn({ err: error, id: mail.id }, 'SMTP refused the mail');
        throw error;
      }
    },
    async close() {
      closed = true;
      transport.close();
    },
  };
}
