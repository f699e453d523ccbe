import { MAX_POSITION } from '../../ports/event-store.ts';
import { HttpProblem } from './problem.ts';

/**
 * A position or revision a client sent as decimal text (query parameter or header), as a
 * bigint; anything that is not one an event store could hold is a 400 naming `field`, never
 * a 500 from a store that cannot bind it.
 */
export const positionParam = (raw: string | undefined, field: string, fallback = 0n): bigint => {
  if (raw === undefined) return fallback;
  const value = /^\d{1,20}$/.test(raw) ? BigInt(raw) : -1n;
  if (value < 0n || value > MAX_POSITION) {
    throw new HttpProblem(
      400,
      'validation_failed',
      `${field} must be an integer from 0 to ${MAX_POSITION}.`,
      { errors: [{ field, message: `must be an integer from 0 to ${MAX_POSITION}` }] },
    );
  }
  return value;
};
