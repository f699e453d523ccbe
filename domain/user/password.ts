import { DomainError } from '../errors.ts';

/**
 * bcrypt reads at most 72 bytes of a password and ignores the rest, so a longer password would
 * match on its first 72 bytes. Cambio refuses longer ones (in UTF-8 bytes, not characters: 72
 * characters of Cyrillic are 144 bytes) rather than pre-hashing them, which keeps the stored
 * hashes plain bcrypt. Passwords are NFC-normalised first, at registration and at login, so the
 * same text typed on keyboards that compose accents differently is the same password.
 */
export const MAX_PASSWORD_BYTES = 72;
export const MIN_PASSWORD_CHARACTERS = 8;

export const passwordTooLong = (bytes: number) =>
  new DomainError(
    'validation',
    'password_too_long',
    `The password is ${bytes} bytes in UTF-8; at most ${MAX_PASSWORD_BYTES} are allowed (accented letters take 2 bytes, many other scripts 3, emoji 4).`,
    { field: 'password', maxBytes: MAX_PASSWORD_BYTES },
  );

/** The password as it is hashed and compared: NFC, at most 72 UTF-8 bytes (else throws). */
export const normalizePassword = (password: string): string => {
  const normalized = password.normalize('NFC');
  const bytes = new TextEncoder().encode(normalized).length;
  if (bytes > MAX_PASSWORD_BYTES) throw passwordTooLong(bytes);
  return normalized;
};
