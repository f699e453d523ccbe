import type { EventStore, RecordedEvent } from '../ports/event-store.ts';

/**
 * An export of the log (or one stream) as NDJSON: one event per line exactly as stored, hash
 * chain included, so it can be verified without Cambio (scripts/verify-export.mjs). Streams
 * come in position order: each stream's events in revision order, as a verifier needs them.
 */
export interface ExportOptions {
  streamId?: string;
  /** Called after each page with the events written so far and the position reached. */
  onProgress?: (progress: { events: number; position: bigint; head: bigint }) => void;
  pageSize?: number;
}

export const exportLine = (event: RecordedEvent): string =>
  JSON.stringify({
    streamId: event.streamId,
    revision: String(event.revision),
    position: String(event.position),
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
  });

/** The export, a line (with its newline) at a time; reads page by page, never the whole log. */
export async function* exportEvents(
  eventStore: EventStore,
  options: ExportOptions = {},
): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? 1000;
  const head = await eventStore.headPosition();
  let events = 0;
  if (options.streamId !== undefined) {
    for (let from = 0n; ;) {
      const page = await eventStore.readStream(options.streamId, {
        fromRevision: from,
        maxCount: pageSize,
      });
      for (const event of page) yield `${exportLine(event)}\n`;
      events += page.length;
      const last = page[page.length - 1];
      options.onProgress?.({ events, position: last?.position ?? head, head });
      if (page.length < pageSize || last === undefined) return;
      from = last.revision + 1n;
    }
  }
  for (let after = 0n; after < head;) {
    const page = await eventStore.readAll({ after, maxCount: pageSize });
    for (const event of page) {
      if (event.position > head) break;
      yield `${exportLine(event)}\n`;
      events++;
    }
    const last = page[page.length - 1];
    if (last === undefined) break;
    after = last.position;
    options.onProgress?.({ events, position: after > head ? head : after, head });
  }
}
