import express, { Router, type Response } from 'express';
import { join } from 'node:path';
import { HttpProblem } from '../infra/http/problem.ts';
import type { ConsoleBundle } from './console-bundle.ts';

/**
 * The console's own policy: its script and stylesheet from this origin only, API calls and the
 * websocket to this origin only, no inline script or style, no frames, no forms posting away.
 * `connect-src 'self'` covers ws:/wss: to the same host (CSP Level 3).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const setConsoleHeaders = (res: Response): void => {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
};

/**
 * `/app`: the web console for traders, auditors and operators. index.html is never cached (it
 * names the current bundle); the bundle's files carry a content hash and are cached for good.
 */
export const consoleRouter = (bundle: ConsoleBundle): Router => {
  const router = Router();
  router.use('/app', (_req, res, next) => {
    setConsoleHeaders(res);
    next();
  });
  if (!bundle.ready) {
    router.get(['/app', '/app/{*rest}'], () => {
      throw new HttpProblem(503, 'console_not_built', bundle.reason);
    });
    return router;
  }
  const sendIndex = (res: Response) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(join(bundle.dir, 'index.html'));
  };
  router.get(['/app', '/app/'], (_req, res) => sendIndex(res));
  router.use(
    '/app',
    express.static(bundle.dir, {
      index: false,
      dotfiles: 'ignore',
      fallthrough: true,
      immutable: true,
      maxAge: '365d',
      setHeaders: (res, path) => {
        if (path.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
      },
    }),
  );
  return router;
};
