import { expect } from 'chai';
import fc from 'fast-check';
import { currencies, currency } from '../../../domain/money/currency.ts';
import {
  formatAmount,
  formatDecimal,
  parseAmount,
  parseDecimal,
  maxMinorUnits,
  parseMinorUnits,
} from '../../../domain/money/decimal.ts';
import { DomainError } from '../../../domain/errors.ts';

const USD = currency('USD');
const BTC = currency('BTC');
const ETH = currency('ETH');

const rejection = (run: () => unknown): DomainError => {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(DomainError);
    return error as DomainError;
  }
  return expect.fail('expected a rejection');
};

/** Canonical decimal text: no superfluous leading zeros, no trailing fraction zeros. */
const CANONICAL = /^(0|[1-9]\d*)(\.\d*[1-9])?$/;

describe('decimal amounts', () => {
  it('parses decimal text into minor units', () => {
    expect(parseAmount('64.05', USD)).to.equal(6405n);
    expect(parseAmount('100', USD)).to.equal(10000n);
    expect(parseAmount('0.01', USD)).to.equal(1n);
    expect(parseAmount('1.0054', BTC)).to.equal(100540000n);
    expect(parseAmount('0.000000000000000001', ETH)).to.equal(1n);
    expect(parseAmount('007.5', USD)).to.equal(750n);
    expect(parseAmount('1.10', USD)).to.equal(110n);
  });

  it('accepts a JSON number through its JavaScript string form', () => {
    expect(parseAmount(64.05, USD)).to.equal(6405n);
    expect(parseAmount(100, USD)).to.equal(10000n);
    expect(parseAmount(0.00012345, BTC)).to.equal(12345n);
    expect(parseAmount(1e20, USD)).to.equal(10n ** 22n);
  });

  const rejected: [string | number, string][] = [
    ['1e3', 'amount_not_decimal'],
    ['1E3', 'amount_not_decimal'],
    ['0x10', 'amount_not_decimal'],
    ['', 'amount_empty'],
    [' 1', 'amount_not_decimal'],
    ['1 ', 'amount_not_decimal'],
    ['1 000', 'amount_not_decimal'],
    ['-1', 'amount_not_positive'],
    ['-0.5', 'amount_not_positive'],
    ['+1', 'amount_not_decimal'],
    ['0', 'amount_not_positive'],
    ['0.00', 'amount_not_positive'],
    ['NaN', 'amount_not_decimal'],
    ['Infinity', 'amount_not_decimal'],
    ['-Infinity', 'amount_not_decimal'],
    ['1.123', 'amount_too_precise'],
    ['1.', 'amount_not_decimal'],
    ['.5', 'amount_not_decimal'],
    ['1,5', 'amount_not_decimal'],
    ['١٢', 'amount_not_decimal'],
    ['1'.repeat(31), 'amount_too_large'],
    ['1'.repeat(101), 'amount_too_long'],
    [1e21, 'amount_not_decimal'],
    [0.1 + 0.2, 'amount_imprecise_number'],
    [123456789012345680000, 'amount_imprecise_number'],
    [5e-7, 'amount_not_decimal'],
    [NaN, 'amount_not_decimal'],
    [Infinity, 'amount_not_decimal'],
    [-1, 'amount_not_positive'],
    [0, 'amount_not_positive'],
    [-0, 'amount_not_positive'],
    [1.123, 'amount_too_precise'],
  ];
  for (const [input, code] of rejected) {
    it(`rejects ${typeof input} ${JSON.stringify(String(input)).slice(0, 30)} in USD as ${code}`, () => {
      const error = rejection(() => parseAmount(input, USD));
      expect(error.code).to.equal(code);
      expect(error.kind).to.equal('validation');
      expect(error.message).to.match(/^amount /);
    });
  }

  it('explains the reason in the message', () => {
    expect(rejection(() => parseAmount('1.123', USD)).message).to.equal(
      'amount "1.123" has 3 decimal places; USD allows at most 2 decimal places',
    );
    expect(rejection(() => parseAmount('1e3', USD)).message).to.contain('exponent');
    expect(rejection(() => parseAmount('0x10', USD)).message).to.contain('hexadecimal');
    expect(rejection(() => parseAmount(' 1', USD)).message).to.contain('spaces');
    expect(rejection(() => parseAmount('NaN', USD)).message).to.contain('not a number');
    expect(rejection(() => parseAmount('0', USD)).message).to.contain('greater than zero');
    expect(rejection(() => parseAmount('-1', USD)).message).to.contain('positive');
    expect(rejection(() => parseAmount(1e21, USD)).message).to.contain('as a decimal string');
    expect(rejection(() => parseAmount('1.123', USD)).details).to.deep.equal({
      value: '1.123',
      currency: 'USD',
      scale: 2,
    });
  });

  it('rejects values that are neither strings nor numbers', () => {
    for (const input of [null, undefined, true, {}, [], 1n]) {
      expect(rejection(() => parseAmount(input as unknown as string, USD)).code).to.equal(
        'amount_not_decimal',
      );
    }
  });

  it('formats minor units canonically', () => {
    expect(formatAmount(10010n, USD)).to.equal('100.1');
    expect(formatAmount(6405n, USD)).to.equal('64.05');
    expect(formatAmount(100000n, BTC)).to.equal('0.001');
    expect(formatAmount(0n, USD)).to.equal('0');
    expect(formatAmount(10000n, USD)).to.equal('100');
    expect(formatAmount(1n, ETH)).to.equal('0.000000000000000001');
    expect(formatAmount(-150n, USD)).to.equal('-1.5');
  });

  it('reads stored non-negative amounts, zero included', () => {
    expect(parseMinorUnits('0', USD)).to.equal(0n);
    expect(parseMinorUnits('64.05', USD)).to.equal(6405n);
    expect(() => parseMinorUnits('-1', USD)).to.throw(DomainError);
    expect(() => parseMinorUnits('0.001', USD)).to.throw(DomainError);
  });

  it('parses every amount up to maxMinorUnits and nothing above it', () => {
    for (const c of currencies()) {
      const max = maxMinorUnits(c);
      expect(parseAmount(formatAmount(max, c), c)).to.equal(max);
      expect(parseMinorUnits(formatAmount(max, c), c)).to.equal(max);
      expect(rejection(() => parseAmount(formatAmount(max + 1n, c), c)).code).to.equal(
        'amount_too_large',
      );
    }
  });

  it('adds "0.1" and "0.2" to exactly "0.3"', () => {
    for (const c of [USD, BTC, ETH]) {
      expect(formatAmount(parseAmount('0.1', c) + parseAmount('0.2', c), c)).to.equal('0.3');
    }
  });

  it('round-trips parse(format(x)) = x for every x ≥ 1 in every currency', () => {
    const amounts = fc.constantFrom(...currencies()).chain((c) =>
      fc.tuple(
        fc.constant(c),
        // Magnitude first, so single minor units and 30-digit fortunes are both covered.
        fc
          .integer({ min: 1, max: c.scale + 30 })
          .chain((digits) => fc.bigInt({ min: 1n, max: 10n ** BigInt(digits) - 1n })),
      ),
    );
    fc.assert(
      fc.property(amounts, ([c, x]) => {
        expect(parseAmount(formatAmount(x, c), c)).to.equal(x);
      }),
      { numRuns: 3000 },
    );
  });

  it('formats whatever it accepts canonically, with the same value', () => {
    const text = fc
      .tuple(
        fc.constantFrom(...currencies()),
        fc.stringMatching(/^\d{1,30}$/),
        fc.stringMatching(/^\d{0,18}$/),
      )
      .map(([c, integer, fraction]) => ({
        c,
        text:
          fraction.slice(0, c.scale) === '' ? integer : `${integer}.${fraction.slice(0, c.scale)}`,
      }))
      .filter(({ text }) => /[1-9]/.test(text));
    fc.assert(
      fc.property(text, ({ c, text }) => {
        const minor = parseAmount(text, c);
        const formatted = formatAmount(minor, c);
        expect(formatted).to.match(CANONICAL);
        expect(parseAmount(formatted, c)).to.equal(minor);
        if (CANONICAL.test(text)) expect(formatted).to.equal(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('never accepts more decimals than the scale, nor anything not plain digits', () => {
    const decimalish = fc.string({
      unit: fc.constantFrom('0', '1', '5', '9', '.', '-', '+', 'e', 'x', ' ', ','),
      maxLength: 8,
    });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 12 }), decimalish), (text) => {
        let accepted = true;
        try {
          parseAmount(text, USD);
        } catch (error) {
          expect(error).to.be.instanceOf(DomainError);
          accepted = false;
        }
        expect(accepted).to.equal(/^\d+(\.\d{1,2})?$/.test(text) && /[1-9]/.test(text));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('generic decimals', () => {
  it('parses to normalised digits and scale', () => {
    expect(parseDecimal('0.0000231')).to.deep.equal({ digits: 231n, scale: 7 });
    expect(parseDecimal('1.50')).to.deep.equal({ digits: 15n, scale: 1 });
    expect(parseDecimal('100')).to.deep.equal({ digits: 100n, scale: 0 });
    expect(parseDecimal('0.000016666666666666')).to.deep.equal({
      digits: 16666666666666n,
      scale: 18,
    });
  });

  it('formats canonically', () => {
    expect(formatDecimal({ digits: 231n, scale: 7 })).to.equal('0.0000231');
    expect(formatDecimal({ digits: 100n, scale: 0 })).to.equal('100');
    expect(formatDecimal(parseDecimal('0012.3400'))).to.equal('12.34');
  });

  it('rejects with codes named after the subject', () => {
    expect(rejection(() => parseDecimal('0', 'rate')).code).to.equal('rate_not_positive');
    expect(rejection(() => parseDecimal('1e-5', 'rate')).code).to.equal('rate_not_decimal');
    expect(rejection(() => parseDecimal('-2')).code).to.equal('decimal_not_positive');
    expect(rejection(() => parseDecimal('')).code).to.equal('decimal_empty');
  });

  it('round-trips format(parse(s)) for any positive decimal', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 30n - 1n }),
        fc.nat({ max: 30 }),
        (digits, scale) => {
          const text = formatDecimal({ digits, scale });
          expect(text).to.match(CANONICAL);
          expect(formatDecimal(parseDecimal(text))).to.equal(text);
        },
      ),
    );
  });
});
