import { DomainError } from '../errors.ts';

/** An ISO-4217-style code: 'USD', 'BTC', ... (upper case, exactly as registered). */
export type CurrencyCode = string;

export interface Currency {
  readonly code: CurrencyCode;
  readonly name: string;
  /** Number of decimals of the minor unit: USD 2 (cents), BTC 8 (satoshi), ETH 18 (wei). */
  readonly scale: number;
  readonly kind: 'fiat' | 'crypto';
}

const define = (
  code: CurrencyCode,
  name: string,
  scale: number,
  kind: Currency['kind'],
): Currency => Object.freeze({ code, name, scale, kind });

// Crypto scales are the on-chain precision of each asset, so an amount held here can always be
// moved on chain without rounding. The registry only ever grows: recorded events name these codes.
const REGISTRY: readonly Currency[] = Object.freeze([
  define('USD', 'US Dollar', 2, 'fiat'),
  define('EUR', 'Euro', 2, 'fiat'),
  define('GBP', 'Pound Sterling', 2, 'fiat'),
  define('BTC', 'Bitcoin', 8, 'crypto'),
  define('ETH', 'Ether', 18, 'crypto'),
  define('LTC', 'Litecoin', 8, 'crypto'),
  define('BCH', 'Bitcoin Cash', 8, 'crypto'),
  define('XRP', 'XRP', 6, 'crypto'),
  define('ADA', 'Cardano', 6, 'crypto'),
  define('SOL', 'Solana', 9, 'crypto'),
  define('DOT', 'Polkadot', 10, 'crypto'),
  define('DOGE', 'Dogecoin', 8, 'crypto'),
  define('AVAX', 'Avalanche', 18, 'crypto'),
  define('POL', 'Polygon', 18, 'crypto'),
  define('LINK', 'Chainlink', 18, 'crypto'),
  define('XLM', 'Stellar Lumens', 7, 'crypto'),
  define('ATOM', 'Cosmos', 6, 'crypto'),
  define('ALGO', 'Algorand', 6, 'crypto'),
  define('TRX', 'TRON', 6, 'crypto'),
  define('XTZ', 'Tezos', 6, 'crypto'),
  define('ETC', 'Ethereum Classic', 18, 'crypto'),
  define('USDC', 'USD Coin', 6, 'crypto'),
  define('USDT', 'Tether', 6, 'crypto'),
]);

// A Map, not an object, so that codes like 'constructor' or '__proto__' are simply unknown.
const BY_CODE: ReadonlyMap<CurrencyCode, Currency> = new Map(REGISTRY.map((c) => [c.code, c]));

/** Every supported currency, fiat first. */
export const currencies = (): readonly Currency[] => REGISTRY;

/** True when `code` names a supported currency (exact, case-sensitive). */
export const isCurrency = (code: unknown): code is CurrencyCode =>
  typeof code === 'string' && BY_CODE.has(code);

/** The currency for `code`; a DomainError `unknown_currency` (validation) otherwise. */
export const currency = (code: CurrencyCode): Currency => {
  const found = typeof code === 'string' ? BY_CODE.get(code) : undefined;
  if (found) return found;
  const shown = typeof code === 'string' ? JSON.stringify(code.slice(0, 20)) : typeof code;
  const upper = typeof code === 'string' ? code.toUpperCase() : '';
  const hint = upper !== code && BY_CODE.has(upper) ? ` (codes are upper case: ${upper})` : '';
  throw new DomainError(
    'validation',
    'unknown_currency',
    `${shown} is not a supported currency${hint}`,
    { currency: typeof code === 'string' ? code.slice(0, 20) : null },
  );
};
