import { SpanStatusCode, context, trace, type Context, type Span } from '@opentelemetry/api';
import type { RecordedEvent } from '../ports/event-store.ts';
import { contextFromFields } from '../ports/trace-context.ts';

const tracer = trace.getTracer('cambio');

/** The span of each event in the batch being handled, so a handler can act inside it. */
const spanContexts = new WeakMap<RecordedEvent, Context>();

/**
 * Handles a batch with one span per event that carries a trace (its metadata's `traceparent`,
 * written at append): `<subscriber> <event type>`, a child of the append, lasting as long as
 * the batch. So a trace goes on from the command through every subscriber that handled it.
 */
export const withEventSpans = async <T>(
  subscriber: string,
  events: readonly RecordedEvent[],
  handle: () => Promise<T>,
): Promise<T> => {
  const spans: Span[] = [];
  for (const event of events) {
    const parent = contextFromFields((name) => event.metadata[name]);
    if (trace.getSpanContext(parent) === undefined) continue;
    const span = tracer.startSpan(
      `${subscriber} ${event.type}`,
      {
        attributes: {
          'cambio.subscriber': subscriber,
          'cambio.event.id': event.id,
          'cambio.event.type': event.type,
          'cambio.event.position': String(event.position),
          'cambio.stream.id': event.streamId,
          'cambio.batch.size': events.length,
        },
      },
      parent,
    );
    spans.push(span);
    spanContexts.set(event, trace.setSpan(parent, span));
  }
  try {
    return await handle();
  } catch (error) {
    for (const span of spans) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
};

/** Runs `work` inside the span of `event` (see withEventSpans), e.g. to enqueue what it causes. */
export const inEventSpan = <T>(event: RecordedEvent, work: () => T): T => {
  const eventContext = spanContexts.get(event);
  return eventContext === undefined ? work() : context.with(eventContext, work);
};
