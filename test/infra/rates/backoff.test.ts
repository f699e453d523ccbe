import { expect } from 'chai';
import {
  backoffDelayMs,
  MAX_RETRY_AFTER_MS,
  parseRetryAfterMs,
} from '../../../infra/rates/backoff.ts';

describe('rate feed backoff', () => {
  const now = new Date('2024-05-01T12:00:00.000Z');

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfterMs('120', now)).to.equal(120_000);
    expect(parseRetryAfterMs(' 0 ', now)).to.equal(0);
    expect(parseRetryAfterMs('Wed, 01 May 2024 12:00:30 GMT', now)).to.equal(30_000);
    expect(parseRetryAfterMs('Wed, 01 May 2024 11:00:00 GMT', now), 'a past date').to.equal(0);
  });

  it('ignores a missing or unreadable Retry-After and caps an absurd one', () => {
    expect(parseRetryAfterMs(null, now)).to.equal(null);
    expect(parseRetryAfterMs('soon', now)).to.equal(null);
    expect(parseRetryAfterMs('-5', now)).to.equal(null);
    expect(parseRetryAfterMs('99999999', now)).to.equal(MAX_RETRY_AFTER_MS);
  });

  it('doubles the delay per failure up to the ceiling, jittered within its upper half', () => {
    const policy = (random: number) => ({ initialMs: 100, maxMs: 1000, random: () => random });
    const at = (random: number) =>
      [1, 2, 3, 4, 5, 40].map((n) => backoffDelayMs(n, policy(random)));
    expect(at(0)).to.deep.equal([50, 100, 200, 400, 500, 500]);
    expect(at(0.999999)).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
  });
});
