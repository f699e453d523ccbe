/**
 * Exact decimal arithmetic for rates, private to the rate sources until domain/money offers
 * the same. A value is `units / 10^scale` with bigint units, so a rate such as
 * "0.000016339869281045751633986928104575" round-trips without losing a digit.
 */
export interface Decimal {
  units: bigint;
  scale: number;
}

/** Longer inputs are refused rather than parsed: a feed has no business sending them. */
const MAX_TEXT_LENGTH = 80;
const MAX_EXPONENT = 40;
const DECIMAL_PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/;

/** Parses plain or scientific decimal text ("12.5", "-0.3", "1.6e-5"); null when it is not one. */
export const parseDecimal = (text: string): Decimal | null => {
  if (text.length === 0 || text.length > MAX_TEXT_LENGTH) return null;
  const match = DECIMAL_PATTERN.exec(text);
  if (!match) return null;
  const [, sign = '', whole = '', fraction = '', exponentText] = match;
  if (whole.length === 0 && fraction.length === 0) return null;
  const exponent = exponentText === undefined ? 0 : Number.parseInt(exponentText, 10);
  if (Math.abs(exponent) > MAX_EXPONENT) return null;
  let units = BigInt(`${whole}${fraction}` || '0');
  let scale = fraction.length - exponent;
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return normalize({ units: sign === '-' ? -units : units, scale });
};

/** Drops trailing zeros so equal values have one representation. */
export const normalize = (value: Decimal): Decimal => {
  let { units, scale } = value;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return { units, scale };
};

/** Canonical plain text: no exponent, no trailing zeros ("0.0000163", "60000", "-1.5"). */
export const formatDecimal = (value: Decimal): string => {
  const { units, scale } = normalize(value);
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString();
  const sign = negative ? '-' : '';
  if (scale === 0) return `${sign}${digits}`;
  const padded = digits.padStart(scale + 1, '0');
  return `${sign}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
};

/** The units of `value` at a larger-or-equal scale. */
const unitsAt = (value: Decimal, scale: number): bigint =>
  value.units * 10n ** BigInt(scale - value.scale);

export const compareDecimals = (a: Decimal, b: Decimal): -1 | 0 | 1 => {
  const scale = Math.max(a.scale, b.scale);
  const left = unitsAt(a, scale);
  const right = unitsAt(b, scale);
  return left < right ? -1 : left > right ? 1 : 0;
};

export const isPositive = (value: Decimal): boolean => value.units > 0n;

/**
 * True when `next` differs from the positive `previous` by more than `maxMove` (a fraction,
 * 0.2 = 20%) of `previous`: |next - previous| > maxMove * previous, compared exactly.
 */
export const movedMoreThan = (previous: Decimal, next: Decimal, maxMove: Decimal): boolean => {
  const scale = Math.max(previous.scale, next.scale);
  const prev = unitsAt(previous, scale);
  const diff = unitsAt(next, scale) - prev;
  const distance = diff < 0n ? -diff : diff;
  // distance / 10^scale > maxMove.units / 10^maxMove.scale * prev / 10^scale
  return distance * 10n ** BigInt(maxMove.scale) > maxMove.units * prev;
};

/** `numerator / denominator` at `scale` decimals, rounded half away from zero. */
export const divideToScale = (numerator: Decimal, denominator: Decimal, scale: number): Decimal => {
  if (denominator.units === 0n) throw new RangeError('division by zero');
  // (n.units / 10^n.scale) / (d.units / 10^d.scale) * 10^scale
  //   = n.units * 10^(d.scale + scale) / (d.units * 10^n.scale)
  let top = numerator.units * 10n ** BigInt(denominator.scale + scale);
  let bottom = denominator.units * 10n ** BigInt(numerator.scale);
  if (bottom < 0n) {
    top = -top;
    bottom = -bottom;
  }
  const negative = top < 0n;
  const magnitude = negative ? -top : top;
  const quotient = (magnitude * 2n + bottom) / (bottom * 2n);
  return normalize({ units: negative ? -quotient : quotient, scale });
};
