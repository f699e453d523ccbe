/**
 * Money on screen. The console uses the server's own currency registry and exact decimal
 * arithmetic (domain/money): amounts and rates stay decimal strings and bigints, never floats.
 */
import {
  compare,
  currencies,
  formatDecimal,
  invert,
  multiply,
  rational,
  rationalFromDecimal,
  roundRational,
  type Rational,
  type Rounding,
} from '../../domain/money/index.ts';

export const FIAT = currencies()
  .filter((c) => c.kind === 'fiat')
  .map((c) => c.code);
export const CRYPTO = currencies()
  .filter((c) => c.kind === 'crypto')
  .map((c) => c.code);
export const currencyName = (code: string): string =>
  currencies().find((c) => c.code === code)?.name ?? code;

/** `r` as decimal text with exactly `scale` decimals, rounded the way asked. */
export const fixed = (r: Rational, scale: number, rounding: Rounding = 'down'): string => {
  const digits = roundRational(multiply(r, rational(10n ** BigInt(scale))), rounding);
  const text = formatDecimal({ digits, scale });
  const [whole, fraction = ''] = text.split('.');
  return scale === 0 ? (whole ?? text) : `${whole}.${fraction.padEnd(scale, '0')}`;
};

/** USD per whole coin, from a rate quoted as coins per USD. */
export const priceOf = (rate: string): Rational => invert(rationalFromDecimal(rate));

/** A price for people: cents above one dollar, six decimals below. */
export const showPrice = (price: Rational): string =>
  groupThousands(fixed(price, compare(price, rational(1n)) >= 0 ? 2 : 6));

/** "1234567.5" → "1,234,567.5": grouping only, the digits are untouched. */
export const groupThousands = (text: string): string => {
  const [whole = '', fraction] = text.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
};

/** The price limit `tolerance` basis points away from `price`, in whole cents. */
export const priceLimit = (price: Rational, toleranceBps: number, side: 'buy' | 'sell'): string => {
  const factor = rational(
    BigInt(10_000 + (side === 'buy' ? toleranceBps : -toleranceBps)),
    10_000n,
  );
  const limit = fixed(multiply(price, factor), 2, side === 'buy' ? 'up' : 'down');
  return limit === '0.00' ? '0.01' : limit;
};

/** An estimate of what `amount` coins cost or fetch at `price`, in cents. */
export const estimate = (amount: string, price: Rational, side: 'buy' | 'sell'): string | null => {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(amount) || isZero(amount)) return null;
  return fixed(multiply(rationalFromDecimal(amount), price), 2, side === 'buy' ? 'up' : 'down');
};

export const isZero = (amount: string): boolean => /^0+(\.0+)?$/.test(amount);
