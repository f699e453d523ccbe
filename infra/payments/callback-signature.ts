import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers a provider signs its callbacks with. */
export const SIGNATURE_HEADER = 'Payment-Signature';
export const TIMESTAMP_HEADER = 'Payment-Timestamp';
/** A callback signed longer ago than this is refused: a captured one cannot be replayed later. */
export const MAX_CALLBACK_AGE_SECONDS = 300;

/** `v1=` + hex HMAC-SHA256 over `<timestamp>.<raw body>` (the timestamp in Unix seconds). */
export const signCallback = (secret: Buffer | string, timestamp: string, rawBody: string): string =>
  `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;

export type SignatureCheck = 'valid' | 'missing' | 'stale' | 'mismatch';

/** Checks a callback's signature in constant time and its timestamp against `now`. */
export const checkCallbackSignature = (
  secret: Buffer | string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: string,
  now: Date,
): SignatureCheck => {
  const { signature, timestamp } = headers;
  if (signature === undefined || timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    return 'missing';
  }
  const age = Math.floor(now.getTime() / 1000) - Number(timestamp);
  if (Math.abs(age) > MAX_CALLBACK_AGE_SECONDS) return 'stale';
  const expected = Buffer.from(signCallback(secret, timestamp, rawBody));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? 'valid'
    : 'mismatch';
};
