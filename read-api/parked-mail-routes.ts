import { HttpProblem } from '../infra/http/problem.ts';
import { problemResponses as problems, type RouteSpec } from '../infra/http/route-spec.ts';
import type { ParkedMail, ParkedMailEntry } from '../ports/parked-mail.ts';

const PARKED_EXAMPLE: ParkedMailEntry = {
  id: '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f',
  mailId: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
  to: 'ada@example.com',
  deliveries: 1,
  error: '550 5.1.1 mailbox unavailable',
  parkedAt: '2026-12-03T12:00:00.000Z',
};

const idParameter = { type: 'string', minLength: 1, maxLength: 200 } as const;

/**
 * Admin views of mail the notifier gave up on, and its replay: the same as `cambio mail
 * parked` and `cambio mail replay <id>`, for the web console. Served where the notifier runs.
 */
export const parkedMailRoutes = (parked: ParkedMail): RouteSpec[] => [
  {
    method: 'get',
    path: '/api/admin/mail/parked',
    operationId: 'parkedMail',
    summary: 'Mail requests parked after their last delivery failed or refused for good',
    tags: ['admin'],
    auth: ['admin'],
    responses: {
      200: {
        description: 'Every parked request, oldest first',
        example: { parked: [PARKED_EXAMPLE] },
      },
      ...problems(401, 403),
    },
    handle: async (_req, res) => {
      res.json({ parked: await parked.list() });
    },
  },
  {
    method: 'post',
    path: '/api/admin/mail/parked/:id/replay',
    operationId: 'replayParkedMail',
    summary: 'Put a parked mail request (by its id or mail id) back on the mail queue',
    tags: ['admin'],
    auth: ['admin'],
    responses: {
      202: {
        description: 'Back on the queue; the notifier delivers it as any other',
        example: { replayed: [PARKED_EXAMPLE] },
      },
      ...problems(401, 403, 404),
    },
    handle: async (req, res) => {
      const id = String(req.params.id);
      if (id.length > idParameter.maxLength) {
        throw new HttpProblem(400, 'validation_failed', 'id is too long.', {
          errors: [{ field: 'id', message: `must be at most ${idParameter.maxLength} characters` }],
        });
      }
      const replayed = await parked.replay(id);
      if (replayed.length === 0) {
        throw new HttpProblem(404, 'not_found', `No parked mail request with id ${id}.`);
      }
      res.status(202).json({ replayed });
    },
  },
];
