/**
 * Exact fractions of bigints, so that a conversion is computed without loss and rounded once,
 * at the end, in a direction the caller chose.
 */
import { parseDecimal, type Decimal } from './decimal.ts';

/** `num / den` in lowest terms, `den` always positive. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

/** Which way a fraction becomes an integer: 'down' toward −∞ (floor), 'up' toward +∞ (ceiling). */
export type Rounding = 'down' | 'up';

const abs = (n: bigint): bigint => (n < 0n ? -n : n);

const gcd = (a: bigint, b: bigint): bigint => {
  let [x, y] = [abs(a), abs(b)];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
};

/** The fraction `num / den` normalised; a RangeError for a zero denominator. */
export const rational = (num: bigint, den: bigint = 1n): Rational => {
  if (den === 0n) throw new RangeError('rational: zero denominator');
  const sign = den < 0n ? -1n : 1n;
  const divisor = gcd(num, den);
  return { num: (sign * num) / divisor, den: (sign * den) / divisor };
};

/** The exact value of a decimal, given parsed or as strict positive decimal text. */
export const rationalFromDecimal = (decimal: Decimal | string): Rational => {
  const { digits, scale } = typeof decimal === 'string' ? parseDecimal(decimal) : decimal;
  return rational(digits, 10n ** BigInt(scale));
};

/** `1 / r`; a RangeError for zero. */
export const invert = (r: Rational): Rational => {
  if (r.num === 0n) throw new RangeError('rational: cannot invert zero');
  return rational(r.den, r.num);
};

/** `a × b`. */
export const multiply = (a: Rational, b: Rational): Rational =>
  rational(a.num * b.num, a.den * b.den);

/** −1, 0 or 1 as `a` is below, equal to or above `b`. */
export const compare = (a: Rational, b: Rational): -1 | 0 | 1 => {
  const difference = a.num * b.den - b.num * a.den;
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
};

/** The integer next to `r` in the chosen direction (exact when `r` is already whole). */
export const roundRational = (r: Rational, rounding: Rounding): bigint => {
  const quotient = r.num / r.den; // truncates toward zero
  if (r.num % r.den === 0n) return quotient;
  if (rounding === 'down') return r.num < 0n ? quotient - 1n : quotient;
  return r.num > 0n ? quotient + 1n : quotient;
};
