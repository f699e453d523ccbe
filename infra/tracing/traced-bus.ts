import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Bus } from '../../ports/bus.ts';

const tracer = trace.getTracer('cambio');

const failed = (span: Span, error: unknown) => {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR });
};

/**
 * Traces the queues: `send <queue>` around an enqueue (the adapter carries its context in the
 * message headers) and `process <queue>` around a handler (a child of the sender's span, which
 * the adapter restores from the headers). Topics are not traced: ticks and pushes are too many.
 */
export const tracedBus = (bus: Bus): Bus => ({
  publish: (subject, data) => bus.publish(subject, data),
  subscribe: (subject, handler) => bus.subscribe(subject, handler),
  health: () => bus.health(),
  close: () => bus.close(),
  enqueue: (queue, id, data) =>
    tracer.startActiveSpan(
      `send ${queue}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: { 'messaging.destination.name': queue, 'messaging.message.id': id },
      },
      async (span) => {
        try {
          await bus.enqueue(queue, id, data);
        } catch (error) {
          failed(span, error);
          throw error;
        } finally {
          span.end();
        }
      },
    ),
  consume: (queue, handler, options) =>
    bus.consume(
      queue,
      (message) =>
        tracer.startActiveSpan(
          `process ${queue}`,
          {
            kind: SpanKind.CONSUMER,
            attributes: {
              'messaging.destination.name': queue,
              'messaging.message.id': message.id,
              'cambio.delivery_count': message.deliveryCount,
            },
          },
          async (span) => {
            try {
              await handler(message);
            } catch (error) {
              failed(span, error);
              throw error;
            } finally {
              span.end();
            }
          },
        ),
      options,
    ),
});
