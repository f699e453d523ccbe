import { accept, type Decider, type Decision, type DomainEvent } from '../decider.ts';
import { DomainError } from '../errors.ts';
import { addSeconds, parseInstant, secondsUntil } from '../user/instant.ts';

/**
 * The password-guess budget of one account, whatever addresses the guesses come from: at most
 * `maxFailures` wrong passwords within `windowSeconds`; the one that reaches the limit locks
 * sign-in for `lockSeconds` and the owner is mailed (the lock event carries the address).
 * Stream `sign-in-<key>`, keyed like the account's registration stream.
 */
export const signInGuardStreamId = (key: string): string => `sign-in-${key}`;

export interface SignInPolicy {
  maxFailures: number;
  windowSeconds: number;
  lockSeconds: number;
}

export type SignInFailed = DomainEvent<'SignInFailed', { at: string; failures: number }>;
export type SignInLocked = DomainEvent<
  'SignInLocked',
  { mail: string; at: string; until: string; failures: number }
>;
export type SignInGuardEvent = SignInFailed | SignInLocked;
export const SIGN_IN_GUARD_EVENT_TYPES: readonly string[] = ['SignInFailed', 'SignInLocked'];
export const SIGN_IN_GUARD_SCHEMA_VERSION = 1;

export type SignInGuardCommand = { type: 'RecordSignInFailure'; mail: string; now: string };

export interface SignInGuardState {
  /** Instants of the wrong passwords since the last lock, newest last (at most maxFailures). */
  failures: readonly string[];
  lockedUntil: string | null;
}

/** The lock in force at `now`, or null. */
export const signInLockOf = (state: SignInGuardState, now: string): string | null =>
  state.lockedUntil !== null && parseInstant(now) < parseInstant(state.lockedUntil)
    ? state.lockedUntil
    : null;

export const signInLocked = (until: string, now: string) =>
  new DomainError(
    'too_many',
    'sign_in_locked',
    'Too many wrong passwords for this account; sign-in is locked for a while. The owner was mailed.',
    { until, retryAfterSeconds: Math.max(1, secondsUntil(now, until)) },
  );

const decide =
  (policy: SignInPolicy) =>
  (command: SignInGuardCommand, state: SignInGuardState): Decision<SignInGuardEvent> => {
    const { now } = command;
    // A guess while locked is refused before the password is checked; nothing to count.
    if (signInLockOf(state, now) !== null) return accept();
    const windowStart = parseInstant(now) - policy.windowSeconds * 1000;
    const recent = state.failures.filter((at) => parseInstant(at) > windowStart);
    const failures = recent.length + 1;
    const failed: SignInFailed = { type: 'SignInFailed', data: { at: now, failures } };
    if (failures < policy.maxFailures) return accept(failed);
    return accept<SignInGuardEvent>(failed, {
      type: 'SignInLocked',
      data: { mail: command.mail, at: now, until: addSeconds(now, policy.lockSeconds), failures },
    });
  };

const evolve =
  (policy: SignInPolicy) =>
  (state: SignInGuardState, event: SignInGuardEvent): SignInGuardState => {
    switch (event.type) {
      case 'SignInFailed':
        return {
          ...state,
          failures: [...state.failures, event.data.at].slice(-policy.maxFailures),
        };
      case 'SignInLocked':
        return { failures: [], lockedUntil: event.data.until };
    }
  };

export const signInGuardDecider = (
  policy: SignInPolicy,
): Decider<SignInGuardCommand, SignInGuardState, SignInGuardEvent> => ({
  initialState: () => ({ failures: [], lockedUntil: null }),
  decide: decide(policy),
  evolve: evolve(policy),
});
