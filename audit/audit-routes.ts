import type { EventStore, RecordedEvent } from '../ports/event-store.ts';
import { problemResponses as problems, type RouteSpec } from '../infra/http/route-spec.ts';
import { positionParam } from '../infra/http/position-param.ts';
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

const limitOf = (raw: unknown): number =>
  Math.min(1000, Math.max(1, raw === undefined ? 100 : Number(raw)));

/**
 * Audit replay for auditors (and admins): the global log page by page, one stream, and a
 * wallet re-checked from its events alone. Read-only; served by roles that hold the event store.
 */
export const auditRoutes = (eventStore: EventStore): RouteSpec[] => [
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
      const events = await eventStore.readAll({
        after: positionParam(query.after, 'after'),
        maxCount: limitOf(query.limit),
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
    summary: 'Replay a wallet from its events and check every amount, rate and balance',
    tags: ['audit'],
    auth: ['auditor', 'admin'],
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
      ...problems(401, 403),
    },
    handle: async (req, res) => {
      res.json(await auditWallet(eventStore, String(req.params.userId)));
    },
  },
];
