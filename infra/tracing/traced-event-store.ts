import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { EventStore } from '../../ports/event-store.ts';
import { traceFields } from '../../ports/trace-context.ts';

const tracer = trace.getTracer('cambio');

/**
 * Traces appends: an `append <stream>` span (a child of the request's span) whose context is
 * written into every appended event's metadata as `traceparent`, so whoever handles the event
 * later, in any process, continues the trace. Without an active trace, events are unchanged.
 */
export const tracedEventStore = (store: EventStore): EventStore => ({
  // Kept when the store has one: the command handler skips catch-up reads by it.
  ...(store.streamChangeToken ? { streamChangeToken: store.streamChangeToken.bind(store) } : {}),
  append: (streamId, events, options) => {
    if (trace.getActiveSpan() === undefined) return store.append(streamId, events, options);
    return tracer.startActiveSpan(
      `append ${streamId.split('-', 1)[0] ?? streamId}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'cambio.stream.id': streamId,
          'cambio.event.types': events.map((event) => event.type),
          'cambio.expected_revision': String(options.expectedRevision),
        },
      },
      async (span) => {
        const fields = traceFields();
        try {
          const result = await store.append(
            streamId,
            events.map((event) => ({ ...event, metadata: { ...event.metadata, ...fields } })),
            options,
          );
          span.setAttribute('cambio.event.position', String(result.position));
          return result;
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  },
  readStream: (streamId, options) => store.readStream(streamId, options),
  readAll: (options) => store.readAll(options),
  subscribeToAll: (options) => store.subscribeToAll(options),
  headPosition: () => store.headPosition(),
  ping: () => store.ping(),
  close: () => store.close(),
});
