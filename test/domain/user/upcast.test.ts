import { expect } from 'chai';
import type { JsonObject } from '../../../ports/event-store.ts';
import {
  decodeUserDomainEvent,
  evolveRegistration,
  evolveUser,
  initialRegistrationState,
  initialUserState,
  registrationStatusOf,
  USER_EVENT_SCHEMA_VERSION,
  upcast,
  upcastUserEvent,
  type RegistrationEvent,
  type UserDomainEvent,
  type UserEvent,
} from '../../../domain/user/index.ts';
import { readStoredEvents } from '../../fixtures/stored-events.ts';
import { blocked, completed, failed, issued } from './fixtures.ts';

const roleGranted: UserDomainEvent = {
  type: 'RoleGranted',
  data: { userId: 'u', role: 'admin', grantedBy: 'system', grantedAt: '2025-03-01T12:00:00.000Z' },
};
const everyKind: UserDomainEvent[] = [
  issued(0),
  failed(1, 4),
  blocked(900),
  completed(30),
  roleGranted,
];

/** Registration and account events written by version 1, as stored (committed fixture). */
const stored = readStoredEvents('user-events-v1.ndjson');
const liftedV1 = stored
  .map((line) =>
    decodeUserDomainEvent({ type: line.type, data: line.data }, line.metadata.schemaVersion),
  )
  .filter((event): event is UserDomainEvent => event !== null);

describe('user event versioning', () => {
  it('is at schema version 2: a sign-up is UserRegistered, the account stream opens with AccountOpened', () => {
    expect(USER_EVENT_SCHEMA_VERSION).to.equal(2);
    expect(upcast).to.equal(upcastUserEvent);
    expect(completed(30).type).to.equal('UserRegistered');
  });

  it('passes current events through unchanged', () => {
    for (const event of everyKind) {
      expect(upcastUserEvent(event, 2)).to.equal(event);
    }
  });

  it('lifts stored version 1 events: RegistrationCompleted → UserRegistered, UserRegistered → AccountOpened', () => {
    expect(stored.every((line) => line.metadata.schemaVersion === 1)).to.equal(true);
    expect(stored.map((line) => line.type)).to.include.members([
      'RegistrationCompleted',
      'UserRegistered',
    ]);
    expect(liftedV1.map((event) => event.type)).to.deep.equal([
      'VerificationCodeIssued',
      'VerificationFailed',
      'UserRegistered',
      'AccountOpened',
      'RoleGranted',
      'RoleGranted',
    ]);
    // Data is carried over as stored: the shapes did not change, only the names.
    const signUp = stored.find((line) => line.type === 'RegistrationCompleted')!;
    expect(liftedV1[2]!.data).to.deep.equal(signUp.data);
  });

  it('folds a version 1 log into the same states as a version 2 one', () => {
    const registration = liftedV1
      .filter(
        (event): event is RegistrationEvent =>
          event.type !== 'AccountOpened' && event.type !== 'RoleGranted',
      )
      .reduce(evolveRegistration, initialRegistrationState());
    const status = registrationStatusOf(registration);
    expect(status).to.deep.include({ status: 'registered', mail: 'legacy-ada@example.com' });
    const account = liftedV1
      .filter(
        (event): event is UserEvent =>
          event.type === 'AccountOpened' || event.type === 'RoleGranted',
      )
      .reduce(evolveUser, initialUserState());
    expect(account.profile).to.deep.include({ name: 'Ada', lastName: 'Legacy' });
    expect(account.roles).to.deep.equal(['user', 'auditor']);
  });

  it('refuses versions it does not know', () => {
    expect(() => upcastUserEvent(issued(0), 3)).to.throw(RangeError, /newer/);
    expect(() => upcastUserEvent(issued(0), 0)).to.throw(RangeError);
    expect(() => upcastUserEvent(issued(0), 1.5)).to.throw(RangeError);
  });

  it('refuses events that are not user or registration events; decoding gives null', () => {
    expect(() => upcastUserEvent({ type: 'Deposited', data: {} }, 1)).to.throw(TypeError);
    expect(decodeUserDomainEvent({ type: 'FundsDeposited', data: {} }, 1)).to.equal(null);
    // In version 2 the old sign-up name means nothing.
    expect(decodeUserDomainEvent({ type: 'RegistrationCompleted', data: {} }, 2)).to.equal(null);
  });

  it('has JSON-safe data that survives the event store unchanged', () => {
    for (const event of everyKind) {
      // Compile-time: the data fits the event store's JSON object type as it is.
      const data: JsonObject = event.data;
      expect(JSON.parse(JSON.stringify(data))).to.deep.equal(data);
    }
  });
});
