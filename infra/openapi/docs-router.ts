import { createRequire } from 'node:module';
import { Router, type Response } from 'express';
import type { OpenAPIObject } from 'openapi3-ts/oas31';

/**
 * `/openapi.json` (the document) and `/docs` (Redoc rendering it). Redoc's bundle is served
 * from the installed `redoc` package, so the page works offline and loads no third-party
 * script; its Content-Security-Policy allows this origin only. Redoc injects its styles
 * (styled-components) and runs its search index in a worker made from a blob, hence
 * 'unsafe-inline' for styles and blob: for the worker.
 */

const REDOC_BUNDLE = createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js');

export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Cambio API</title>
    <link rel="icon" href="data:,">
  </head>
  <body>
    <noscript>This reference needs JavaScript; the OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
    <div id="redoc"></div>
    <script src="/docs/redoc.standalone.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

// A file of its own rather than an inline script, so the policy needs no 'unsafe-inline'.
const INIT = `Redoc.init('/openapi.json', { hideDownloadButton: false }, document.getElementById('redoc'));\n`;

const withPolicy = (res: Response): Response => res.setHeader('Content-Security-Policy', DOCS_CSP);

export const docsRouter = (document: () => OpenAPIObject): Router => {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document());
  });
  router.get('/docs', (_req, res) => {
    withPolicy(res).type('html').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    withPolicy(res).type('text/javascript').send(INIT);
  });
  router.get('/docs/redoc.standalone.js', (_req, res, next) => {
    withPolicy(res).sendFile(REDOC_BUNDLE, { maxAge: '1d' }, (error) => {
      if (error) next(error);
    });
  });
  return router;
};
