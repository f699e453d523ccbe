import { randomUUID } from 'node:crypto';
import type { EventToAppend, JsonObject } from '../../../ports/event-store.ts';

/** An event with a fresh id and complete metadata, for store-level tests. */
export const testEvent = (type: string, data: JsonObject, actor = 'test'): EventToAppend => {
  const id = randomUUID();
  return {
    id,
    type,
    data,
    metadata: {
      correlationId: id,
      causationId: id,
      actor,
      schemaVersion: 1,
      timestamp: new Date().toISOString(),
    },
  };
};
