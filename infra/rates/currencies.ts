/**
 * The currencies the rate sources quote, all against USD. Kept in one place so it can be
 * replaced by the currency registry in domain/money once that exists.
 */
export const RATE_BASE = 'USD';

export const RATE_CURRENCIES = [
  'USD',
  'EUR',
  'GBP',
  'BTC',
  'ETH',
  'LTC',
  'BCH',
  'XRP',
  'ADA',
  'SOL',
  'DOT',
  'DOGE',
  'AVAX',
  'POL',
  'LINK',
  'XLM',
  'ATOM',
  'ALGO',
  'TRX',
  'XTZ',
  'ETC',
  'USDC',
  'USDT',
] as const;

export type RateCurrency = (typeof RATE_CURRENCIES)[number];
