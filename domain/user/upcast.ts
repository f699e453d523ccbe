import type { DomainEvent } from '../decider.ts';
import { isRegistrationEvent } from './registration-events.ts';
import type { RegistrationEvent } from './registration-events.ts';
import { isUserEvent } from './user-events.ts';
import type { UserEvent } from './user-events.ts';

/** Version of every registration and account event's data shape, written into metadata. */
export const USER_EVENT_SCHEMA_VERSION = 1;

export type UserDomainEvent = RegistrationEvent | UserEvent;

/**
 * Lifts a stored registration or account event to the current shape. Version 1 is the only
 * shape so far, so this is the identity; the next shape change adds its step here. A version
 * newer than this code knows was written by a newer deployment and must not be guessed at.
 */
export const upcastUserEvent = (event: DomainEvent, schemaVersion: number): UserDomainEvent => {
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    throw new RangeError(`${event.type}: invalid schema version ${String(schemaVersion)}`);
  }
  if (schemaVersion > USER_EVENT_SCHEMA_VERSION) {
    throw new RangeError(
      `${event.type}: schema version ${schemaVersion} is newer than ${USER_EVENT_SCHEMA_VERSION}`,
    );
  }
  if (isRegistrationEvent(event) || isUserEvent(event)) return event;
  throw new TypeError(`not a user or registration event: ${event.type}`);
};

export const upcast = upcastUserEvent;
