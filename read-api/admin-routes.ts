import { HttpProblem } from '../infra/http/problem.ts';
import { problemResponses, type RouteSpec } from '../infra/http/route-spec.ts';
import type { ReconciliationRecord } from '../audit/reconciliation-record.ts';
import { projectionStatusJson, type ProjectionStatus } from '../projections/projection-status.ts';

/** Admin views of the projections: position, head, lag, generation and any rebuild in progress. */
export const adminRoutes = (
  statuses: () => Promise<ProjectionStatus[]>,
  lastReconciliation?: () => Promise<ReconciliationRecord | null>,
): RouteSpec[] => [
  {
    method: 'get',
    path: '/api/admin/projections',
    operationId: 'projectionStatus',
    summary: 'Where each projection stands against the event log',
    tags: ['admin'],
    auth: ['admin'],
    responses: {
      200: {
        description: 'One entry per projection',
        example: {
          projections: [
            {
              projection: 'wallet-read-models',
              generation: 1,
              position: '41',
              head: '42',
              lag: '1',
              rebuilding: null,
            },
          ],
        },
      },
      401: { description: 'problem+json (401)' },
      403: { description: 'problem+json (403)' },
    },
    handle: async (_req, res) => {
      const view = (await statuses()).map(projectionStatusJson);
      res.json({ projections: view });
    },
  },
  ...(lastReconciliation === undefined
    ? []
    : [
        {
          method: 'get',
          path: '/api/admin/reconciliation',
          operationId: 'lastReconciliation',
          summary:
            'The result of the last `cambio audit reconcile`: wallets replayed from the log against the read models',
          tags: ['admin'],
          auth: ['admin'],
          responses: {
            200: {
              description: 'When it ran, up to which position, and every difference found',
              example: {
                position: '1042',
                wallets: 12,
                events: 380,
                differences: [],
                startedAt: '2026-01-05T10:00:00.000Z',
                finishedAt: '2026-01-05T10:00:02.000Z',
                ok: true,
                differenceCount: 0,
              },
            },
            ...problemResponses(401, 403, 404),
          },
          handle: async (_req, res) => {
            const last = await lastReconciliation();
            if (last === null) {
              throw new HttpProblem(
                404,
                'no_reconciliation',
                'No reconciliation has run yet; run `cambio audit reconcile`.',
              );
            }
            res.json(last);
          },
        } satisfies RouteSpec,
      ]),
];
