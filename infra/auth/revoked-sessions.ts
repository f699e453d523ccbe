/**
 * The sessions that ended (logout, or a reused refresh token) while access tokens signed for
 * them may still be unexpired. Every process that authenticates keeps one, fed by a revocation
 * feed (projections/session-revocations.ts), and refuses a token whose session is in it.
 *
 * A revocation is kept until no access token of the session can still be valid: tokens are
 * only signed at login and refresh, and neither works after the revocation, so the newest one
 * expires at most `accessTokenTtlMs` (plus the verifier's clock tolerance) after it.
 */
export interface RevokedSessions {
  /** Records a revocation; `revokedAt` is the event's ISO instant. Idempotent. */
  revoke(sessionId: string, revokedAt: string): void;
  isRevoked(sessionId: string): boolean;
  /** Called once per session the first time it is revoked here; returns an unsubscribe. */
  onRevoked(listener: (sessionId: string) => void): () => void;
  size(): number;
}

/** jsonwebtoken's `clockTolerance` in infra/auth/access-tokens.ts, plus slack for clock skew. */
const TOLERANCE_MS = 60_000;
const PRUNE_EVERY_MS = 10_000;

export const createRevokedSessions = (options: {
  accessTokenTtlSeconds: number;
  clock?: () => number;
}): RevokedSessions => {
  const clock = options.clock ?? Date.now;
  const keepMs = options.accessTokenTtlSeconds * 1000 + TOLERANCE_MS;
  /** Session id → when its revocation can be forgotten (epoch ms); insertion ≈ time order. */
  const until = new Map<string, number>();
  const listeners = new Set<(sessionId: string) => void>();
  let prunedAt = 0;

  const prune = (now: number): void => {
    if (now - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = now;
    for (const [sessionId, forgetAt] of until) {
      if (forgetAt > now) continue;
      until.delete(sessionId);
    }
  };

  return {
    revoke(sessionId, revokedAt) {
      const now = clock();
      const revokedMs = Date.parse(revokedAt);
      const forgetAt = (Number.isNaN(revokedMs) ? now : revokedMs) + keepMs;
      if (forgetAt <= now || until.has(sessionId)) return;
      prune(now);
      until.set(sessionId, forgetAt);
      for (const listener of listeners) listener(sessionId);
    },
    isRevoked(sessionId) {
      const forgetAt = until.get(sessionId);
      return forgetAt !== undefined && forgetAt > clock();
    },
    onRevoked(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    size: () => until.size,
  };
};
