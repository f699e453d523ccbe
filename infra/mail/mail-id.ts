import { createHash } from 'node:crypto';

/**
 * Identifiers derived from a mail's stable id. Ids are usually UUIDs and are used as they
 * are; anything that is not safe in a file name or a Message-ID is replaced by its hash, so
 * the same id always maps to the same token.
 */

const SAFE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export function mailIdToken(id: string): string {
  if (SAFE.test(id) && !id.includes('..')) return id;
  return `sha256-${createHash('sha256').update(id, 'utf8').digest('hex')}`;
}

const DOMAIN = /@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>?\s*$/;

/** `<token@domain-of-from>`: the same mail id always yields the same Message-ID. */
export function messageIdFor(id: string, from: string): string {
  const domain = DOMAIN.exec(from)?.[1] ?? 'cambio.invalid';
  return `<${mailIdToken(id)}@${domain}>`;
}

/** Header that carries the mail id itself, for tracing a mail back to its event. */
export const MAIL_ID_HEADER = 'X-Cambio-Mail-Id';
