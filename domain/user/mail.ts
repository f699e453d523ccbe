import { DomainError } from '../errors.ts';

export const REGISTRATION_STREAM_PREFIX = 'registration-';
/** RFC 5321 limits: the whole path and the local part. */
const MAX_MAIL_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;

// Dot-atom local part and an ASCII (or punycode) host name with at least two labels. Quoted
// local parts and IP literals are legal but have no business on a wallet account.
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const HOST_NAME =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

const invalid = (mail: string, reason: string) =>
  new DomainError('validation', 'mail_invalid', `not a valid e-mail address: ${reason}`, {
    field: 'mail',
    value: mail,
  });

/**
 * The one spelling of an address that uniqueness is decided on: trimmed and lower-cased.
 * Throws DomainError 'validation' `mail_invalid` when it is not a plausible address.
 */
export const normalizeMail = (mail: string): string => {
  if (typeof mail !== 'string') throw invalid(String(mail), 'not text');
  const normalized = mail.trim().toLowerCase();
  if (normalized.length === 0) throw invalid(mail, 'empty');
  if (normalized.length > MAX_MAIL_LENGTH) throw invalid(mail, 'too long');
  const at = normalized.lastIndexOf('@');
  if (at <= 0) throw invalid(mail, 'no local part or no @');
  const local = normalized.slice(0, at);
  const host = normalized.slice(at + 1);
  if (local.length > MAX_LOCAL_LENGTH) throw invalid(mail, 'local part too long');
  if (!LOCAL_PART.test(local)) throw invalid(mail, 'bad local part');
  if (!HOST_NAME.test(host)) throw invalid(mail, 'bad domain');
  return normalized;
};

/** normalizeMail as a value: the decider answers with the error instead of throwing it. */
export const tryNormalizeMail = (
  mail: string,
): { ok: true; mail: string } | { ok: false; error: DomainError } => {
  try {
    return { ok: true, mail: normalizeMail(mail) };
  } catch (error) {
    if (error instanceof DomainError) return { ok: false, error };
    throw error;
  }
};

/**
 * The registration (and uniqueness reservation) stream of one address. `key` is derived from
 * the normalized address by the caller (e.g. a hash of it, to keep addresses out of stream
 * ids); every caller must derive it the same way or uniqueness is lost.
 */
export const registrationStreamId = (key: string): string => {
  if (key.length === 0) throw new TypeError('registration stream key must not be empty');
  return `${REGISTRATION_STREAM_PREFIX}${key}`;
};
