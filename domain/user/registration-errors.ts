import { DomainError } from '../errors.ts';

/** The stable codes the register endpoint can answer with (they become problem types). */
export const REGISTRATION_ERRORS = Object.freeze({
  mailInvalid: 'mail_invalid',
  nameInvalid: 'name_invalid',
  mailTaken: 'mail_taken',
  resendTooSoon: 'resend_too_soon',
  verificationBlocked: 'verification_blocked',
  verificationNotRequested: 'verification_not_requested',
  verificationExpired: 'verification_expired',
  verificationFailed: 'verification_failed',
} as const);

export const mailTaken = (mail: string) =>
  new DomainError(
    'conflict',
    REGISTRATION_ERRORS.mailTaken,
    'this e-mail address is already registered',
    {
      field: 'mail',
      mail,
    },
  );

export const nameInvalid = (field: 'name' | 'lastName', reason: string) =>
  new DomainError('validation', REGISTRATION_ERRORS.nameInvalid, `${field} ${reason}`, {
    field,
    reason,
  });

export const resendTooSoon = (retryAfterSeconds: number) =>
  new DomainError(
    'too_many',
    REGISTRATION_ERRORS.resendTooSoon,
    'a verification code was sent moments ago; wait before asking for another',
    { retryAfterSeconds },
  );

export const verificationBlocked = (until: string, retryAfterSeconds: number) =>
  new DomainError(
    'too_many',
    REGISTRATION_ERRORS.verificationBlocked,
    'too many wrong verification codes; this address is blocked for a while',
    { until, retryAfterSeconds },
  );

export const verificationNotRequested = () =>
  new DomainError(
    'validation',
    REGISTRATION_ERRORS.verificationNotRequested,
    'no verification code is pending for this address; register without a code to get one',
    { field: 'verification' },
  );

export const verificationExpired = (expiredAt: string) =>
  new DomainError(
    'validation',
    REGISTRATION_ERRORS.verificationExpired,
    'the verification code has expired; register without a code to get a new one',
    { field: 'verification', expiredAt },
  );

export const verificationFailed = (remaining: number) =>
  new DomainError(
    'validation',
    REGISTRATION_ERRORS.verificationFailed,
    'the verification code is wrong',
    { field: 'verification', remaining },
  );
