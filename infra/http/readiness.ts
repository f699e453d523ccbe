import { Router } from 'express';
import { HttpProblem } from './problem.ts';

/** One dependency the process needs to serve: `check` rejects while it is unreachable. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void> | void;
}

const CHECK_TIMEOUT_MS = 2000;

const withTimeout = async (check: ReadinessCheck): Promise<string | null> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(check.check),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer in time')), CHECK_TIMEOUT_MS);
      }),
    ]);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
};

/** `/ready`: 200 when every dependency answers, else 503 naming each one that is down. */
export const readinessRouter = (checks: ReadinessCheck[]): Router => {
  const router = Router();
  router.get('/ready', async (_req, res) => {
    const results = await Promise.all(
      checks.map(async (check) => ({ name: check.name, error: await withTimeout(check) })),
    );
    const down = results.filter((result) => result.error !== null);
    if (down.length > 0) {
      throw new HttpProblem(
        503,
        'not_ready',
        `Not ready: ${down.map((d) => d.name).join(', ')} unreachable.`,
        {
          dependencies: results.map((r) => ({
            name: r.name,
            up: r.error === null,
            error: r.error ?? undefined,
          })),
        },
        { 'Retry-After': '5' },
      );
    }
    res.json({ status: 'ready', dependencies: results.map((r) => ({ name: r.name, up: true })) });
  });
  return router;
};
