/**
 * The mail queue on the bus: the mail reaction enqueues one request per event that calls
 * for a mail (message id = the event's id, so a replay is de-duplicated); the notifier
 * renders and sends it.
 */
export const MAIL_QUEUE = 'mail';

export interface VerificationMailRequest {
  kind: 'verification';
  /** The event that asked for this mail; also the mail's stable id. */
  eventId: string;
  to: string;
  code: string;
  expiresAt: string;
}

export type MailRequest = VerificationMailRequest;
