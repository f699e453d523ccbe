/**
 * Exchange rates follow Coinbase's convention: a rate is a positive decimal string meaning
 * "units of `quote` per one unit of `base`". With base USD, `rates.BTC = "0.0000231"` means
 * 1 USD buys 0.0000231 BTC, so the price of 1 BTC is 1 / 0.0000231 USD. In code a rate is an
 * exact Rational; its text is kept canonical so events record it unambiguously.
 */
import { formatDecimal, parseDecimal } from './decimal.ts';
import { rationalFromDecimal, type Rational } from './rational.ts';

/** The exact value of rate text; validation codes rate_not_decimal, rate_not_positive, … */
export const parseRate = (text: string | number): Rational =>
  rationalFromDecimal(parseDecimal(text, 'rate'));

/** Canonical text of a rate ("0.00002310" → "0.0000231"); same validation as parseRate. */
export const canonicalRate = (text: string | number): string =>
  formatDecimal(parseDecimal(text, 'rate'));
