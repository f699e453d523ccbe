import type { Currency } from './currency.ts';
import { rational, roundRational, type Rational, type Rounding } from './rational.ts';

/**
 * Converts `amountMinor` minor units of `from` into minor units of `to`, where `rate` is the
 * number of whole `to` units per one whole `from` unit (for a Coinbase USD rate r of `to`, that
 * is r itself when converting from USD and `invert(r)` when converting to USD).
 *
 * The arithmetic is exact and rounds once. Rounding is never implicit: the caller picks the
 * house's favour — 'down' on what the user receives, 'up' on what the user pays — so a
 * conversion can never create money.
 */
export const convert = (
  amountMinor: bigint,
  from: Currency,
  to: Currency,
  rate: Rational,
  rounding: Rounding,
): bigint => {
  if (rate.num <= 0n || rate.den <= 0n) throw new RangeError('convert: rate must be positive');
  const exact = rational(
    amountMinor * rate.num * 10n ** BigInt(to.scale),
    rate.den * 10n ** BigInt(from.scale),
  );
  return roundRational(exact, rounding);
};
