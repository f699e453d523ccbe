import { expect } from 'chai';
import { DomainError } from '../../../domain/errors.ts';
import type { RateSnapshot } from '../../../ports/rate-source.ts';
import { ageMs, isFresh, requireFreshRates } from '../../../infra/rates/rate-freshness.ts';

describe('rate freshness', () => {
  const at = new Date('2024-05-01T12:00:00.000Z');
  const snapshot: RateSnapshot = { base: 'USD', rates: { USD: '1', BTC: '0.0000163' }, at };
  const later = (ms: number) => new Date(at.getTime() + ms);

  it('measures the age from the snapshot time', () => {
    expect(ageMs(snapshot, later(1500))).to.equal(1500);
  });

  it('is fresh up to and including the maximum age, and stale after it', () => {
    expect(isFresh(snapshot, later(0), 5000)).to.equal(true);
    expect(isFresh(snapshot, later(5000), 5000)).to.equal(true);
    expect(isFresh(snapshot, later(5001), 5000)).to.equal(false);
  });

  it('is never fresh without a snapshot or with an unreadable time', () => {
    expect(isFresh(null, later(0), 5000)).to.equal(false);
    expect(isFresh({ ...snapshot, at: new Date(Number.NaN) }, later(0), 5000)).to.equal(false);
  });

  it('hands out fresh rates and refuses stale or missing ones as unavailable', () => {
    expect(requireFreshRates(snapshot, later(10), 5000)).to.equal(snapshot);
    const refusal = (current: RateSnapshot | null) => {
      try {
        requireFreshRates(current, later(6000), 5000);
      } catch (error) {
        expect(error).to.be.instanceOf(DomainError);
        return error as DomainError;
      }
      return expect.fail('expected a refusal');
    };
    const stale = refusal(snapshot);
    expect(stale).to.include({ kind: 'unavailable', code: 'rates_stale' });
    expect(stale.details).to.deep.equal({
      ageMs: 6000,
      maxAgeMs: 5000,
      at: '2024-05-01T12:00:00.000Z',
    });
    expect(refusal(null)).to.include({ kind: 'unavailable', code: 'rates_unavailable' });
  });
});
