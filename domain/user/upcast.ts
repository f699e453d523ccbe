import type { DomainEvent } from '../decider.ts';
import { isRegistrationEvent } from './registration-events.ts';
import type { RegistrationEvent } from './registration-events.ts';
import { isUserEvent } from './user-events.ts';
import type { UserEvent } from './user-events.ts';

/**
 * Version of every registration and account event's data shape, written into metadata.
 * - 1: a sign-up was `RegistrationCompleted`, and the account stream opened with
 *   `UserRegistered`.
 * - 2: a sign-up is `UserRegistered` (the name the product uses), and the account stream
 *   opens with `AccountOpened`. Data shapes are unchanged.
 */
export const USER_EVENT_SCHEMA_VERSION = 2;

export type UserDomainEvent = RegistrationEvent | UserEvent;

/** Version 1 type names and what they are called from version 2 on. */
const RENAMED_IN_V2: Readonly<Record<string, string>> = Object.freeze({
  RegistrationCompleted: 'UserRegistered',
  UserRegistered: 'AccountOpened',
});

const lift = (event: DomainEvent, schemaVersion: number): DomainEvent =>
  schemaVersion < 2 ? { type: RENAMED_IN_V2[event.type] ?? event.type, data: event.data } : event;

const checkVersion = (type: string, schemaVersion: number): void => {
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    throw new RangeError(`${type}: invalid schema version ${String(schemaVersion)}`);
  }
  if (schemaVersion > USER_EVENT_SCHEMA_VERSION) {
    throw new RangeError(
      `${type}: schema version ${schemaVersion} is newer than ${USER_EVENT_SCHEMA_VERSION}`,
    );
  }
};

/**
 * Lifts a stored registration or account event to the current shape, one version step at a
 * time. A version newer than this code knows was written by a newer deployment and must not
 * be guessed at. Throws for an event that is no user event in its version.
 */
export const upcastUserEvent = (event: DomainEvent, schemaVersion: number): UserDomainEvent => {
  checkVersion(event.type, schemaVersion);
  const current = lift(event, schemaVersion);
  if (isRegistrationEvent(current) || isUserEvent(current)) return current;
  throw new TypeError(`not a user or registration event: ${event.type}`);
};

/** The event in its current shape, or null when it is no user event in its version. */
export const decodeUserDomainEvent = (
  event: DomainEvent,
  schemaVersion: number,
): UserDomainEvent | null => {
  const current = lift(event, schemaVersion);
  if (!isRegistrationEvent(current) && !isUserEvent(current)) return null;
  return upcastUserEvent(event, schemaVersion);
};

export const upcast = upcastUserEvent;
