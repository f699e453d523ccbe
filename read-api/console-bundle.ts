import type { Logger } from 'pino';
import { builtStamp, CONSOLE_DIST, sourceStamp } from '../console/source-stamp.ts';

export type ConsoleBundle = { ready: true; dir: string } | { ready: false; reason: string };

/**
 * The web console's bundle, as `npm run build:console` left it (`npm start` runs that first;
 * the image builds it in its own stage). The server never bundles: the bundler is a
 * development tool. A missing bundle leaves /app answering 503 with what to run; one older
 * than its sources is served, with a warning in the log.
 */
export const findConsoleBundle = (logger: Logger): ConsoleBundle => {
  const built = builtStamp();
  if (built === null) {
    logger.warn('web console not built: /app answers 503 until `npm run build:console`');
    return { ready: false, reason: 'The web console is not built: run `npm run build:console`.' };
  }
  if (built !== sourceStamp()) {
    logger.warn('web console bundle is older than its sources: run `npm run build:console`');
  }
  return { ready: true, dir: CONSOLE_DIST };
};
