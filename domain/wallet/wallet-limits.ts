import { DomainError } from '../errors.ts';
import type { Currency } from '../money/currency.ts';
import { formatAmount } from '../money/decimal.ts';

/**
 * Business limits on money coming in, set by the operator: the largest single deposit and the
 * largest balance a wallet may hold, by currency code (`*` for every currency not named), as
 * decimal text in units of that currency. Beyond the technical ceiling every amount has anyway
 * (maxMinorUnits), these keep one request from crediting absurd sums.
 */
export interface WalletLimits {
  maxDeposit: Readonly<Record<string, string>>;
  maxBalance: Readonly<Record<string, string>>;
}

export const NO_WALLET_LIMITS: WalletLimits = Object.freeze({ maxDeposit: {}, maxBalance: {} });

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** The limit for `unit` in its minor units (digits beyond its scale dropped), or null. */
export const limitFor = (
  limits: Readonly<Record<string, string>>,
  unit: Currency,
): bigint | null => {
  const text = limits[unit.code] ?? limits['*'];
  if (text === undefined) return null;
  const match = DECIMAL.exec(text);
  if (match === null)
    throw new RangeError(`wallet limit for ${unit.code} is not a decimal: ${text}`);
  const [, whole = '0', fraction = ''] = match;
  return BigInt(whole + fraction.slice(0, unit.scale).padEnd(unit.scale, '0'));
};

export const requireDepositWithinLimit = (
  limits: WalletLimits,
  amount: bigint,
  unit: Currency,
): void => {
  const limit = limitFor(limits.maxDeposit, unit);
  if (limit === null || amount <= limit) return;
  const maximum = formatAmount(limit, unit);
  throw new DomainError(
    'rule',
    'deposit_limit_exceeded',
    `A single deposit may be at most ${maximum} ${unit.code} (the deposit limit).`,
    { field: 'amount', limit: 'max_deposit', currency: unit.code, maximum },
  );
};

export const requireBalanceWithinPolicy = (
  limits: WalletLimits,
  balance: bigint,
  unit: Currency,
): void => {
  const limit = limitFor(limits.maxBalance, unit);
  if (limit === null || balance <= limit) return;
  const maximum = formatAmount(limit, unit);
  throw new DomainError(
    'rule',
    'balance_limit_exceeded',
    `The ${unit.code} balance would exceed ${maximum} ${unit.code} (the balance limit).`,
    { limit: 'max_balance', currency: unit.code, maximum, balance: formatAmount(balance, unit) },
  );
};
