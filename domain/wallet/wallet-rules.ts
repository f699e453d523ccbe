/** The rules every wallet decision shares: currencies, amounts, limits and cover. */
import { DomainError } from '../errors.ts';
import { currencies, currency, type Currency, type CurrencyCode } from '../money/currency.ts';
import { formatAmount, maxMinorUnits } from '../money/decimal.ts';
import { balanceOf, type WalletState } from './wallet-state.ts';

export const codesOf = (kind: Currency['kind']): CurrencyCode[] =>
  currencies()
    .filter((c) => c.kind === kind)
    .map((c) => c.code);

export const ofKind = (code: CurrencyCode, kind: Currency['kind'], purpose: string): Currency => {
  const found = currency(code);
  if (found.kind !== kind) {
    const supported = codesOf(kind);
    throw new DomainError(
      'validation',
      'currency_not_supported',
      `${purpose} are only possible in ${kind} currencies (${supported.join(', ')}); ${found.code} is ${found.kind}`,
      { currency: found.code, supported },
    );
  }
  return found;
};

/** Guards against caller bugs: the edge parses amounts; the domain never sees text here. */
export const requireMinorUnits = (value: unknown, name: string): bigint => {
  if (typeof value !== 'bigint') throw new TypeError(`${name} must be a bigint of minor units`);
  return value;
};

export const requirePositive = (
  value: bigint,
  name: string,
  code: string,
  unit: Currency,
): void => {
  if (requireMinorUnits(value, name) <= 0n) {
    throw new DomainError('validation', code, `${name} must be greater than zero`, {
      field: name,
      value: formatAmount(value, unit),
    });
  }
};

// Limits keep every amount the wallet records parseable again (see maxMinorUnits).
export const requireAmountWithinLimit = (amount: bigint, unit: Currency): void => {
  const limit = maxMinorUnits(unit);
  if (amount > limit) {
    throw new DomainError(
      'validation',
      'amount_too_large',
      `amount must be at most ${formatAmount(limit, unit)} ${unit.code}`,
      { field: 'amount', currency: unit.code, maximum: formatAmount(limit, unit) },
    );
  }
};

export const requireBalanceWithinLimit = (balance: bigint, unit: Currency): void => {
  const limit = maxMinorUnits(unit);
  if (balance > limit) {
    throw new DomainError(
      'rule',
      'balance_limit_exceeded',
      `the ${unit.code} balance would exceed ${formatAmount(limit, unit)} ${unit.code}`,
      { currency: unit.code, maximum: formatAmount(limit, unit) },
    );
  }
};

export const requireCovered = (state: WalletState, unit: Currency, required: bigint): void => {
  const balance = balanceOf(state, unit.code);
  if (balance < required) {
    throw new DomainError(
      'rule',
      'insufficient_funds',
      `${formatAmount(required, unit)} ${unit.code} is needed but the balance is ${formatAmount(balance, unit)} ${unit.code}`,
      {
        currency: unit.code,
        balance: formatAmount(balance, unit),
        required: formatAmount(required, unit),
      },
    );
  }
};

export const requireUser = (userId: unknown): string => {
  if (typeof userId !== 'string' || userId === '') throw new TypeError('userId is required');
  return userId;
};
