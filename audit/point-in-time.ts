import { parseInstant } from '../domain/user/instant.ts';
import type { EventStore } from '../ports/event-store.ts';
import { HttpProblem } from '../infra/http/problem.ts';
import { positionParam } from '../infra/http/position-param.ts';

/** Where a replay stops: after the last event decided at or before an instant, or at a position. */
export type Cutoff = { at: string } | { position: bigint };

/** The query parameters of a point-in-time read, as JSON Schema (unknown ones are refused). */
export const pointInTimeProperties = {
  at: {
    type: 'string',
    format: 'date-time',
    maxLength: 40,
    description: 'an ISO-8601 instant with offset, e.g. 2024-05-01T12:00:00Z',
  },
  position: {
    type: 'string',
    pattern: '^[0-9]{1,20}$',
    description: 'a global log position (decimal)',
  },
} as const;

/**
 * Checks a position a client sent against the log's head, so an out-of-range one answers
 * 400 naming the field on every store (EventStoreDB would otherwise fail on it as a 500).
 */
export const requireKnownPosition = async (
  eventStore: EventStore,
  field: string,
  raw: string,
): Promise<bigint> => {
  // Any run of digits is a position, however large: past the head it is out of range (below);
  // anything else is not a position at all.
  const position = /^\d+$/.test(raw) ? BigInt(raw) : positionParam(raw, field);
  const head = await eventStore.headPosition();
  if (position > head) {
    throw new HttpProblem(
      400,
      'position_out_of_range',
      `${field} ${raw} is beyond the newest event of the log (position ${head}).`,
      { field, head: String(head) },
    );
  }
  return position;
};

/** The cutoff a query asks for, or null for "now"; `at` and `position` exclude each other. */
export const cutoffOf = async (
  eventStore: EventStore,
  query: { at?: string; position?: string },
): Promise<Cutoff | null> => {
  if (query.at !== undefined && query.position !== undefined) {
    throw new HttpProblem(400, 'validation_failed', 'Give either at or position, not both.', {
      field: 'position',
    });
  }
  if (query.at !== undefined) {
    const ms = Date.parse(query.at);
    try {
      parseInstant(query.at);
    } catch {
      throw new HttpProblem(400, 'validation_failed', 'at must be an ISO-8601 instant.', {
        field: 'at',
      });
    }
    return { at: new Date(ms).toISOString() };
  }
  if (query.position !== undefined) {
    return { position: await requireKnownPosition(eventStore, 'position', query.position) };
  }
  return null;
};
