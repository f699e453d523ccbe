import { principalOf } from '../infra/http/authenticate.ts';
import { HttpProblem } from '../infra/http/problem.ts';
import { noneMatch } from '../infra/http/conditional.ts';
import { problemResponses as problems, type RouteSpec } from '../infra/http/route-spec.ts';
import { MAX_HISTORY_LIMIT, type ReadModelQueries } from '../projections/queries.ts';
import { currencies } from '../domain/money/index.ts';
import { HISTORY_TYPES, type HistoryType } from '../projections/read-models/history.ts';
import type { EventStore } from '../ports/event-store.ts';
import { cutoffOf, pointInTimeProperties } from '../audit/point-in-time.ts';
import { auditWallet } from '../audit/wallet-audit-report.ts';
import { sortedBalances } from '../projections/read-models/balances.ts';

const balancesSchema = {
  type: 'object',
  additionalProperties: { type: 'string' },
  example: { USD: '64.05', BTC: '1.0054' },
} as const;

export const historyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    currency: {
      type: 'string',
      enum: currencies().map((c) => c.code),
      description: 'Only entries in this currency',
    },
    type: {
      type: 'string',
      enum: [...HISTORY_TYPES] as string[],
      description: 'Only entries of this type',
    },
    cursor: {
      type: 'string',
      maxLength: 64,
      pattern: '^[A-Za-z0-9_-]+$',
      description: '`nextCursor` of the previous page',
    },
    limit: {
      type: 'string',
      pattern: '^[0-9]{1,3}$',
      description: `Entries per page, 1 to ${MAX_HISTORY_LIMIT} (default 50)`,
    },
    minPosition: {
      type: 'string',
      pattern: '^[0-9]{1,20}$',
      description: 'Same as the X-Min-Position header',
    },
  },
} as const;

const minPositionOnly = {
  type: 'object',
  additionalProperties: false,
  properties: { minPosition: historyQuery.properties.minPosition },
} as const;

const balanceQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { minPosition: historyQuery.properties.minPosition, ...pointInTimeProperties },
} as const;

/**
 * The caller's own profile, balances and history; the user id only ever comes from the token.
 * With the event store at hand, the balance also answers `at` / `position` by replaying the
 * caller's wallet from its events.
 */
export const userReadRoutes = (queries: ReadModelQueries, eventStore?: EventStore): RouteSpec[] => [
  {
    method: 'get',
    path: '/api/user/me',
    operationId: 'me',
    summary: 'The signed-in user',
    tags: ['user'],
    auth: true,
    query: minPositionOnly,
    readYourWrites: true,
    responses: {
      200: {
        description: 'Profile',
        example: {
          status: true,
          userId: '6f1c2b9e-8d4a-4e1f-a3b2-1c9d8e7f6a5b',
          mail: 'ada@example.com',
          name: 'Ada',
          lastName: 'Lovelace',
          registeredAt: '2024-06-01T12:00:00.000Z',
          roles: ['user'],
        },
      },
      ...problems(401, 404, 503),
    },
    handle: async (req, res) => {
      const user = await queries.getUser(principalOf(req).userId);
      if (user === null)
        throw new HttpProblem(
          404,
          'user_not_found',
          'No profile yet for this user; retry shortly.',
        );
      res.json({ status: true, ...user });
    },
  },
  {
    method: 'get',
    path: '/api/user/wallet/balance',
    operationId: 'balance',
    summary:
      "Every balance of the caller's wallet, decimal strings by currency; with `at` or `position`, as it stood then (replayed from the events)",
    tags: ['wallet'],
    auth: true,
    query: balanceQuery,
    readYourWrites: true,
    conditional: 'read',
    responses: {
      200: { description: 'Balances', schema: balancesSchema },
      304: { description: 'Not modified: the wallet is still the version If-None-Match named' },
      ...problems(400, 401, 501, 503),
    },
    handle: async (req, res) => {
      const query = req.query as { at?: string; position?: string };
      const { userId } = principalOf(req);
      if (query.at === undefined && query.position === undefined) {
        const wallet = await queries.getWallet(userId);
        if (wallet.etag !== undefined) {
          res.setHeader('ETag', wallet.etag);
          if (noneMatch(req, wallet.etag)) {
            res.status(304).end();
            return;
          }
        }
        res.json(wallet.balances);
        return;
      }
      if (eventStore === undefined) {
        throw new HttpProblem(
          501,
          'point_in_time_unavailable',
          'This server has no event store to replay from; ask a write-api server.',
        );
      }
      const report = await auditWallet(eventStore, userId, await cutoffOf(eventStore, query));
      res.json(sortedBalances(report.balances));
    },
  },
  {
    method: 'get',
    path: '/api/user/wallet/history',
    operationId: 'history',
    summary: "The caller's transactions, newest first, with cursor pagination",
    tags: ['wallet'],
    auth: true,
    query: historyQuery,
    readYourWrites: true,
    responses: {
      200: {
        description: 'A page of entries and the cursor of the next one',
        example: {
          entries: [
            {
              id: '0b7f3c52-5d7e-4b8e-9a51-6f0d2c9e1a43',
              type: 'deposit',
              currency: 'USD',
              amount: '100.1',
              balance: '100.1',
              at: '2024-06-01T12:00:00.000Z',
              position: '42',
            },
          ],
          nextCursor: 'NDI',
        },
      },
      ...problems(400, 401, 503),
    },
    handle: async (req, res) => {
      const query = req.query as {
        currency?: string;
        type?: HistoryType;
        cursor?: string;
        limit?: string;
      };
      const limit = query.limit === undefined ? 50 : Number(query.limit);
      if (limit < 1 || limit > MAX_HISTORY_LIMIT) {
        throw new HttpProblem(
          400,
          'validation_failed',
          `limit must be from 1 to ${MAX_HISTORY_LIMIT}.`,
          {
            errors: [{ field: 'limit', message: `must be from 1 to ${MAX_HISTORY_LIMIT}` }],
          },
        );
      }
      const page = await queries.listHistory(principalOf(req).userId, {
        limit,
        ...(query.currency === undefined ? {} : { currency: query.currency }),
        ...(query.type === undefined ? {} : { type: query.type }),
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      });
      res.json(page);
    },
  },
];
