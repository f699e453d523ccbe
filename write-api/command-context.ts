import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { CommandContext } from '../commands/command-context.ts';
import { HttpProblem } from '../infra/http/problem.ts';
import { ifMatchTag, preconditionFailed } from '../infra/http/conditional.ts';
import { revisionOfWalletEtag } from '../domain/wallet/wallet-version.ts';

const KEY = /^[\x21-\x7e]{1,128}$/;
const CORRELATION = /^[A-Za-z0-9._:-]{1,128}$/;

/** Canonical JSON (sorted keys), so the same body in another key order hashes the same. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : 1,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/** The route as the client named it, a trailing slash or not: both are the same command. */
const routePath = (req: Request): string => `${req.baseUrl}${req.path}`.replace(/(.)\/+$/, '$1');

/**
 * The stream revision a wallet command's If-Match names; a tag that is not a wallet version
 * (a weak tag, another resource's) can match no state, so the command is refused at once.
 */
const walletExpectedRevision = (req: Request): { expectedRevision?: bigint } => {
  const tag = ifMatchTag(req);
  if (tag === undefined) return {};
  const revision = revisionOfWalletEtag(tag);
  if (revision === null) {
    throw preconditionFailed(
      `If-Match ${tag} is not a version of this wallet; send the ETag of GET /api/user/wallet/balance.`,
    );
  }
  return { expectedRevision: revision };
};

/**
 * The command's context from the request: who, which request chain, idempotency key, and for
 * commands on the caller's wallet (`wallet: true`) the version its If-Match names.
 */
export const commandContext = (
  req: Request,
  options: { wallet?: boolean } = {},
): CommandContext => {
  const key = req.header('Idempotency-Key');
  if (key !== undefined && !KEY.test(key)) {
    throw new HttpProblem(
      400,
      'validation_failed',
      'Idempotency-Key must be 1 to 128 visible ASCII characters.',
      {
        errors: [
          { field: 'Idempotency-Key', message: 'must be 1 to 128 visible ASCII characters' },
        ],
      },
    );
  }
  const correlation = req.header('X-Correlation-Id');
  const requestId = String(req.id);
  return {
    actor: req.principal?.userId ?? 'anonymous',
    correlationId:
      correlation !== undefined && CORRELATION.test(correlation) ? correlation : requestId,
    causationId: requestId,
    now: new Date(),
    ...(options.wallet ? walletExpectedRevision(req) : {}),
    ...(key === undefined
      ? {}
      : {
          idempotencyKey: key,
          requestHash: createHash('sha256')
            .update(`${req.method} ${routePath(req)}\n${canonical(req.body ?? {})}`)
            .digest('base64url'),
        }),
  };
};
