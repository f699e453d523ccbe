import {
  decodeUserDomainEvent,
  registrationDecider,
  USER_EVENT_SCHEMA_VERSION,
} from '../domain/user/index.ts';
import type {
  RegistrationCommand,
  RegistrationEvent,
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
  WALLET_EVENT_SCHEMA_VERSION,
  type WalletCommand,
  type WalletEvent,
  type WalletState,
} from '../domain/wallet/index.ts';
import type { Aggregate } from './command-handler.ts';

/** The aggregates the command handler runs, each with its decider and upcaster. */

export const registrationAggregate: Aggregate<
  RegistrationCommand,
  RegistrationState,
  RegistrationEvent
> = {
  name: 'registration',
  decider: registrationDecider(),
  schemaVersion: USER_EVENT_SCHEMA_VERSION,
  upcast: (type, data, schemaVersion) => {
    const event = decodeUserDomainEvent({ type, data }, schemaVersion);
    return event !== null && isRegistrationEvent(event) ? event : null;
  },
};

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

export const userAggregate: Aggregate<UserCommand, UserState, UserEvent> = {
  name: 'user',
  decider: userDecider,
  schemaVersion: USER_EVENT_SCHEMA_VERSION,
  upcast: (type, data, schemaVersion) => {
    const event = decodeUserDomainEvent({ type, data }, schemaVersion);
    return event !== null && isUserEvent(event) ? event : null;
  },
};
