import { createHash } from 'node:crypto';
import { normalizeMail, registrationStreamId } from '../../domain/user/index.ts';

/**
 * The stream of one address: keyed by a hash of the normalized address so addresses stay
 * out of stream ids (and out of logs that print them).
 */
export const registrationStreamFor = (
  mail: string,
): { mail: string; streamId: string; key: string } => {
  const normalized = normalizeMail(mail);
  const key = createHash('sha256').update(normalized).digest('hex').slice(0, 40);
  return { mail: normalized, streamId: registrationStreamId(key), key };
};
