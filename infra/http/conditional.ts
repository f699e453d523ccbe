import type { Request } from 'express';
import { HttpProblem } from './problem.ts';

/**
 * Conditional requests (RFC 9110 §13): entity tags out in ETag, back in If-None-Match (reads:
 * 304 when unchanged) and If-Match (commands: 412 when the resource moved on).
 */

/** The entity tags of a list header (`"1", W/"2"`), or '*' for the wildcard. */
const entityTags = (header: string): string[] | '*' => {
  if (header.trim() === '*') return '*';
  return [...header.matchAll(/(?:W\/)?"[^"]*"/g)].map((match) => match[0]);
};

/** If-None-Match uses the weak comparison: `W/"3"` matches `"3"`. */
export const noneMatch = (req: Request, etag: string): boolean => {
  const header = req.header('If-None-Match');
  if (header === undefined) return false;
  const tags = entityTags(header);
  const opaque = (tag: string) => tag.replace(/^W\//, '');
  return tags === '*' || tags.some((tag) => opaque(tag) === opaque(etag));
};

/**
 * The one entity tag If-Match names, undefined without the header. A list of several is
 * refused (400): a command is decided on one state the client saw. `*` asks for nothing.
 */
export const ifMatchTag = (req: Request): string | undefined => {
  const header = req.header('If-Match');
  if (header === undefined) return undefined;
  const tags = entityTags(header);
  if (tags === '*') return undefined;
  if (tags.length !== 1 || tags[0] === undefined) {
    throw new HttpProblem(400, 'validation_failed', 'If-Match must name one entity tag.', {
      errors: [{ field: 'If-Match', message: 'must be one entity tag, e.g. "12"' }],
    });
  }
  return tags[0];
};

/** 412 problem for an If-Match that can never match (a weak tag or another resource's). */
export const preconditionFailed = (detail: string): HttpProblem =>
  new HttpProblem(412, 'precondition_failed', detail);
