import { expect } from 'chai';
import { deciderSpec } from '../../support/decider-spec.ts';
import {
  hasRole,
  registerUserFrom,
  userDecider,
  userStreamId,
} from '../../../domain/user/index.ts';
import type {
  Role,
  RoleGranted,
  RoleRevoked,
  UserCommand,
  AccountOpened,
} from '../../../domain/user/index.ts';
import { at, completed } from './fixtures.ts';

const spec = deciderSpec(userDecider);

const registered: AccountOpened = {
  type: 'AccountOpened',
  data: {
    userId: 'user-1',
    mail: 'alice@example.com',
    name: 'Alice',
    lastName: 'Liddell',
    registeredAt: at(30),
  },
};
const granted = (role: Role, grantedBy = 'system', seconds = 30): RoleGranted => ({
  type: 'RoleGranted',
  data: { userId: 'user-1', role, grantedBy, grantedAt: at(seconds) },
});
const revoked = (role: Role, revokedBy = 'admin-1', seconds = 100): RoleRevoked => ({
  type: 'RoleRevoked',
  data: { userId: 'user-1', role, revokedBy, revokedAt: at(seconds) },
});
const grant = (role: Role, seconds = 100): UserCommand => ({
  type: 'GrantRole',
  userId: 'user-1',
  role,
  grantedBy: 'admin-1',
  now: at(seconds),
});
const revoke = (role: Role, seconds = 100): UserCommand => ({
  type: 'RevokeRole',
  userId: 'user-1',
  role,
  revokedBy: 'admin-1',
  now: at(seconds),
});

describe('user decider', () => {
  it('names the account stream after the user id', () => {
    expect(userStreamId('user-1')).to.equal('user-user-1');
    expect(() => userStreamId('')).to.throw(TypeError);
  });

  describe('RegisterUser', () => {
    it('opens the account from a completed registration, with the user role', () => {
      spec
        .given([])
        .when(registerUserFrom(completed(30).data))
        .then([registered, granted('user')]);
    });

    it('carries no password hash into the account stream', () => {
      const command = registerUserFrom(completed(30).data);
      expect(JSON.stringify(command)).not.to.contain('passwordHash');
    });

    it('can start with extra roles, e.g. the first admin', () => {
      spec
        .given([])
        .when(registerUserFrom(completed(30).data, ['admin', 'user', 'admin']))
        .then([registered, granted('user'), granted('admin')]);
    });

    it('changes nothing when the same registration is delivered again', () => {
      spec
        .given([registered, granted('user')])
        .when(registerUserFrom(completed(30).data))
        .then([]);
    });

    it('refuses a different registration on an existing account as conflict user_exists', () => {
      const command = { ...registerUserFrom(completed(30).data), name: 'Alicia' };
      const error = spec
        .given([registered, granted('user')])
        .when(command)
        .thenFails('user_exists');
      expect(error?.kind).to.equal('conflict');
    });

    it('refuses an unknown extra role', () => {
      const command = registerUserFrom(completed(30).data, ['root' as Role]);
      spec.given([]).when(command).thenFails('role_invalid');
    });

    it('refuses to run on another user’s stream', () => {
      const state = [registered].reduce(userDecider.evolve, userDecider.initialState());
      expect(() => userDecider.decide({ ...grant('admin'), userId: 'user-2' }, state)).to.throw(
        /different user/,
      );
    });
  });

  describe('GrantRole', () => {
    it('grants a role, recording who granted it and when', () => {
      spec
        .given([registered, granted('user')])
        .when(grant('auditor'))
        .then([granted('auditor', 'admin-1', 100)]);
    });

    it('changes nothing when the role is already held', () => {
      spec
        .given([registered, granted('user'), granted('admin')])
        .when(grant('admin'))
        .then([]);
    });

    it('refuses an unknown account as not_found', () => {
      const error = spec.given([]).when(grant('admin')).thenFails('user_not_found');
      expect(error?.kind).to.equal('not_found');
    });

    it('refuses an unknown role as validation', () => {
      const error = spec
        .given([registered, granted('user')])
        .when(grant('root' as Role))
        .thenFails('role_invalid');
      expect(error?.kind).to.equal('validation');
    });
  });

  describe('RevokeRole', () => {
    it('revokes a held role', () => {
      spec
        .given([registered, granted('user'), granted('admin')])
        .when(revoke('admin'))
        .then([revoked('admin')]);
    });

    it('changes nothing when the role is not held', () => {
      spec
        .given([registered, granted('user')])
        .when(revoke('auditor'))
        .then([]);
    });

    it('never takes the user role away', () => {
      const error = spec
        .given([registered, granted('user')])
        .when(revoke('user'))
        .thenFails('role_not_revocable');
      expect(error?.kind).to.equal('rule');
    });

    it('refuses an unknown account as not_found', () => {
      spec.given([]).when(revoke('admin')).thenFails('user_not_found');
    });
  });

  it('folds roles from the account stream', () => {
    const state = [
      registered,
      granted('user'),
      granted('admin'),
      granted('auditor'),
      revoked('admin'),
    ].reduce(userDecider.evolve, userDecider.initialState());
    expect(state.roles).to.deep.equal(['user', 'auditor']);
    expect(hasRole(state, 'admin')).to.equal(false);
    expect(hasRole(state, 'auditor')).to.equal(true);
    expect(state.profile?.mail).to.equal('alice@example.com');
  });
});
