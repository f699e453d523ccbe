import { createHash } from 'node:crypto';
import type { JsonObject } from '../../ports/event-store.ts';
import { ERASED } from '../../domain/user/personal-data-erased.ts';

/**
 * Which fields of which events are personal data, and whose. Any event whose data holds a
 * `mail` has that address and the `name`, `lastName` and `passwordHash` beside it encrypted
 * under the key of that address's owner (registration, sign-up and account events, whatever
 * their type or version). Fields naming another person are listed by event type.
 */
const OWN_FIELDS = ['mail', 'name', 'lastName', 'passwordHash'] as const;

/** Other people's addresses held by an event: the field, encrypted under that address's key. */
const OTHERS_BY_TYPE: Record<string, readonly string[]> = {
  // Transfers: the recipient's address on the sender's stream, and the reverse.
  TransferSent: ['to'],
  TransferReceived: ['fromMail'],
  TransferCompleted: ['to'],
  TransferRefunded: ['to'],
};

export interface PersonalField {
  field: string;
  /** The address whose owner the field belongs to (plaintext, at append time). */
  owner: string;
}

/** The personal fields of an event about to be written; empty when it holds none. */
export const personalFieldsOf = (type: string, data: JsonObject): PersonalField[] => {
  const found: PersonalField[] = [];
  const owner = data.mail;
  if (typeof owner === 'string' && owner !== ERASED) {
    for (const field of OWN_FIELDS) {
      if (typeof data[field] === 'string' && data[field] !== ERASED) found.push({ field, owner });
    }
  }
  for (const field of OTHERS_BY_TYPE[type] ?? []) {
    const address = data[field];
    if (typeof address === 'string' && address !== ERASED) found.push({ field, owner: address });
  }
  return found;
};

/**
 * The subject a person's key is filed under: the same key that names their registration
 * stream (the hash of the normalized address), so forgetting an address needs nothing else.
 */
export const subjectOf = (mail: string): string =>
  createHash('sha256').update(mail.trim().toLowerCase()).digest('hex').slice(0, 40);
