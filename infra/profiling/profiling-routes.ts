import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { principalOf } from '../http/authenticate.ts';
import { HttpProblem } from '../http/problem.ts';
import { problemResponses, type RouteSpec } from '../http/route-spec.ts';
import { takeCpuProfile, takeHeapSnapshot } from './profiler.ts';

const cpuQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    seconds: {
      type: 'string',
      pattern: '^([1-9][0-9]?|[12][0-9]{2}|300)$',
      description: 'How long to sample, 1 to 300 seconds (default 10)',
    },
  },
} as const;

const fileName = (role: string, extension: string) =>
  `cambio-${role}-${process.pid}-${new Date().toISOString().replace(/[:.]/g, '-')}.${extension}`;

/**
 * Profiles of this very replica, for admins, mounted only when PROFILING=on: profiling costs
 * CPU and a heap snapshot pauses the process, so an operator turns it on where it is needed.
 * One profile at a time per process.
 */
export const profilingRoutes = (options: { role: string; logger: Logger }): RouteSpec[] => {
  let busy = false;
  const exclusively = async <T>(what: string, take: () => Promise<T>): Promise<T> => {
    if (busy) {
      throw new HttpProblem(409, 'profile_in_progress', 'This process is already being profiled.');
    }
    busy = true;
    try {
      return await take();
    } finally {
      busy = false;
      options.logger.info({ profile: what }, 'profile taken');
    }
  };
  return [
    {
      method: 'post',
      path: '/api/admin/profile/cpu',
      operationId: 'cpuProfile',
      summary: "Sample this replica's CPU for some seconds; answers a .cpuprofile",
      tags: ['admin'],
      auth: ['admin'],
      query: cpuQuery,
      responses: {
        200: { description: 'A V8 CPU profile (open it in Chrome DevTools or VS Code)' },
        ...problemResponses(400, 401, 403, 409),
      },
      handle: async (req, res) => {
        const seconds = Number((req.query as { seconds?: string }).seconds ?? '10');
        options.logger.info({ by: principalOf(req).userId, seconds }, 'taking a CPU profile');
        const profile = await exclusively('cpu', () => takeCpuProfile(seconds));
        res.attachment(fileName(options.role, 'cpuprofile')).type('application/json');
        res.send(JSON.stringify(profile));
      },
    },
    {
      method: 'post',
      path: '/api/admin/profile/heap',
      operationId: 'heapSnapshot',
      summary: 'A heap snapshot of this replica; answers a .heapsnapshot',
      tags: ['admin'],
      auth: ['admin'],
      responses: {
        200: { description: 'A V8 heap snapshot (open it in Chrome DevTools, Memory tab)' },
        ...problemResponses(401, 403, 409),
      },
      handle: async (req, res) => {
        options.logger.info({ by: principalOf(req).userId }, 'taking a heap snapshot');
        await exclusively('heap', async () => {
          res.attachment(fileName(options.role, 'heapsnapshot')).type('application/json');
          await pipeline(takeHeapSnapshot(), res);
        });
      },
    },
  ];
};
