import { accept, reject, type Decider, type Decision } from '../decider.ts';
import { DomainError } from '../errors.ts';
import type { SessionEvent } from './session-events.ts';

/** `session-<sessionId>`: one login and the chain of refresh tokens it rotated through. */
export const sessionStreamId = (sessionId: string): string => `session-${sessionId}`;

export type SessionCommand =
  | { type: 'StartSession'; userId: string; tokenHash: string; now: string; expiresAt: string }
  | {
      type: 'RefreshSession';
      tokenHash: string;
      nextTokenHash: string;
      now: string;
      expiresAt: string;
    }
  | { type: 'EndSession'; now: string };

export interface SessionState {
  status: 'none' | 'active' | 'revoked';
  userId: string | null;
  tokenHash: string | null;
  expiresAt: string | null;
  /** Every refresh token already spent; presenting one again revokes the session. */
  spent: ReadonlySet<string>;
}

const invalid = () =>
  new DomainError('unauthorized', 'invalid_refresh_token', 'The refresh token is not valid.');

const decide = (command: SessionCommand, state: SessionState): Decision<SessionEvent> => {
  switch (command.type) {
    case 'StartSession':
      if (state.status !== 'none') {
        return reject(
          new DomainError('conflict', 'session_exists', 'This session already exists.'),
        );
      }
      return accept({
        type: 'SessionStarted',
        data: {
          userId: command.userId,
          tokenHash: command.tokenHash,
          startedAt: command.now,
          expiresAt: command.expiresAt,
        },
      });
    case 'RefreshSession': {
      if (state.status === 'none') return reject(invalid());
      if (state.status === 'revoked') {
        return reject(
          new DomainError(
            'unauthorized',
            'session_revoked',
            'This session has ended; log in again.',
          ),
        );
      }
      if (state.spent.has(command.tokenHash)) {
        return reject(
          new DomainError(
            'unauthorized',
            'refresh_token_reused',
            'This refresh token was already used; the session is revoked. Log in again.',
          ),
          {
            type: 'SessionRevoked',
            data: { reason: 'refresh_token_reuse', revokedAt: command.now },
          },
        );
      }
      if (command.tokenHash !== state.tokenHash) return reject(invalid());
      if (state.expiresAt !== null && Date.parse(command.now) >= Date.parse(state.expiresAt)) {
        return reject(
          new DomainError(
            'unauthorized',
            'refresh_token_expired',
            'The refresh token has expired.',
          ),
        );
      }
      return accept({
        type: 'SessionRefreshed',
        data: {
          previousTokenHash: command.tokenHash,
          tokenHash: command.nextTokenHash,
          refreshedAt: command.now,
          expiresAt: command.expiresAt,
        },
      });
    }
    case 'EndSession':
      // Logging out twice is not an error: the session is over either way.
      if (state.status !== 'active') return accept();
      return accept({ type: 'SessionRevoked', data: { reason: 'logout', revokedAt: command.now } });
  }
};

const evolve = (state: SessionState, event: SessionEvent): SessionState => {
  switch (event.type) {
    case 'SessionStarted':
      return {
        ...state,
        status: 'active',
        userId: event.data.userId,
        tokenHash: event.data.tokenHash,
        expiresAt: event.data.expiresAt,
      };
    case 'SessionRefreshed':
      return {
        ...state,
        tokenHash: event.data.tokenHash,
        expiresAt: event.data.expiresAt,
        spent: new Set([...state.spent, event.data.previousTokenHash]),
      };
    case 'SessionRevoked':
      return { ...state, status: 'revoked', tokenHash: null };
  }
};

export const sessionDecider: Decider<SessionCommand, SessionState, SessionEvent> = {
  initialState: () => ({
    status: 'none',
    userId: null,
    tokenHash: null,
    expiresAt: null,
    spent: new Set(),
  }),
  decide,
  evolve,
};
