import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Accept a caller's id only if it is short and printable, so logs cannot be forged with it. */
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: reuse `X-Request-Id` when sane, otherwise make one; echo it back. */
export const requestId = (req: IncomingMessage, res: ServerResponse): string => {
  const offered = req.headers['x-request-id'];
  const id = typeof offered === 'string' && ACCEPTABLE.test(offered) ? offered : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
};
