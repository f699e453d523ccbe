import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';

/**
 * Headers every answer carries:
 * - `X-Content-Type-Options: nosniff` everywhere, so nothing is run as another type than sent;
 * - `Cache-Control: no-store` on answers about a person (tokens, profile, wallet, audit,
 *   admin), so no shared or browser cache keeps them; public data (rates, docs) is left alone;
 * - a Content-Security-Policy: JSON answers allow nothing at all; an HTML page that did not set
 *   a policy of its own (as /docs and /app do) allows this origin and its own inline scripts by
 *   hash (computed from the page as sent), nothing from elsewhere.
 */
const PERSONAL = /^\/api\/(user|audit|admin)(\/|$)/i;

const API_POLICY =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi;

/** The policy for one HTML page: its inline scripts by hash, nothing else inline. */
export const pagePolicy = (html: string): string => {
  const hashes = [...html.matchAll(INLINE_SCRIPT)].map(
    ([, script]) =>
      `'sha256-${createHash('sha256')
        .update(script ?? '')
        .digest('base64')}'`,
  );
  return [
    "default-src 'none'",
    `script-src 'self' ${hashes.join(' ')}`.trim(),
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
};

const isHtml = (type: unknown, body: string): boolean =>
  typeof type === 'string' ? type.includes('html') : /^\s*</.test(body);

export const securityHeaders = (): RequestHandler => (req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', API_POLICY);
  if (PERSONAL.test(req.path)) res.setHeader('Cache-Control', 'no-store');
  const send = res.send.bind(res);
  res.send = (body?: unknown) => {
    const ownPolicy = res.getHeader('Content-Security-Policy') !== API_POLICY;
    if (!ownPolicy && typeof body === 'string' && isHtml(res.getHeader('content-type'), body)) {
      res.setHeader('Content-Security-Policy', pagePolicy(body));
    }
    return send(body);
  };
  next();
};
