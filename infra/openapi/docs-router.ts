import { Router } from 'express';
import redocModule from 'redoc-express';
import type { OpenAPIObject } from 'openapi3-ts/oas31';

// redoc-express is CommonJS: under ESM its function may arrive wrapped in `default`.
type Redoc = (options: { title: string; specUrl: string }) => import('express').RequestHandler;
const redoc: Redoc =
  (redocModule as unknown as { default?: Redoc }).default ?? (redocModule as unknown as Redoc);

/** `/openapi.json` (the document) and `/docs` (Redoc rendering it). */
export const docsRouter = (document: () => OpenAPIObject): Router => {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document());
  });
  router.get('/docs', redoc({ title: 'Cambio API', specUrl: '/openapi.json' }));
  return router;
};
