/**
 * Strict decimal text ⇄ exact integers. Money arrives as text ("0.005") or as a JSON number,
 * which is read through its JavaScript string form and held to the same rule, so a float
 * artefact (0.30000000000000004, 1e+21) is refused instead of silently rounded.
 */
import { DomainError } from '../errors.ts';
import type { Currency } from './currency.ts';

/** An exact positive decimal: 0.0000231 is `{ digits: 231n, scale: 7 }` (no trailing zeros). */
export interface Decimal {
  readonly digits: bigint;
  readonly scale: number;
}

const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const NEGATIVE_DECIMAL = /^-\d+(?:\.\d+)?$/;
// Far beyond any real amount or rate, and short enough that parsing stays cheap on hostile input.
const MAX_TEXT_LENGTH = 100;
// 10^30 whole units is beyond the supply of any asset, even at 18 decimals.
const MAX_INTEGER_DIGITS = 30;
// A double carries every decimal of up to 15 significant digits unchanged; past that, the
// number we were handed may not be the one the client wrote.
const MAX_NUMBER_DIGITS = 15;
const SHOWN_LENGTH = 40;

interface DecimalText {
  integer: string;
  fraction: string;
  /** The text quoted for a message, and cut short for details. */
  shown: string;
  value: string;
}

const show = (text: string): string =>
  JSON.stringify(text.length > SHOWN_LENGTH ? `${text.slice(0, SHOWN_LENGTH)}…` : text);

const significantDigits = (digits: string): number =>
  digits.replace(/^0+/, '').replace(/0+$/, '').length;

const whyNotDecimal = (text: string, fromNumber: boolean): string => {
  if (fromNumber && /e/i.test(text)) {
    return 'JavaScript writes this JSON number in exponent form; send it as a decimal string instead';
  }
  if (/^[+-]?(nan|inf(inity)?)$/i.test(text)) return 'it is not a number';
  if (/\s/.test(text)) return 'it must not contain spaces';
  if (/^[+-]?0x/i.test(text)) return 'hexadecimal is not accepted';
  if (/^[+-]?[\d.]*e[+-]?\d*$/i.test(text))
    return 'exponent notation is not accepted; write it out';
  if (/^\+/.test(text)) return 'it must not carry a sign';
  if (text.includes(',')) return 'use "." as the decimal point and no thousands separators';
  if (/^\.|\.$/.test(text)) return 'it needs digits on both sides of the decimal point';
  return 'it must be plain digits with an optional fraction, like "12.34"';
};

const invalid = (
  subject: string,
  problem: string,
  message: string,
  details: Record<string, unknown> = {},
): DomainError => new DomainError('validation', `${subject}_${problem}`, message, details);

/** Splits `input` into digit strings or explains, with codes `<subject>_…`, why it is not one. */
const readDecimalText = (input: unknown, subject: string): DecimalText => {
  const fromNumber = typeof input === 'number';
  if (typeof input !== 'string' && !fromNumber) {
    const got = input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input;
    throw invalid(
      subject,
      'not_decimal',
      `${subject} must be a decimal string like "12.34" or a JSON number, got ${got}`,
    );
  }
  const text = String(input);
  const shown = show(text);
  const details = { value: text.slice(0, SHOWN_LENGTH) };
  if (text === '') throw invalid(subject, 'empty', `${subject} is empty`, details);
  if (text.length > MAX_TEXT_LENGTH) {
    throw invalid(
      subject,
      'too_long',
      `${subject} ${shown} is longer than ${MAX_TEXT_LENGTH} characters`,
      details,
    );
  }
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) {
    if (NEGATIVE_DECIMAL.test(text)) {
      throw invalid(subject, 'not_positive', `${subject} must be positive, got ${shown}`, details);
    }
    throw invalid(
      subject,
      'not_decimal',
      `${subject} ${shown} is not a plain decimal: ${whyNotDecimal(text, fromNumber)}`,
      details,
    );
  }
  const integer = match[1] ?? '';
  const fraction = match[2] ?? '';
  if (integer.replace(/^0+/, '').length > MAX_INTEGER_DIGITS) {
    throw invalid(
      subject,
      'too_large',
      `${subject} ${shown} has more than ${MAX_INTEGER_DIGITS} integer digits`,
      details,
    );
  }
  if (fromNumber && significantDigits(integer + fraction) > MAX_NUMBER_DIGITS) {
    throw invalid(
      subject,
      'imprecise_number',
      `${subject} ${shown} arrived as a JSON number with more than ${MAX_NUMBER_DIGITS} significant digits, which floating point cannot carry exactly; send it as a decimal string`,
      details,
    );
  }
  return { integer, fraction, shown, value: details.value };
};

const toMinor = (text: DecimalText, currency: Currency, subject: string): bigint => {
  if (text.fraction.length > currency.scale) {
    const allowed =
      currency.scale === 0 ? 'no decimals' : `at most ${currency.scale} decimal places`;
    throw invalid(
      subject,
      'too_precise',
      `${subject} ${text.shown} has ${text.fraction.length} decimal places; ${currency.code} allows ${allowed}`,
      { value: text.value, currency: currency.code, scale: currency.scale },
    );
  }
  return BigInt(text.integer + text.fraction.padEnd(currency.scale, '0'));
};

/**
 * Minor units of a money-moving amount (`"64.05"` USD → 6405n). Rejects, each with its own
 * validation code: amount_not_decimal, amount_empty, amount_too_long, amount_too_large,
 * amount_imprecise_number, amount_too_precise, amount_not_positive.
 */
export const parseAmount = (text: string | number, currency: Currency): bigint => {
  const read = readDecimalText(text, 'amount');
  const minor = toMinor(read, currency, 'amount');
  if (minor === 0n) {
    throw invalid('amount', 'not_positive', `amount must be greater than zero, got ${read.shown}`, {
      value: read.value,
    });
  }
  return minor;
};

/**
 * The largest amount, in minor units, that the domain parses, stores or lets a balance reach:
 * just under 10^30 whole units. Deciders enforce it, so every recorded amount parses again.
 */
export const maxMinorUnits = (currency: Currency): bigint =>
  10n ** BigInt(MAX_INTEGER_DIGITS + currency.scale) - 1n;

/** Minor units of a stored non-negative amount such as a balance (zero allowed; text only). */
export const parseMinorUnits = (text: string, currency: Currency): bigint =>
  toMinor(readDecimalText(text, 'amount'), currency, 'amount');

/** `value / 10^scale` as canonical decimal text: "100.1", "0.001", "-3", "0". */
const formatScaled = (value: bigint, scale: number): string => {
  const sign = value < 0n ? '-' : '';
  const magnitude = (value < 0n ? -value : value).toString();
  if (scale === 0) return sign + magnitude;
  const padded = magnitude.padStart(scale + 1, '0');
  const fraction = padded.slice(-scale).replace(/0+$/, '');
  return sign + padded.slice(0, -scale) + (fraction === '' ? '' : `.${fraction}`);
};

/** Canonical decimal text of minor units, with no trailing zeros: 6405n USD → "64.05". */
export const formatAmount = (minor: bigint, currency: Currency): string =>
  formatScaled(minor, currency.scale);

/** An exact positive decimal (for rates and prices); codes are `<subject>_…` as in parseAmount. */
export const parseDecimal = (text: string | number, subject = 'decimal'): Decimal => {
  const read = readDecimalText(text, subject);
  const fraction = read.fraction.replace(/0+$/, '');
  const digits = BigInt(read.integer + fraction);
  if (digits === 0n) {
    throw invalid(
      subject,
      'not_positive',
      `${subject} must be greater than zero, got ${read.shown}`,
      {
        value: read.value,
      },
    );
  }
  return { digits, scale: fraction.length };
};

/** Canonical decimal text of a Decimal: `{ digits: 231n, scale: 7 }` → "0.0000231". */
export const formatDecimal = (decimal: Decimal): string =>
  formatScaled(decimal.digits, decimal.scale);
