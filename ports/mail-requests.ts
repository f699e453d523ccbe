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

/** Someone asked to register an address that already has an account: its owner is told. */
export interface RegistrationAttemptMailRequest {
  kind: 'registration-attempt';
  eventId: string;
  to: string;
  at: string;
}

/** Too many wrong passwords for an account: sign-in is locked and its owner is told. */
export interface SignInLockedMailRequest {
  kind: 'sign-in-locked';
  eventId: string;
  to: string;
  until: string;
  failures: number;
}

export type MailRequest =
  VerificationMailRequest | RegistrationAttemptMailRequest | SignInLockedMailRequest;

const FIELDS: Record<MailRequest['kind'], Record<string, 'string' | 'number'>> = {
  verification: { code: 'string', expiresAt: 'string' },
  'registration-attempt': { at: 'string' },
  'sign-in-locked': { until: 'string', failures: 'number' },
};

/** The one parser of a mail request, for whoever takes one off the queue. */
export const isMailRequest = (data: unknown): data is MailRequest => {
  if (typeof data !== 'object' || data === null) return false;
  const record = data as Record<string, unknown>;
  const fields =
    typeof record.kind === 'string' ? FIELDS[record.kind as MailRequest['kind']] : undefined;
  if (fields === undefined) return false;
  if (typeof record.eventId !== 'string' || typeof record.to !== 'string') return false;
  return Object.entries(fields).every(([field, type]) => typeof record[field] === type);
};
