import type { Logger } from 'pino';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { builtStamp, CONSOLE_DIR, CONSOLE_DIST, sourceStamp } from '../console/source-stamp.ts';

export type ConsoleBundle = { ready: true; dir: string } | { ready: false; reason: string };

/**
 * The web console's bundle, built first when it is missing or older than its sources: a fresh
 * clone serves /app on `npm start` with no build step. Where the bundler is not installed (a
 * production image, which builds the bundle into the image instead) an existing bundle is
 * served as it is, and a missing one leaves /app answering 503 with what to run.
 */
export const prepareConsoleBundle = async (logger: Logger): Promise<ConsoleBundle> => {
  const built = builtStamp();
  const hasSources = existsSync(join(CONSOLE_DIR, 'src'));
  if (built !== null && (!hasSources || built === sourceStamp())) {
    return { ready: true, dir: CONSOLE_DIST };
  }
  let builder: typeof import('../console/build.ts');
  try {
    builder = await import('../console/build.ts');
  } catch (error) {
    if (built !== null) return { ready: true, dir: CONSOLE_DIST };
    logger.warn({ err: error }, 'web console not built, and its bundler is not installed');
    return { ready: false, reason: 'The web console is not built: run `npm run build:console`.' };
  }
  const started = Date.now();
  try {
    const result = await builder.buildConsole();
    logger.info(
      { ms: Date.now() - started, files: result.files },
      built === null ? 'web console built' : 'web console rebuilt: its sources changed',
    );
    return { ready: true, dir: result.dir };
  } catch (error) {
    // The API does not depend on the console: serve it, and say at /app what went wrong.
    logger.error({ err: error }, 'web console build failed');
    return { ready: false, reason: 'The web console failed to build; the server log says why.' };
  }
};
