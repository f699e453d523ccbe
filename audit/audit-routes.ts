import { UnknownPositionError, type EventStore, type RecordedEvent } from '../ports/event-store.ts';
import { HttpProblem } from '../infra/http/problem.ts';
import { problemResponses as problems, type RouteSpec } from '../infra/http/route-spec.ts';
import { positionParam } from '../infra/http/position-param.ts';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exportEvents } from './event-export.ts';
import { cutoffOf, pointInTimeProperties, requireKnownPosition } from './point-in-time.ts';
import { auditWallet } from './wallet-audit-report.ts';

/** Secrets recorded for login that an audit has no business reading. */
const REDACTED_FIELDS = new Set(['passwordHash']);
const redact = (data: RecordedEvent['data']): RecordedEvent['data'] =>
  Object.fromEntries(
    Object.entries(data).map(([key, value]) => [
      key,
      REDACTED_FIELDS.has(key) ? '[redacted]' : value,
    ]),
  );

/** An event as the audit routes show it, for the OpenAPI examples. */
const EVENT_EXAMPLE = {
  id: '0b7f3c52-5d7e-4b8e-9a51-6f0d2c9e1a43',
  streamId: 'wallet-6f1c2b9e-8d4a-4e1f-a3b2-1c9d8e7f6a5b',
  revision: '0',
  position: '42',
  type: 'FundsDeposited',
  data: {
    userId: '6f1c2b9e-8d4a-4e1f-a3b2-1c9d8e7f6a5b',
    currency: 'USD',
    amount: '100.1',
    balance: '100.1',
  },
  metadata: {
    correlationId: 'c1',
    causationId: 'c1',
    actor: '6f1c2b9e-8d4a-4e1f-a3b2-1c9d8e7f6a5b',
    schemaVersion: 1,
    timestamp: '2024-06-01T12:00:00.000Z',
  },
};

/** An event as auditors see it: bigints as decimal strings, metadata intact, secrets redacted. */
const eventView = (event: RecordedEvent) => ({
  id: event.id,
  streamId: event.streamId,
  revision: String(event.revision),
  position: String(event.position),
  type: event.type,
  data: redact(event.data),
  metadata: event.metadata,
});

const pageQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    after: {
      type: 'string',
      pattern: '^[0-9]{1,20}$',
      description: 'Return events after this global position (default 0)',
    },
    limit: {
      type: 'string',
      pattern: '^[0-9]{1,4}$',
      description: 'Events per page, 1 to 1000 (default 100)',
    },
  },
} as const;

const streamQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    fromRevision: {
      type: 'string',
      pattern: '^[0-9]{1,20}$',
      description: 'First revision (default 0)',
    },
    limit: pageQuery.properties.limit,
  },
} as const;

const walletQuery = {
  type: 'object',
  additionalProperties: false,
  properties: pointInTimeProperties,
} as const;

// A revision is a 64-bit unsigned number on every store; beyond it no stream can reach.
const exportQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    stream: { type: 'string', minLength: 1, maxLength: 200, description: 'Only this stream' },
  },
} as const;

const limitOf = (raw: unknown): number =>
  Math.min(1000, Math.max(1, raw === undefined ? 100 : Number(raw)));

/**
 * Audit replay for auditors (and admins): the global log page by page, one stream, and a
 * wallet re-checked from its events alone. Read-only; served by roles that hold the event store.
 */
export const auditRoutes = (
  eventStore: EventStore,
  /** The events as stored (personal data still encrypted): what exports carry. */
  stored: EventStore = eventStore,
): RouteSpec[] => [
  {
    method: 'get',
    path: '/api/audit/events',
    operationId: 'auditEvents',
    summary: 'The global event log, in position order, page by page (replay from any position)',
    tags: ['audit'],
    auth: ['auditor', 'admin'],
    query: pageQuery,
    responses: {
      200: {
        description: 'A page of events and the position to continue after',
        example: { events: [EVENT_EXAMPLE], next: '42' },
      },
      ...problems(400, 401, 403),
    },
    handle: async (req, res) => {
      const query = req.query as { after?: string; limit?: string };
      const after =
        query.after === undefined
          ? 0n
          : await requireKnownPosition(eventStore, 'after', query.after);
      const events = await eventStore
        .readAll({ after, maxCount: limitOf(query.limit) })
        .catch((error: unknown) => {
          if (!(error instanceof UnknownPositionError)) throw error;
          throw new HttpProblem(
            400,
            'position_unknown',
            `after ${after} is not the position of an event; continue from a "next" this API gave.`,
            { field: 'after' },
          );
        });
      const last = events[events.length - 1];
      res.json({
        events: events.map(eventView),
        next: last ? String(last.position) : (query.after ?? '0'),
      });
    },
  },
  {
    method: 'get',
    path: '/api/audit/streams/:streamId',
    operationId: 'auditStream',
    summary: "One stream's events in revision order",
    tags: ['audit'],
    auth: ['auditor', 'admin'],
    query: streamQuery,
    responses: {
      200: { description: "The stream's events", example: { events: [EVENT_EXAMPLE] } },
      ...problems(400, 401, 403),
    },
    handle: async (req, res) => {
      const query = req.query as { fromRevision?: string; limit?: string };
      const events = await eventStore.readStream(String(req.params.streamId), {
        fromRevision: positionParam(query.fromRevision, 'fromRevision'),
        maxCount: limitOf(query.limit),
      });
      res.json({ events: events.map(eventView) });
    },
  },
  {
    method: 'get',
    path: '/api/audit/wallets/:userId',
    operationId: 'auditWallet',
    summary:
      'Replay a wallet from its events and check every amount, rate and balance; with `at` or `position`, the wallet as it stood then',
    tags: ['audit'],
    auth: ['auditor', 'admin'],
    query: walletQuery,
    responses: {
      200: {
        description: 'Replayed balances and any discrepancy found',
        example: {
          userId: '6f1c2b9e-8d4a-4e1f-a3b2-1c9d8e7f6a5b',
          events: 1,
          balances: { USD: '100.1' },
          problems: [],
        },
      },
      ...problems(400, 401, 403),
    },
    handle: async (req, res) => {
      const cutoff = await cutoffOf(eventStore, req.query as { at?: string; position?: string });
      const report = await auditWallet(eventStore, String(req.params.userId), cutoff);
      res.json({
        ...report,
        ...(cutoff === null
          ? {}
          : 'at' in cutoff
            ? { asOf: { at: cutoff.at } }
            : { asOf: { position: String(cutoff.position) } }),
      });
    },
  },
  {
    method: 'get',
    path: '/api/audit/export',
    operationId: 'auditExport',
    summary:
      'The log (or one stream) as NDJSON, one event per line as stored with its hash chain; verifiable without the server',
    tags: ['audit'],
    auth: ['auditor', 'admin'],
    query: exportQuery,
    responses: {
      200: {
        description: 'application/x-ndjson: one event per line, in position order',
        contentType: 'application/x-ndjson',
        example: EVENT_EXAMPLE,
      },
      ...problems(400, 401, 403),
    },
    handle: async (req, res) => {
      const { stream } = req.query as { stream?: string };
      res.status(200).type('application/x-ndjson');
      res.setHeader('Content-Disposition', 'attachment; filename="cambio-events.ndjson"');
      await pipeline(
        Readable.from(exportEvents(stored, stream === undefined ? {} : { streamId: stream })),
        res,
      );
    },
  },
];
