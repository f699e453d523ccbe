/** Money: currencies, exact decimal text ⇄ bigint minor units, rates and conversion. */
export { currencies, currency, isCurrency, type Currency, type CurrencyCode } from './currency.ts';
export {
  formatAmount,
  formatDecimal,
  maxMinorUnits,
  parseAmount,
  parseDecimal,
  parseMinorUnits,
  type Decimal,
} from './decimal.ts';
export {
  compare,
  invert,
  multiply,
  rational,
  rationalFromDecimal,
  roundRational,
  type Rational,
  type Rounding,
} from './rational.ts';
export { canonicalRate, parseRate } from './rate.ts';
export { convert } from './convert.ts';
