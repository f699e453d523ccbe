import type { Rational } from '../../domain/money/index.ts';

/**
 * True when `next` differs from the positive `previous` by more than `maxMove` (a fraction:
 * 1/5 is 20%) of `previous`, compared exactly:
 *   |n − p| > m·p  ⇔  |n.num·p.den − p.num·n.den| · m.den > m.num · p.num · n.den
 * (every denominator is positive, so multiplying through keeps the inequality).
 */
export const movedMoreThan = (previous: Rational, next: Rational, maxMove: Rational): boolean => {
  const difference = next.num * previous.den - previous.num * next.den;
  const distance = difference < 0n ? -difference : difference;
  return distance * maxMove.den > maxMove.num * previous.num * next.den;
};
