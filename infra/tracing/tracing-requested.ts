/**
 * Whether the standard OpenTelemetry environment asks for traces: an OTLP endpoint or
 * OTEL_TRACES_EXPORTER=otlp, and not OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
 */
export const tracingRequested = (env: NodeJS.ProcessEnv): boolean => {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim());
  if (exporters.includes('none')) return false;
  return (
    exporters.includes('otlp') ||
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT) ||
    Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  );
};
