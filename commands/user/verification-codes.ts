import { createHmac, randomBytes } from 'node:crypto';

/**
 * Verification codes are never stored. Issuing one records a random nonce and the code's
 * hash; the code itself is HMAC(key, nonce) reduced to 6 digits, so only a holder of the
 * server key can recompute it — the mail reaction does, after a crash too.
 */
export const CODE_DIGITS = 6;

export const codeFromNonce = (key: Buffer, nonce: string): string => {
  const digest = createHmac('sha256', key).update(`code:${nonce}`).digest();
  // 64 bits reduced mod 10^6: the bias is below 10^-13.
  const value = digest.readBigUInt64BE(0) % 10n ** BigInt(CODE_DIGITS);
  return value.toString().padStart(CODE_DIGITS, '0');
};

/** Bound to the address, so a code hash from one registration says nothing of another. */
export const hashCode = (key: Buffer, mail: string, code: string): string =>
  createHmac('sha256', key).update(`hash:${mail}:${code}`).digest('base64url');

export const issueCode = (key: Buffer, mail: string) => {
  const nonce = randomBytes(16).toString('base64url');
  const code = codeFromNonce(key, nonce);
  return { nonce, code, codeHash: hashCode(key, mail, code) };
};
