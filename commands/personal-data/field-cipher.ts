import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';

/**
 * One encrypted field: `pd1:<keyId>:<base64url(iv | ciphertext | tag)>`, AES-256-GCM. The IV
 * is derived from the key, the event id and the field name: unique per (key, event, field),
 * and the same on a retried append of the same event, so a retry stores the very same bytes
 * (and the same hash). The event id and field name are authenticated too, so a ciphertext
 * cannot be moved to another event or field.
 */
const PREFIX = 'pd1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const contextOf = (eventId: string, field: string) => Buffer.from(`${eventId}\u0000${field}`);

export const isEncrypted = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith(PREFIX);

export const encryptField = (
  key: { keyId: string; key: Buffer },
  eventId: string,
  field: string,
  plaintext: string,
): string => {
  const context = contextOf(eventId, field);
  const iv = createHmac('sha256', key.key).update(context).digest().subarray(0, IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(context);
  const body = Buffer.concat([
    cipher.update(plaintext, 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return `${PREFIX}${key.keyId}:${Buffer.concat([iv, body]).toString('base64url')}`;
};

/** The key id an encrypted field names. */
export const keyIdOf = (value: string): string => value.slice(PREFIX.length).split(':', 1)[0] ?? '';

/** Throws when the ciphertext was altered (the GCM tag does not match). */
export const decryptField = (
  key: Buffer,
  eventId: string,
  field: string,
  value: string,
): string => {
  const packed = Buffer.from(value.slice(value.indexOf(':', PREFIX.length) + 1), 'base64url');
  const iv = packed.subarray(0, IV_BYTES);
  const tag = packed.subarray(packed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(contextOf(eventId, field));
  decipher.setAuthTag(tag);
  return Buffer.concat([
    decipher.update(packed.subarray(IV_BYTES, packed.length - TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
};
