import { expect } from 'chai';
import { rationalFromDecimal } from '../../../domain/money/index.ts';
import { movedMoreThan } from '../../../infra/rates/rate-move.ts';

describe('rate move limit', () => {
  const moved = (previous: string, next: string, limit = '0.2') =>
    movedMoreThan(
      rationalFromDecimal(previous),
      rationalFromDecimal(next),
      rationalFromDecimal(limit),
    );

  it('allows a move up to the limit, either way, and refuses one beyond it', () => {
    expect(moved('100', '120')).to.equal(false);
    expect(moved('100', '80')).to.equal(false);
    expect(moved('100', '120.0000000000000000001')).to.equal(true);
    expect(moved('100', '79.9999999999999999999')).to.equal(true);
    expect(moved('0.0000163', '0.0000163')).to.equal(false);
  });

  it('compares exactly, without floating point', () => {
    expect(moved('0.1', '0.12')).to.equal(false);
    expect(moved('0.3', '0.36')).to.equal(false);
    expect(moved('0.000016300', '0.0000326')).to.equal(true);
    expect(moved('0.0000163', '0.00001956', '0.2')).to.equal(false);
    expect(moved('0.0000163', '0.000019561', '0.2')).to.equal(true);
  });
});
