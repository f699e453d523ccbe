/** Rate sources: the embedded simulated market, the Coinbase poller, and freshness checks. */
export { createSimulatedMarket, SIMULATED_INSTRUMENTS } from './simulated-market.ts';
export type {
  SimulatedInstrument,
  SimulatedMarket,
  SimulatedMarketOptions,
} from './simulated-market.ts';
export { createCoinbaseRateSource } from './coinbase-rate-source.ts';
export type {
  CoinbaseRateSource,
  CoinbaseRateSourceOptions,
  CoinbaseRateSourceStatus,
  RateRejection,
} from './coinbase-rate-source.ts';
export { ageMs, isFresh, requireFreshRates } from './rate-freshness.ts';
export { RATE_BASE, RATE_CURRENCIES } from './currencies.ts';
