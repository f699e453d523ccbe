import { parseInstant } from './instant.ts';
import { evolveRegistration, initialRegistrationState } from './registration.ts';
import type { RegistrationState } from './registration.ts';
import type { RegistrationEvent } from './registration-events.ts';

/** What the login handler (and the register endpoint's answers) need to know about an address. */
export type RegistrationStatus =
  | { status: 'none'; mail?: string }
  /** `attempts`: wrong codes so far against the pending code. */
  | { status: 'pending'; mail: string; expiresAt: string; attempts: number }
  | { status: 'blocked'; mail: string; until: string }
  | {
      status: 'registered';
      mail: string;
      userId: string;
      passwordHash: string;
      registeredAt: string;
    };

/**
 * Status from a folded state. With `now` (ISO-8601), an expired code or an elapsed block
 * counts as 'none'; without it, time is ignored and the latest fact wins.
 */
export const registrationStatusOf = (
  state: RegistrationState,
  now?: string,
): RegistrationStatus => {
  const at = now === undefined ? undefined : parseInstant(now);
  const { mail, registered, blockedUntil, code } = state;
  if (mail === null) return { status: 'none' };
  if (registered) {
    const { userId, passwordHash, registeredAt } = registered;
    return { status: 'registered', mail, userId, passwordHash, registeredAt };
  }
  if (blockedUntil !== null && (at === undefined || at < parseInstant(blockedUntil))) {
    return { status: 'blocked', mail, until: blockedUntil };
  }
  if (code !== null && (at === undefined || at < parseInstant(code.expiresAt))) {
    return { status: 'pending', mail, expiresAt: code.expiresAt, attempts: code.attempts };
  }
  return { status: 'none', mail };
};

/** Folds a registration stream's events and reports its status (see registrationStatusOf). */
export const registrationStatus = (
  events: readonly RegistrationEvent[],
  now?: string,
): RegistrationStatus =>
  registrationStatusOf(events.reduce(evolveRegistration, initialRegistrationState()), now);
