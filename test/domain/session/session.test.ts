import { deciderSpec } from '../../support/decider-spec.ts';
import { sessionDecider } from '../../../domain/session/session.ts';
import type { SessionEvent } from '../../../domain/session/session-events.ts';

const spec = deciderSpec(sessionDecider);
const now = '2026-01-01T00:00:00.000Z';
const later = '2026-01-01T00:10:00.000Z';
const expiresAt = '2026-01-31T00:00:00.000Z';
const started: SessionEvent = {
  type: 'SessionStarted',
  data: { userId: 'u1', tokenHash: 'h1', startedAt: now, expiresAt },
};
const refreshed: SessionEvent = {
  type: 'SessionRefreshed',
  data: { previousTokenHash: 'h1', tokenHash: 'h2', refreshedAt: later, expiresAt },
};

describe('session decider', () => {
  it('starts a session with its first refresh token', () =>
    spec
      .given([])
      .when({ type: 'StartSession', userId: 'u1', tokenHash: 'h1', now, expiresAt })
      .then([started]));

  it('rotates the current refresh token', () =>
    spec
      .given([started])
      .when({ type: 'RefreshSession', tokenHash: 'h1', nextTokenHash: 'h2', now: later, expiresAt })
      .then([refreshed]));

  it('revokes the whole session when a spent token is presented again', () =>
    spec
      .given([started, refreshed])
      .when({ type: 'RefreshSession', tokenHash: 'h1', nextTokenHash: 'h3', now: later, expiresAt })
      .thenFails('refresh_token_reused', [
        { type: 'SessionRevoked', data: { reason: 'refresh_token_reuse', revokedAt: later } },
      ]));

  it('refuses any refresh after revocation, even with the current token', () =>
    spec
      .given([
        started,
        refreshed,
        { type: 'SessionRevoked', data: { reason: 'refresh_token_reuse', revokedAt: later } },
      ])
      .when({ type: 'RefreshSession', tokenHash: 'h2', nextTokenHash: 'h3', now: later, expiresAt })
      .thenFails('session_revoked'));

  it('refuses an unknown token without revoking', () =>
    spec
      .given([started])
      .when({ type: 'RefreshSession', tokenHash: 'zz', nextTokenHash: 'h3', now: later, expiresAt })
      .thenFails('invalid_refresh_token'));

  it('refuses a refresh for a session that never started', () =>
    spec
      .given([])
      .when({ type: 'RefreshSession', tokenHash: 'h1', nextTokenHash: 'h2', now, expiresAt })
      .thenFails('invalid_refresh_token'));

  it('refuses an expired refresh token', () =>
    spec
      .given([started])
      .when({
        type: 'RefreshSession',
        tokenHash: 'h1',
        nextTokenHash: 'h2',
        now: '2026-02-01T00:00:00.000Z',
        expiresAt,
      })
      .thenFails('refresh_token_expired'));

  it('ends a session on logout, and a second logout changes nothing', () => {
    spec
      .given([started])
      .when({ type: 'EndSession', now: later })
      .then([{ type: 'SessionRevoked', data: { reason: 'logout', revokedAt: later } }]);
    spec
      .given([started, { type: 'SessionRevoked', data: { reason: 'logout', revokedAt: later } }])
      .when({ type: 'EndSession', now: later })
      .then([]);
  });

  it('refuses to start the same session twice', () =>
    spec
      .given([started])
      .when({ type: 'StartSession', userId: 'u1', tokenHash: 'h9', now, expiresAt })
      .thenFails('session_exists'));
});
