import { ROOT_CONTEXT, context, propagation, type Context } from '@opentelemetry/api';

/**
 * How a trace crosses a boundary that is not HTTP: the W3C trace-context fields (`traceparent`,
 * `tracestate`) written into event metadata by the append and into bus message headers by the
 * producer, and read back by the projector, the reactions and the queue's consumers. Uses the
 * OpenTelemetry API only: without a registered SDK both sides do nothing.
 */

/** The active trace context as W3C fields; empty when no span is active. */
export const traceFields = (): Record<string, string> => {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
};

/** The context the W3C fields `get` returns describe (the root context when there are none). */
export const contextFromFields = (get: (name: string) => unknown): Context =>
  propagation.extract(ROOT_CONTEXT, null, {
    keys: () => [],
    get: (_carrier, key) => {
      const value = get(key);
      return typeof value === 'string' && value !== '' ? value : undefined;
    },
  });
