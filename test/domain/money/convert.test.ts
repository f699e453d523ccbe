import { expect } from 'chai';
import fc from 'fast-check';
import { currencies, currency, type Currency } from '../../../domain/money/currency.ts';
import { convert } from '../../../domain/money/convert.ts';
import { formatDecimal } from '../../../domain/money/decimal.ts';
import { canonicalRate, parseRate } from '../../../domain/money/rate.ts';
import {
  compare,
  invert,
  multiply,
  rational,
  rationalFromDecimal,
  roundRational,
} from '../../../domain/money/rational.ts';
import { DomainError } from '../../../domain/errors.ts';

const USD = currency('USD');
const BTC = currency('BTC');
const ETH = currency('ETH');

/** Random positive rate text with up to 18 decimals, as a rate source would publish it. */
const rateText = fc
  .tuple(fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.nat({ max: 18 }))
  .map(([digits, scale]) => formatDecimal({ digits, scale }));
const crypto = fc.constantFrom(...currencies().filter((c) => c.kind === 'crypto'));
const anyCurrency = fc.constantFrom(...currencies());
const minorOf = (c: Currency) => fc.bigInt({ min: 1n, max: 10n ** BigInt(c.scale + 9) });

describe('rationals', () => {
  it('normalise sign and common factors', () => {
    expect(rational(6n, -4n)).to.deep.equal({ num: -3n, den: 2n });
    expect(rational(0n, 5n)).to.deep.equal({ num: 0n, den: 1n });
    expect(rationalFromDecimal('0.0000231')).to.deep.equal({ num: 231n, den: 10000000n });
    expect(rationalFromDecimal('2.50')).to.deep.equal({ num: 5n, den: 2n });
    expect(() => rational(1n, 0n)).to.throw(RangeError);
    expect(() => invert(rational(0n))).to.throw(RangeError);
  });

  it('invert, multiply and compare exactly', () => {
    const third = rational(1n, 3n);
    expect(invert(third)).to.deep.equal({ num: 3n, den: 1n });
    expect(multiply(third, rational(3n))).to.deep.equal({ num: 1n, den: 1n });
    expect(compare(third, rational(333n, 1000n))).to.equal(1);
    expect(compare(rational(2n, 6n), third)).to.equal(0);
    expect(compare(rational(-1n, 2n), third)).to.equal(-1);
  });

  it('round down to the floor and up to the ceiling', () => {
    expect(roundRational(rational(7n, 2n), 'down')).to.equal(3n);
    expect(roundRational(rational(7n, 2n), 'up')).to.equal(4n);
    expect(roundRational(rational(-7n, 2n), 'down')).to.equal(-4n);
    expect(roundRational(rational(-7n, 2n), 'up')).to.equal(-3n);
    expect(roundRational(rational(6n, 2n), 'up')).to.equal(3n);
    expect(roundRational(rational(6n, 2n), 'down')).to.equal(3n);
  });
});

describe('rates', () => {
  it('parse rate text in the Coinbase convention', () => {
    expect(parseRate('0.0000231')).to.deep.equal({ num: 231n, den: 10000000n });
    expect(canonicalRate('0.00002310')).to.equal('0.0000231');
  });

  it('reject bad rate text with rate_* codes', () => {
    for (const [text, code] of [
      ['0', 'rate_not_positive'],
      ['-0.1', 'rate_not_positive'],
      ['2.31e-5', 'rate_not_decimal'],
      ['', 'rate_empty'],
    ] as const) {
      expect(() => parseRate(text), text)
        .to.throw(DomainError)
        .with.property('code', code);
    }
  });
});

describe('convert', () => {
  it('converts exactly and rounds once in the stated direction', () => {
    const btcPerUsd = parseRate('0.0000231');
    // 100 USD × 0.0000231 = 0.00231 BTC = 231000 sat exactly, whichever way it rounds.
    expect(convert(10000n, USD, BTC, btcPerUsd, 'down')).to.equal(231000n);
    expect(convert(10000n, USD, BTC, btcPerUsd, 'up')).to.equal(231000n);
    // 0.001 BTC ÷ 0.0000231 = 43.2900432… USD.
    expect(convert(100000n, BTC, USD, invert(btcPerUsd), 'down')).to.equal(4329n);
    expect(convert(100000n, BTC, USD, invert(btcPerUsd), 'up')).to.equal(4330n);
    // 1 wei at 3000 USD/ETH is worth 3e-15 USD.
    const ethPerUsd = parseRate('0.000333333333333333');
    expect(convert(1n, ETH, USD, invert(ethPerUsd), 'down')).to.equal(0n);
    expect(convert(1n, ETH, USD, invert(ethPerUsd), 'up')).to.equal(1n);
  });

  it('is the identity at rate 1 between equal scales', () => {
    fc.assert(
      fc.property(anyCurrency, fc.bigInt({ min: 0n, max: 10n ** 30n }), (c, x) => {
        expect(convert(x, c, c, rational(1n), 'down')).to.equal(x);
      }),
    );
  });

  it('refuses a non-positive rate', () => {
    expect(() => convert(1n, USD, BTC, rational(0n), 'down')).to.throw(RangeError);
    expect(() => convert(1n, USD, BTC, rational(-1n), 'up')).to.throw(RangeError);
  });

  it('never creates money: USD → crypto → USD, each leg rounded down for the user', () => {
    fc.assert(
      fc.property(crypto, rateText, minorOf(USD), (c, rate, usd) => {
        const perUsd = parseRate(rate);
        const received = convert(usd, USD, c, perUsd, 'down');
        const back = convert(received, c, USD, invert(perUsd), 'down');
        expect(back <= usd).to.equal(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('never creates money: crypto bought at a rounded-up cost sells back for no more', () => {
    fc.assert(
      fc.property(
        crypto.chain((c) => fc.tuple(fc.constant(c), minorOf(c))),
        rateText,
        ([c, amount], rate) => {
          const perUsd = parseRate(rate);
          const cost = convert(amount, c, USD, invert(perUsd), 'up');
          const proceeds = convert(amount, c, USD, invert(perUsd), 'down');
          expect(proceeds <= cost).to.equal(true);
          expect(cost - proceeds <= 1n, 'rounding costs at most one minor unit').to.equal(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never creates money in any currency pair, in either direction', () => {
    fc.assert(
      fc.property(
        anyCurrency,
        anyCurrency.chain((c) => fc.tuple(fc.constant(c), minorOf(c))),
        rateText,
        (to, [from, amount], rate) => {
          const forward = parseRate(rate);
          const received = convert(amount, from, to, forward, 'down');
          expect(convert(received, to, from, invert(forward), 'down') <= amount).to.equal(true);
          // What the user pays for `amount`, valued back even rounded down, covers `amount`.
          const paid = convert(amount, from, to, forward, 'up');
          expect(convert(paid, to, from, invert(forward), 'down') >= amount).to.equal(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
