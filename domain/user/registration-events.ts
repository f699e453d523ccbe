import type { DomainEvent } from '../decider.ts';
import { PERSONAL_DATA_ERASED, type PersonalDataErased } from './personal-data-erased.ts';

// Data shapes are type aliases, not interfaces, so they stay assignable to the event store's
// JSON object type. Instants are ISO-8601 UTC strings.

export type VerificationCodeIssuedData = {
  mail: string;
  /** Hash of the mailed code; the code itself is never stored. */
  codeHash: string;
  /** What the code is derived from with the server key; useless without that key. */
  codeNonce: string;
  issuedAt: string;
  expiresAt: string;
};

export type VerificationFailedData = {
  mail: string;
  /** Wrong codes so far against the current code, this one included. */
  attempts: number;
  remaining: number;
  /** When it was sent; counts against the address's daily budget (absent on old events). */
  at?: string;
};

/**
 * Registration asked for an address that already has an account. Answered like a code issue
 * (no enumeration) and recorded like one, with the hash of a code nobody is told: guesses
 * against it are counted and refused the same way. The owner is mailed instead of a code.
 */
export type RegistrationAttemptedData = {
  mail: string;
  codeHash: string;
  issuedAt: string;
  expiresAt: string;
};

export type VerificationBlockedData = {
  mail: string;
  until: string;
};

/** A completed sign-up: the account exists from here on (named RegistrationCompleted in v1). */
export type UserRegisteredData = {
  mail: string;
  userId: string;
  name: string;
  lastName: string;
  passwordHash: string;
  registeredAt: string;
};

export type VerificationCodeIssued = DomainEvent<
  'VerificationCodeIssued',
  VerificationCodeIssuedData
>;
export type VerificationFailed = DomainEvent<'VerificationFailed', VerificationFailedData>;
export type VerificationBlocked = DomainEvent<'VerificationBlocked', VerificationBlockedData>;
export type UserRegistered = DomainEvent<'UserRegistered', UserRegisteredData>;
export type RegistrationAttempted = DomainEvent<'RegistrationAttempted', RegistrationAttemptedData>;

export type RegistrationEvent =
  | VerificationCodeIssued
  | VerificationFailed
  | VerificationBlocked
  | UserRegistered
  | RegistrationAttempted
  | PersonalDataErased;

export type RegistrationEventType = RegistrationEvent['type'];

export const REGISTRATION_EVENT_TYPES: readonly RegistrationEventType[] = Object.freeze([
  'VerificationCodeIssued',
  'VerificationFailed',
  'VerificationBlocked',
  'UserRegistered',
  'RegistrationAttempted',
  PERSONAL_DATA_ERASED,
]);

export const isRegistrationEvent = (event: DomainEvent): event is RegistrationEvent =>
  (REGISTRATION_EVENT_TYPES as readonly string[]).includes(event.type);
