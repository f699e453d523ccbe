import type { SchemaObject } from 'openapi3-ts/oas31';
import { principalOf } from '../infra/http/authenticate.ts';
import { HttpProblem } from '../infra/http/problem.ts';
import { problemResponses as problems, type RouteSpec } from '../infra/http/route-spec.ts';
import { MAX_HISTORY_LIMIT, type ReadModelQueries } from '../projections/queries.ts';
import { historyQuery } from './user-routes.ts';

const transferSchema: SchemaObject = {
  type: 'object',
  properties: {
    transferId: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'completed', 'refunded'] },
    direction: { type: 'string', enum: ['out', 'in'] },
    counterparty: { type: 'string', description: "The other side's mail" },
    currency: { type: 'string' },
    amount: { type: 'string' },
    reason: {
      type: 'string',
      description: 'Why it was refunded: recipient_not_found, recipient_cannot_receive, ...',
    },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cursor: historyQuery.properties.cursor,
    limit: historyQuery.properties.limit,
    minPosition: historyQuery.properties.minPosition,
  },
} as const;

const byIdQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { minPosition: historyQuery.properties.minPosition },
} as const;

const notFound = () =>
  new HttpProblem(404, 'transfer_not_found', 'No transfer with this id is yours to see.');

/** Transfers the caller sent or received; anyone else's answer 404, as unknown ids do. */
export const transferReadRoutes = (queries: ReadModelQueries): RouteSpec[] => [
  {
    method: 'get',
    path: '/api/user/wallet/transfers/:transferId',
    operationId: 'getTransfer',
    summary: 'One transfer the caller sent or received, with its state',
    tags: ['wallet'],
    auth: true,
    query: byIdQuery,
    readYourWrites: true,
    responses: {
      200: { description: 'The transfer', schema: transferSchema },
      ...problems(401, 404, 503),
    },
    handle: async (req, res) => {
      const transferId = String(req.params.transferId);
      if (transferId.length > 64) throw notFound();
      const transfer = await queries.getTransfer(principalOf(req).userId, transferId);
      if (transfer === null) throw notFound();
      res.json(transfer);
    },
  },
  {
    method: 'get',
    path: '/api/user/wallet/transfers',
    operationId: 'listTransfers',
    summary: "The caller's transfers, sent and received, newest first, with cursor pagination",
    tags: ['wallet'],
    auth: true,
    query: listQuery,
    readYourWrites: true,
    responses: {
      200: {
        description: 'A page of transfers and the cursor of the next one',
        example: {
          transfers: [
            {
              transferId: '0b0f6a3e-5d2c-4a7e-9c1b-2f3d4e5f6a7b',
              state: 'completed',
              direction: 'out',
              counterparty: 'grace@example.com',
              currency: 'USD',
              amount: '12.50',
            },
          ],
          nextCursor: null,
        },
      },
      ...problems(400, 401, 503),
    },
    handle: async (req, res) => {
      const query = req.query as { cursor?: string; limit?: string };
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
      res.json(
        await queries.listTransfers(principalOf(req).userId, {
          limit,
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        }),
      );
    },
  },
];
