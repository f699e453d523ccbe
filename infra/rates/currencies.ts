import { currencies } from '../../domain/money/index.ts';

/** The rate sources quote every registered currency against USD. */
export const RATE_BASE = 'USD';

export const RATE_CURRENCIES: readonly string[] = Object.freeze(
  currencies().map((currency) => currency.code),
);
