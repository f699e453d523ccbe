import { isSpanContextValid, trace } from '@opentelemetry/api';

/** pino mixin: the active span's ids on every log line, so logs and traces join up. */
export const traceLogFields = (): Record<string, string> => {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext)
    ? { trace_id: spanContext.traceId, span_id: spanContext.spanId }
    : {};
};
