import { DomainError } from '../domain/errors.ts';
import { MAX_POSITION } from '../ports/event-store.ts';

/**
 * History pages are keyed by the position of the last entry shown. The cursor is opaque to
 * clients (base64url of the position), and positions never change, so a cursor stays valid
 * across rebuilds of the read models.
 */
export const encodeHistoryCursor = (position: bigint): string =>
  Buffer.from(position.toString(), 'utf8').toString('base64url');

const invalidCursor = () =>
  new DomainError('validation', 'cursor_invalid', 'cursor is not one this API handed out', {
    field: 'cursor',
  });

export const decodeHistoryCursor = (cursor: string): bigint => {
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) throw invalidCursor();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[1-9]\d{0,18}$/.test(text) || BigInt(text) > MAX_POSITION) throw invalidCursor();
  return BigInt(text);
};
