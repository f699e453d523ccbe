import {
  decodeUserDomainEvent,
  registrationDecider,
  USER_EVENT_SCHEMA_VERSION,
} from '../domain/user/index.ts';
import type {
  RegistrationCommand,
  RegistrationEvent,
  RegistrationPolicy,
  RegistrationState,
} from '../domain/user/index.ts';
import { isRegistrationEvent } from '../domain/user/registration-events.ts';
import {
  isUserEvent,
  userDecider,
  type UserCommand,
  type UserEvent,
  type UserState,
} from '../domain/user/index.ts';
import {
  sessionDecider,
  type SessionCommand,
  type SessionState,
} from '../domain/session/session.ts';
import {
  SESSION_EVENT_SCHEMA_VERSION,
  SESSION_EVENT_TYPES,
  type SessionEvent,
} from '../domain/session/session-events.ts';
import type { JsonObject } from '../ports/event-store.ts';
import {
  upcastWalletEvent,
  walletDecider,
  walletDeciderWith,
  type WalletLimits,
  WALLET_EVENT_SCHEMA_VERSION,
  type WalletCommand,
  type WalletEvent,
  type WalletState,
} from '../domain/wallet/index.ts';
import type { Aggregate } from './command-handler.ts';
import {
  SIGN_IN_GUARD_EVENT_TYPES,
  SIGN_IN_GUARD_SCHEMA_VERSION,
  signInGuardDecider,
  type SignInGuardCommand,
  type SignInGuardEvent,
  type SignInGuardState,
  type SignInPolicy,
} from '../domain/session/sign-in-guard.ts';

/** The aggregates the command handler runs, each with its decider and upcaster. */

/** The registration aggregate with a policy (attempt limits, guess budget) from settings. */
export const registrationAggregateFor = (
  policy: Partial<RegistrationPolicy>,
): Aggregate<RegistrationCommand, RegistrationState, RegistrationEvent> => ({
  name: 'registration',
  decider: registrationDecider(policy),
  schemaVersion: USER_EVENT_SCHEMA_VERSION,
  upcast: (type, data, schemaVersion) => {
    const event = decodeUserDomainEvent({ type, data }, schemaVersion);
    return event !== null && isRegistrationEvent(event) ? event : null;
  },
});

export const registrationAggregate = registrationAggregateFor({});

export const sessionAggregate: Aggregate<SessionCommand, SessionState, SessionEvent> = {
  name: 'session',
  decider: sessionDecider,
  schemaVersion: SESSION_EVENT_SCHEMA_VERSION,
  upcast: (type: string, data: JsonObject) =>
    SESSION_EVENT_TYPES.includes(type) ? ({ type, data } as unknown as SessionEvent) : null,
};

export const walletAggregate: Aggregate<WalletCommand, WalletState, WalletEvent> = {
  name: 'wallet',
  decider: walletDecider,
  schemaVersion: WALLET_EVENT_SCHEMA_VERSION,
  upcast: upcastWalletEvent,
};

/** The wallet aggregate under the operator's deposit and balance limits (settings). */
export const walletAggregateWith = (
  limits: WalletLimits,
): Aggregate<WalletCommand, WalletState, WalletEvent> => ({
  ...walletAggregate,
  decider: walletDeciderWith(limits),
});

export const userAggregate: Aggregate<UserCommand, UserState, UserEvent> = {
  name: 'user',
  decider: userDecider,
  schemaVersion: USER_EVENT_SCHEMA_VERSION,
  upcast: (type, data, schemaVersion) => {
    const event = decodeUserDomainEvent({ type, data }, schemaVersion);
    return event !== null && isUserEvent(event) ? event : null;
  },
};

export const signInGuardAggregate = (
  policy: SignInPolicy,
): Aggregate<SignInGuardCommand, SignInGuardState, SignInGuardEvent> => ({
  name: 'sign-in-guard',
  decider: signInGuardDecider(policy),
  schemaVersion: SIGN_IN_GUARD_SCHEMA_VERSION,
  upcast: (type: string, data: JsonObject) =>
    SIGN_IN_GUARD_EVENT_TYPES.includes(type)
      ? ({ type, data } as unknown as SignInGuardEvent)
      : null,
});
