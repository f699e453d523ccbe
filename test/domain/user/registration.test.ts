import { expect } from 'chai';
import { deciderSpec } from '../../support/decider-spec.ts';
import {
  DEFAULT_REGISTRATION_POLICY,
  decideRegistration,
  evolveRegistration,
  initialRegistrationState,
  registrationDecider,
  registrationPolicy,
} from '../../../domain/user/index.ts';
import type { RegistrationEvent } from '../../../domain/user/index.ts';
import {
  MAIL,
  T0,
  at,
  blocked,
  completed,
  failed,
  issued,
  requestCode,
  verify,
} from './fixtures.ts';

const spec = deciderSpec(registrationDecider());

/** Four wrong codes against the code issued at T0. */
const fourWrong: RegistrationEvent[] = [failed(1, 4), failed(2, 3), failed(3, 2), failed(4, 1)];

describe('registration decider', () => {
  describe('RequestCode', () => {
    it('issues a code that expires 10 minutes later', () => {
      spec
        .given([])
        .when(requestCode(0))
        .then([issued(0)]);
    });

    it('records the normalized address', () => {
      spec
        .given([])
        .when(requestCode(0, 'hash-A', '  Alice@Example.COM '))
        .then([issued(0)]);
    });

    it('records instants in canonical UTC form whatever offset the handler used', () => {
      spec
        .given([])
        .when({ ...requestCode(0), now: '2025-03-01T13:00:00+01:00' })
        .then([issued(0)]);
    });

    it('refuses an invalid address as validation mail_invalid', () => {
      const error = spec
        .given([])
        .when(requestCode(0, 'hash-A', 'not-an-address'))
        .thenFails('mail_invalid');
      expect(error?.kind).to.equal('validation');
      expect(error?.details.field).to.equal('mail');
    });

    it('refuses a resend within the 60 s cooldown, saying how long to wait', () => {
      const error = spec
        .given([issued(0)])
        .when(requestCode(20, 'hash-B'))
        .thenFails('resend_too_soon');
      expect(error?.kind).to.equal('too_many');
      expect(error?.details.retryAfterSeconds).to.equal(40);
    });

    it('rounds the wait up to whole seconds', () => {
      const command = { ...requestCode(0, 'hash-B'), now: '2025-03-01T12:00:59.100Z' };
      const error = spec
        .given([issued(0)])
        .when(command)
        .thenFails('resend_too_soon');
      expect(error?.details.retryAfterSeconds).to.equal(1);
    });

    it('issues a new code once the cooldown has passed', () => {
      spec
        .given([issued(0)])
        .when(requestCode(60, 'hash-B'))
        .then([issued(60, 'hash-B')]);
    });

    it('keeps the cooldown after wrong attempts', () => {
      spec
        .given([issued(0), failed(1, 4)])
        .when(requestCode(30, 'hash-B'))
        .thenFails('resend_too_soon');
    });

    it('issues a new code after the old one expired', () => {
      spec
        .given([issued(0)])
        .when(requestCode(900, 'hash-B'))
        .then([issued(900, 'hash-B')]);
    });

    it('issues no code while the address is blocked', () => {
      const error = spec
        .given([issued(0), ...fourWrong, failed(5, 0), blocked(100 + 900)])
        .when(requestCode(400, 'hash-B'))
        .thenFails('verification_blocked');
      expect(error?.kind).to.equal('too_many');
      expect(error?.details.retryAfterSeconds).to.equal(600);
      expect(error?.details.until).to.equal(at(1000));
    });

    it('issues a code again once the block is over', () => {
      spec
        .given([issued(0), ...fourWrong, failed(5, 0), blocked(1000)])
        .when(requestCode(1000, 'hash-B'))
        .then([issued(1000, 'hash-B')]);
    });

    it('answers a registered address like a new one: an attempt with an unknown code, for the owner mail', () => {
      spec
        .given([issued(0), completed(30)])
        .when(requestCode(3600, 'hash-B'))
        .then([
          {
            type: 'RegistrationAttempted',
            data: { mail: MAIL, codeHash: 'hash-B', issuedAt: at(3600), expiresAt: at(4200) },
          },
        ]);
    });

    it('keeps the resend cooldown for a registered address, as for a new one', () => {
      const attempted: RegistrationEvent = {
        type: 'RegistrationAttempted',
        data: { mail: MAIL, codeHash: 'hash-B', issuedAt: at(3600), expiresAt: at(4200) },
      };
      spec
        .given([issued(0), completed(30), attempted])
        .when(requestCode(3610, 'hash-C'))
        .thenFails('resend_too_soon');
    });

    it('treats a missing code hash or nonce, or a malformed clock, as a caller bug', () => {
      const decider = registrationDecider();
      const state = decider.initialState();
      expect(() => decider.decide({ ...requestCode(0), codeHash: '' }, state)).to.throw(TypeError);
      expect(() => decider.decide({ ...requestCode(0), codeNonce: '' }, state)).to.throw(TypeError);
      expect(() => decider.decide({ ...requestCode(0), now: '2025-03-01 12:00' }, state)).to.throw(
        TypeError,
      );
    });

    it('refuses to run on a stream that belongs to another address', () => {
      const decider = registrationDecider();
      const state = [issued(0)].reduce(decider.evolve, decider.initialState());
      expect(() => decider.decide(requestCode(120, 'hash-B', 'bob@example.com'), state)).to.throw(
        /different address/,
      );
    });
  });

  describe('Verify', () => {
    it('completes the registration with the right code', () => {
      spec
        .given([issued(0)])
        .when(verify(30))
        .then([completed(30)]);
    });

    it('records trimmed names and the normalized address', () => {
      spec
        .given([issued(0)])
        .when(
          verify(30, 'hash-A', {
            mail: ' ALICE@example.com',
            name: ' Alice ',
            lastName: '\tLiddell ',
          }),
        )
        .then([completed(30)]);
    });

    it('counts a wrong code and refuses it with the attempts remaining', () => {
      const error = spec
        .given([issued(0)])
        .when(verify(30, 'hash-wrong'))
        .thenFails('verification_failed', [failed(1, 4, 30)]);
      expect(error?.kind).to.equal('validation');
      expect(error?.details.remaining).to.equal(4);
      expect(error?.details.field).to.equal('verification');
    });

    it('keeps counting across wrong codes', () => {
      const error = spec
        .given([issued(0), failed(1, 4), failed(2, 3), failed(3, 2)])
        .when(verify(30, 'hash-wrong'))
        .thenFails('verification_failed', [failed(4, 1, 30)]);
      expect(error?.details.remaining).to.equal(1);
    });

    it('blocks the address for 15 minutes on the 5th wrong code', () => {
      const error = spec
        .given([issued(0), ...fourWrong])
        .when(verify(100, 'hash-wrong'))
        .thenFails('verification_blocked', [failed(5, 0, 100), blocked(100 + 900)]);
      expect(error?.kind).to.equal('too_many');
      expect(error?.details.retryAfterSeconds).to.equal(900);
    });

    it('refuses even the right code during a block', () => {
      const error = spec
        .given([issued(0), ...fourWrong, failed(5, 0), blocked(1000)])
        .when(verify(200))
        .thenFails('verification_blocked');
      expect(error?.details.retryAfterSeconds).to.equal(800);
    });

    it('does not revive the blocked code after the block', () => {
      spec
        .given([issued(0), ...fourWrong, failed(5, 0), blocked(1000)])
        .when(verify(1001))
        .thenFails('verification_not_requested');
    });

    it('accepts the new code after a block and a fresh request', () => {
      spec
        .given([issued(0), ...fourWrong, failed(5, 0), blocked(1000), issued(1000, 'hash-B')])
        .when(verify(1010, 'hash-B'))
        .then([completed(1010)]);
    });

    it('refuses an expired code without counting it', () => {
      const error = spec
        .given([issued(0)])
        .when(verify(600))
        .thenFails('verification_expired');
      expect(error?.kind).to.equal('validation');
      expect(error?.details.expiredAt).to.equal(at(600));
      spec
        .given([issued(0)])
        .when(verify(601, 'hash-wrong'))
        .thenFails('verification_expired');
    });

    it('accepts the code until the last millisecond of its life', () => {
      spec
        .given([issued(0)])
        .when(verify(0, 'hash-A', { now: '2025-03-01T12:09:59.999Z' }))
        .then([
          {
            ...completed(0),
            data: { ...completed(0).data, registeredAt: '2025-03-01T12:09:59.999Z' },
          },
        ]);
    });

    it('refuses a code when none was requested', () => {
      const error = spec.given([]).when(verify(0)).thenFails('verification_not_requested');
      expect(error?.kind).to.equal('validation');
    });

    it('answers a registered address like a new one: no code pending, then every code wrong', () => {
      spec
        .given([issued(0), completed(30)])
        .when(verify(40))
        .thenFails('verification_not_requested');
      const attempted: RegistrationEvent = {
        type: 'RegistrationAttempted',
        data: { mail: MAIL, codeHash: 'hash-B', issuedAt: at(3600), expiresAt: at(4200) },
      };
      // Even the code whose hash was recorded: it was mailed to nobody, and the account exists.
      spec
        .given([issued(0), completed(30), attempted])
        .when(verify(3610, 'hash-B'))
        .thenFails('verification_failed', [failed(1, 4, 3610)]);
    });

    it('counts wrong codes per address across resends: the daily budget locks it for the daily lock', () => {
      const daily = deciderSpec(registrationDecider({ maxGuessesPerDay: 6 }));
      // Four wrong guesses on the first code, a resend, then two more: the sixth locks.
      const history: RegistrationEvent[] = [
        issued(0),
        failed(1, 4, 10),
        failed(2, 3, 20),
        failed(3, 2, 30),
        failed(4, 1, 40),
        issued(100, 'hash-B'),
        failed(1, 1, 110),
      ];
      const error = daily
        .given(history)
        .when(verify(120, 'hash-wrong'))
        .thenFails('verification_blocked', [failed(2, 0, 120), blocked(120 + 21600)]);
      expect(error?.details.retryAfterSeconds).to.equal(21600);
      // The budget is per 24 hours: guesses from the day before do not count.
      daily
        .given([...history.slice(0, 6), { ...failed(1, 1, 110) }, issued(90_000, 'hash-C')])
        .when(verify(90_010, 'hash-wrong'))
        .thenFails('verification_failed', [failed(1, 4, 90_010)]);
    });

    it('makes the old code worthless once a new one is issued', () => {
      spec
        .given([issued(0), issued(60, 'hash-B')])
        .when(verify(70, 'hash-A'))
        .thenFails('verification_failed', [failed(1, 4, 70)]);
      spec
        .given([issued(0), issued(60, 'hash-B')])
        .when(verify(70, 'hash-B'))
        .then([completed(70)]);
    });

    it('resets the attempt count with a new code', () => {
      spec
        .given([issued(0), ...fourWrong, issued(120, 'hash-B')])
        .when(verify(130, 'hash-wrong'))
        .thenFails('verification_failed', [failed(1, 4, 130)]);
    });

    it('refuses an invalid address without counting an attempt', () => {
      spec
        .given([issued(0)])
        .when(verify(30, 'hash-wrong', { mail: 'alice@' }))
        .thenFails('mail_invalid');
    });

    for (const [field, value, reason] of [
      ['name', '   ', 'is required'],
      ['lastName', '', 'is required'],
      ['name', 'x'.repeat(101), 'is longer than 100 characters'],
      ['lastName', 'Lid\u0000dell', 'contains control characters'],
    ] as const) {
      it(`refuses ${field} that ${reason} without counting an attempt`, () => {
        const error = spec
          .given([issued(0)])
          .when(verify(30, 'hash-wrong', { [field]: value }))
          .thenFails('name_invalid');
        expect(error?.kind).to.equal('validation');
        expect(error?.details).to.include({ field, reason });
      });
    }

    it('accepts a name of exactly the maximum length, counted in characters', () => {
      const name = '😀'.repeat(100);
      spec
        .given([issued(0)])
        .when(verify(30, 'hash-A', { name }))
        .then([{ ...completed(30), data: { ...completed(30).data, name } }]);
    });

    it('treats missing user id or password hash as a caller bug', () => {
      const decider = registrationDecider();
      const state = [issued(0)].reduce(decider.evolve, decider.initialState());
      expect(() => decider.decide(verify(30, 'hash-A', { userId: '' }), state)).to.throw(TypeError);
      expect(() => decider.decide(verify(30, 'hash-A', { passwordHash: '' }), state)).to.throw(
        TypeError,
      );
    });
  });

  describe('policy', () => {
    const strict = deciderSpec(
      registrationDecider({
        codeTtlSeconds: 30,
        resendCooldownSeconds: 0,
        maxAttempts: 2,
        blockSeconds: 60,
        maxNameLength: 7,
      }),
    );

    it('uses the configured code lifetime', () => {
      strict
        .given([])
        .when(requestCode(0))
        .then([issued(0, 'hash-A', 30)]);
      strict
        .given([issued(0, 'hash-A', 30)])
        .when(verify(30))
        .thenFails('verification_expired');
    });

    it('allows an immediate resend with a zero cooldown', () => {
      strict
        .given([issued(0, 'hash-A', 30)])
        .when(requestCode(0, 'hash-B'))
        .then([issued(0, 'hash-B', 30)]);
    });

    it('uses the configured attempt limit and block length', () => {
      strict
        .given([issued(0, 'hash-A', 30), failed(1, 1)])
        .when(verify(10, 'hash-wrong', { name: 'Alice' }))
        .thenFails('verification_blocked', [failed(2, 0, 10), blocked(70)]);
    });

    it('uses the configured name length', () => {
      strict
        .given([issued(0, 'hash-A', 30)])
        .when(verify(10))
        .then([completed(10)]);
      strict
        .given([issued(0, 'hash-A', 30)])
        .when(verify(10, 'hash-A', { name: 'Alexandra' }))
        .thenFails('name_invalid');
    });

    it('has the documented defaults', () => {
      expect(DEFAULT_REGISTRATION_POLICY).to.deep.equal({
        codeDigits: 6,
        codeTtlSeconds: 600,
        resendCooldownSeconds: 60,
        maxAttempts: 5,
        blockSeconds: 900,
        maxNameLength: 100,
        maxGuessesPerDay: 10,
        dailyLockSeconds: 21600,
      });
      expect(decideRegistration(requestCode(0), initialRegistrationState()).events).to.deep.equal([
        issued(0),
      ]);
    });

    it('rejects nonsense settings when the decider is built', () => {
      expect(() => registrationPolicy({ maxAttempts: 0 })).to.throw(RangeError, /maxAttempts/);
      expect(() => registrationPolicy({ codeTtlSeconds: 1.5 })).to.throw(
        RangeError,
        /codeTtlSeconds/,
      );
      expect(() => registrationDecider({ blockSeconds: -1 })).to.throw(RangeError, /blockSeconds/);
      expect(registrationPolicy({ resendCooldownSeconds: 0 }).resendCooldownSeconds).to.equal(0);
    });
  });

  describe('evolve', () => {
    it('never mutates the state it is given', () => {
      const history: RegistrationEvent[] = [
        issued(0),
        failed(1, 4),
        issued(60, 'hash-B'),
        ...fourWrong,
        failed(5, 0),
        blocked(1000),
        issued(1000, 'hash-C'),
        completed(1010),
      ];
      let state = Object.freeze(initialRegistrationState());
      for (const event of history) {
        const before = JSON.stringify(state);
        const next = evolveRegistration(state, event);
        expect(JSON.stringify(state)).to.equal(before);
        state = Object.freeze(next);
      }
      expect(state.registered?.userId).to.equal('user-1');
      expect(state.code).to.equal(null);
      expect(state.mail).to.equal(MAIL);
    });

    it('starts from no address and no code', () => {
      expect(initialRegistrationState()).to.deep.equal({
        mail: null,
        code: null,
        lastIssuedAt: null,
        blockedUntil: null,
        guesses: [],
        registered: null,
      });
      expect(T0).to.equal(at(0));
    });
  });
});
