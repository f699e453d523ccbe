import type { DomainEvent } from '../decider.ts';

/** A login: the session's first refresh token (only its hash is kept). */
export type SessionStarted = DomainEvent<
  'SessionStarted',
  { userId: string; tokenHash: string; startedAt: string; expiresAt: string }
>;
/** Rotation: the presented token is spent and the next one becomes current. */
export type SessionRefreshed = DomainEvent<
  'SessionRefreshed',
  { previousTokenHash: string; tokenHash: string; refreshedAt: string; expiresAt: string }
>;
/** Logout, or a spent refresh token presented again (a sign it was stolen). */
export type SessionRevoked = DomainEvent<
  'SessionRevoked',
  { reason: 'logout' | 'refresh_token_reuse'; revokedAt: string }
>;

export type SessionEvent = SessionStarted | SessionRefreshed | SessionRevoked;

export const SESSION_EVENT_SCHEMA_VERSION = 1;
export const SESSION_EVENT_TYPES: readonly string[] = [
  'SessionStarted',
  'SessionRefreshed',
  'SessionRevoked',
];
