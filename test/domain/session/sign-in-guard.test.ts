import { expect } from 'chai';
import {
  signInGuardDecider,
  signInLockOf,
  type SignInGuardEvent,
} from '../../../domain/session/sign-in-guard.ts';
import { deciderSpec } from '../../support/decider-spec.ts';

const policy = { maxFailures: 3, windowSeconds: 600, lockSeconds: 900 };
const decider = signInGuardDecider(policy);
const spec = deciderSpec(decider);
const mail = 'ada@example.com';
const at = (minutes: number) => new Date(Date.UTC(2030, 0, 1, 12, minutes)).toISOString();
const failed = (minutes: number, failures: number): SignInGuardEvent => ({
  type: 'SignInFailed',
  data: { at: at(minutes), failures },
});

describe('sign-in guard (per-account password guesses)', () => {
  it('counts a wrong password', () => {
    spec
      .given([])
      .when({ type: 'RecordSignInFailure', mail, now: at(0) })
      .then([failed(0, 1)]);
  });

  it('locks the account at the limit and names the address for the owner mail', () => {
    spec
      .given([failed(0, 1), failed(1, 2)])
      .when({ type: 'RecordSignInFailure', mail, now: at(2) })
      .then([
        failed(2, 3),
        { type: 'SignInLocked', data: { mail, at: at(2), until: at(17), failures: 3 } },
      ]);
  });

  it('forgets wrong passwords older than the window', () => {
    spec
      .given([failed(0, 1), failed(1, 2)])
      .when({ type: 'RecordSignInFailure', mail, now: at(10) })
      .then([failed(10, 2)]);
  });

  it('records nothing while locked, and the lock ends on time', () => {
    const history: SignInGuardEvent[] = [
      failed(0, 1),
      failed(1, 2),
      failed(2, 3),
      { type: 'SignInLocked', data: { mail, at: at(2), until: at(17), failures: 3 } },
    ];
    spec
      .given(history)
      .when({ type: 'RecordSignInFailure', mail, now: at(5) })
      .then([]);
    const state = history.reduce(decider.evolve, decider.initialState());
    expect(signInLockOf(state, at(16))).to.equal(at(17));
    expect(signInLockOf(state, at(17))).to.equal(null);
    // After the lock the budget starts afresh.
    spec
      .given(history)
      .when({ type: 'RecordSignInFailure', mail, now: at(18) })
      .then([failed(18, 1)]);
  });
});
