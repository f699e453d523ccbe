import type { RouteSpec } from '../infra/http/route-spec.ts';
import { projectionStatusJson, type ProjectionStatus } from '../projections/projection-status.ts';

/** Admin views of the projections: position, head, lag, generation and any rebuild in progress. */
export const adminRoutes = (statuses: () => Promise<ProjectionStatus[]>): RouteSpec[] => [
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
];
