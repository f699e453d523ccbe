import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { tracingRequested } from './tracing-requested.ts';

export interface Tracing {
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

/** The OTLP protocols this build exports with (gRPC would add a native-free but large client). */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/**
 * Starts OpenTelemetry tracing when the environment asks for it (off otherwise), configured by
 * the standard variables: OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _PROTOCOL (http/protobuf by
 * default, or http/json), _HEADERS, _TIMEOUT, _COMPRESSION; OTEL_SERVICE_NAME (default
 * cambio-<role>) and OTEL_RESOURCE_ATTRIBUTES; OTEL_TRACES_SAMPLER[_ARG]; OTEL_BSP_*.
 * Registers the global tracer provider, W3C trace-context propagation and an
 * AsyncLocalStorage context, so the API calls in the code record spans from here on.
 */
export const startTracing = (
  role: string,
  env: NodeJS.ProcessEnv = process.env,
): Tracing | null => {
  if (!tracingRequested(env)) return null;
  const variable = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = env[variable] ?? 'http/protobuf';
  if (!(OTLP_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new Error(`${variable}=${protocol} is not supported: use ${OTLP_PROTOCOLS.join(' or ')}`);
  }
  const exporter: SpanExporter =
    protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: `cambio-${role}` }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
};
