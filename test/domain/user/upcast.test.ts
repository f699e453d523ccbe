import { expect } from 'chai';
import type { JsonObject } from '../../../ports/event-store.ts';
import { USER_EVENT_SCHEMA_VERSION, upcast, upcastUserEvent } from '../../../domain/user/index.ts';
import type { UserDomainEvent } from '../../../domain/user/index.ts';
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

describe('user event versioning', () => {
  it('is at schema version 1', () => {
    expect(USER_EVENT_SCHEMA_VERSION).to.equal(1);
    expect(upcast).to.equal(upcastUserEvent);
  });

  it('passes current events through unchanged', () => {
    for (const event of everyKind) {
      expect(upcastUserEvent(event, 1)).to.equal(event);
    }
  });

  it('refuses versions it does not know', () => {
    expect(() => upcastUserEvent(issued(0), 2)).to.throw(RangeError, /newer/);
    expect(() => upcastUserEvent(issued(0), 0)).to.throw(RangeError);
    expect(() => upcastUserEvent(issued(0), 1.5)).to.throw(RangeError);
  });

  it('refuses events that are not user or registration events', () => {
    expect(() => upcastUserEvent({ type: 'Deposited', data: {} }, 1)).to.throw(TypeError);
  });

  it('has JSON-safe data that survives the event store unchanged', () => {
    for (const event of everyKind) {
      // Compile-time: the data fits the event store's JSON object type as it is.
      const data: JsonObject = event.data;
      expect(JSON.parse(JSON.stringify(data))).to.deep.equal(data);
    }
  });
});
