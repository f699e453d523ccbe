import type { Rational } from '../../../domain/money/index.ts';
import type { RatesMessage } from '../api/live-messages.ts';
import { CRYPTO, fixed, priceOf } from '../money.ts';

/** Live prices in USD per coin, with a short series of each for its sparkline. */
export interface Market {
  at: string | null;
  prices: Record<string, { price: Rational; series: number[] }>;
}

const SERIES_LENGTH = 60;

export const emptyMarket: Market = { at: null, prices: {} };

export const withRates = (market: Market, message: RatesMessage): Market => {
  if (message.currency !== 'USD') return market;
  if (market.at !== null && message.at < market.at) return market;
  const prices: Market['prices'] = { ...market.prices };
  for (const code of CRYPTO) {
    const rate = message.rates[code];
    if (rate === undefined) continue;
    let price: Rational;
    try {
      price = priceOf(rate);
    } catch {
      continue;
    }
    const series = [...(prices[code]?.series ?? []), Number(fixed(price, 6))];
    prices[code] = { price, series: series.slice(-SERIES_LENGTH) };
  }
  return { at: message.at, prices };
};
