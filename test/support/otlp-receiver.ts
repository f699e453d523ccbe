/**
 * An OTLP/HTTP trace receiver in the test process: accepts `POST /v1/traces` in both
 * encodings an exporter may use (http/json and http/protobuf) and keeps every span it got,
 * decoded to the few fields tests look at.
 */
import { createServer, type Server } from 'node:http';
import { freePort } from './nats-server.ts';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  service: string;
  /** How the exporter sent it: the request's content type. */
  encoding: string;
}

export interface OtlpReceiver {
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Resolves once `matches` holds for the spans received so far (checked on every arrival). */
  waitFor(matches: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

// --- protobuf wire format, just enough for ExportTraceServiceRequest --------------------------

type Field = { number: number; wireType: number; value: bigint | Uint8Array };

const fieldsOf = (bytes: Uint8Array): Field[] => {
  const fields: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[at++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const [number, wireType] = [key >>> 3, key & 7];
    if (wireType === 0) fields.push({ number, wireType, value: varint() });
    else if (wireType === 2) {
      const length = Number(varint());
      fields.push({ number, wireType, value: bytes.subarray(at, at + length) });
      at += length;
    } else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else throw new Error(`unsupported protobuf wire type ${wireType}`);
  }
  return fields;
};

const bytesOf = (fields: Field[], number: number): Uint8Array[] =>
  fields
    .filter((f) => f.number === number && f.value instanceof Uint8Array)
    .map((f) => f.value as Uint8Array);
const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8');

/** opentelemetry/proto: request.1 resource_spans { 1 resource { 1 attributes }, 2 scope_spans { 2 spans } }. */
const decodeProtobuf = (body: Uint8Array, encoding: string): ReceivedSpan[] =>
  bytesOf(fieldsOf(body), 1).flatMap((resourceSpans) => {
    const fields = fieldsOf(resourceSpans);
    let service = '';
    for (const resource of bytesOf(fields, 1)) {
      for (const attribute of bytesOf(fieldsOf(resource), 1)) {
        const keyValue = fieldsOf(attribute);
        if (text(bytesOf(keyValue, 1)[0]) !== 'service.name') continue;
        service = text(bytesOf(fieldsOf(bytesOf(keyValue, 2)[0] ?? new Uint8Array()), 1)[0]);
      }
    }
    return bytesOf(fields, 2).flatMap((scopeSpans) =>
      bytesOf(fieldsOf(scopeSpans), 2).map((spanBytes) => {
        const span = fieldsOf(spanBytes);
        return {
          traceId: hex(bytesOf(span, 1)[0]),
          spanId: hex(bytesOf(span, 2)[0]),
          parentSpanId: hex(bytesOf(span, 4)[0]),
          name: text(bytesOf(span, 5)[0]),
          kind: Number(span.find((f) => f.number === 6)?.value ?? 0),
          service,
          encoding,
        };
      }),
    );
  });

interface JsonRequest {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
      }[];
    }[];
  }[];
}

const decodeJson = (body: Uint8Array, encoding: string): ReceivedSpan[] =>
  ((JSON.parse(text(body)) as JsonRequest).resourceSpans ?? []).flatMap((resourceSpans) => {
    const service =
      resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name')?.value
        .stringValue ?? '';
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        service,
        encoding,
      })),
    );
  });

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const encoding = (req.headers['content-type'] ?? '').split(';')[0] ?? '';
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      try {
        spans.push(
          ...(encoding === 'application/json'
            ? decodeJson(body, encoding)
            : decodeProtobuf(body, encoding)),
        );
      } catch {
        res.writeHead(400).end();
        return;
      }
      // An empty ExportTraceServiceResponse: `{}` or zero protobuf bytes.
      if (encoding === 'application/json')
        res.writeHead(200, { 'content-type': encoding }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      for (const wake of waiters) wake();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    waitFor: (matches, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!matches(spans)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `spans not received in ${timeoutMs} ms; got:\n${spans.map((s) => `${s.traceId} ${s.name}`).join('\n')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
