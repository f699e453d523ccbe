import { expect } from 'chai';
import fc from 'fast-check';
import { registrationDecider } from '../../../domain/user/index.ts';
import type { RegistrationCommand, RegistrationEvent } from '../../../domain/user/index.ts';
import { requestCode, verify } from './fixtures.ts';

// The daily budget across codes and a registered address's answers have their own example
// tests (registration.test.ts); this model covers the per-code rules up to the account.
const decider = registrationDecider({ maxGuessesPerDay: 1000 });
const hashes = ['hash-1', 'hash-2', 'hash-3'] as const;

// Weighted towards short waits and wrong guesses, so sessions reach blocks as well as accounts.
const step = fc.record({
  advance: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(0, 1, 30, 59) },
    { weight: 1, arbitrary: fc.constantFrom(60, 61, 300, 599, 600, 601, 899, 900, 1000) },
  ),
  request: fc.nat({ max: 5 }).map((n) => n === 5),
  issuedHash: fc.constantFrom(...hashes),
  guessedHash: fc.oneof(
    { weight: 4, arbitrary: fc.constant('hash-wrong') },
    { weight: 1, arbitrary: fc.constantFrom(...hashes) },
  ),
});

/**
 * Random sessions of requests and guesses against one address, checked against a plain model
 * of the rules written independently of the decider.
 */
describe('registration decider under random sessions', () => {
  it('keeps every rule whatever the order of requests, guesses and waiting', () => {
    // Guards against a generator that never reaches the interesting states.
    const seen = { completed: 0, blocked: 0 };
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 40 }), (steps) => {
        let state = decider.initialState();
        let clock = 0;
        // The model: the live code, wrong guesses against it, the block and the account.
        let live: { hash: string; issuedAt: number } | null = null;
        let lastIssuedAt: number | null = null;
        let wrong = 0;
        let blockedUntil = -Infinity;
        let registered = false;

        for (const { advance, request, issuedHash, guessedHash } of steps) {
          const hash = request ? issuedHash : guessedHash;
          clock += advance;
          const command: RegistrationCommand = request
            ? requestCode(clock, hash)
            : verify(clock, hash);
          const { events, error } = decider.decide(command, state);
          const types = events.map((event) => event.type);

          if (registered) {
            break;
          } else if (clock < blockedUntil) {
            expect(error?.code).to.equal('verification_blocked');
            expect(events).to.deep.equal([]);
          } else if (request) {
            if (lastIssuedAt !== null && clock < lastIssuedAt + 60) {
              expect(error?.code).to.equal('resend_too_soon');
            } else {
              expect(error).to.equal(undefined);
              expect(types).to.deep.equal(['VerificationCodeIssued']);
              live = { hash, issuedAt: clock };
              lastIssuedAt = clock;
              wrong = 0;
            }
          } else if (live === null) {
            expect(error?.code).to.equal('verification_not_requested');
          } else if (clock >= live.issuedAt + 600) {
            expect(error?.code).to.equal('verification_expired');
          } else if (hash === live.hash) {
            expect(error).to.equal(undefined);
            expect(types).to.deep.equal(['UserRegistered']);
            registered = true;
          } else {
            wrong += 1;
            if (wrong < 5) {
              expect(error?.code).to.equal('verification_failed');
              expect(error?.details.remaining).to.equal(5 - wrong);
              expect(types).to.deep.equal(['VerificationFailed']);
            } else {
              expect(error?.code).to.equal('verification_blocked');
              expect(types).to.deep.equal(['VerificationFailed', 'VerificationBlocked']);
              blockedUntil = clock + 900;
              live = null;
            }
          }
          if (error) {
            expect(
              types.every((type) => type !== 'VerificationCodeIssued' && type !== 'UserRegistered'),
            ).to.equal(true);
          }

          for (const event of events) {
            expect(JSON.parse(JSON.stringify(event))).to.deep.equal(event);
          }
          state = events.reduce<typeof state>(
            (folded, event: RegistrationEvent) => decider.evolve(folded, event),
            state,
          );
          expect(state.mail).to.equal(lastIssuedAt !== null ? 'alice@example.com' : null);
        }
        if (registered) {
          expect(state.registered?.registeredAt).to.be.a('string');
          seen.completed += 1;
        }
        if (blockedUntil > -Infinity) seen.blocked += 1;
      }),
      { numRuns: 200 },
    );
    expect(seen.completed, 'sessions that completed').to.be.greaterThan(0);
    expect(seen.blocked, 'sessions that got blocked').to.be.greaterThan(0);
  });
});
