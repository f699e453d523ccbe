import type { Logger } from 'pino';
import type { RateSnapshot, RateSource } from '../../ports/rate-source.ts';
import { RATE_BASE } from './currencies.ts';
import { formatDecimal, parseDecimal } from '../../domain/money/index.ts';
import { createListenerSet } from './listener-set.ts';
import { integerBetween, mulberry32 } from './prng.ts';

/**
 * The embedded rate source: a seeded random walk around realistic USD prices. Prices are
 * USD per unit in 18-decimal fixed point; published rates are their inverse (units per
 * USD, the port's convention), rounded down to 18 decimals.
 */

const PRICE_SCALE = 18;
const ONE_PRICE = 10n ** BigInt(PRICE_SCALE);
const PPM = 1_000_000n;
/** Each tick closes this fraction (1/N) of the gap to the anchor, so prices stay realistic. */
const REVERSION_DIVISOR = 200n;

export interface SimulatedInstrument {
  /** USD per one unit, a decimal string. */
  anchorUsd: string;
  /** The largest move per tick, in parts per million of the price. */
  maxStepPpm: number;
}

const fiat = (anchorUsd: string): SimulatedInstrument => ({ anchorUsd, maxStepPpm: 300 });
const stable = (anchorUsd: string): SimulatedInstrument => ({ anchorUsd, maxStepPpm: 100 });
const coin = (anchorUsd: string): SimulatedInstrument => ({ anchorUsd, maxStepPpm: 3_000 });

/** Typical mid-2024 prices. USD is the base and never moves. */
export const SIMULATED_INSTRUMENTS: Readonly<Record<string, SimulatedInstrument>> = {
  USD: { anchorUsd: '1', maxStepPpm: 0 },
  EUR: fiat('1.087'),
  GBP: fiat('1.266'),
  BTC: coin('60000'),
  ETH: coin('3000'),
  LTC: coin('80'),
  BCH: coin('400'),
  XRP: coin('0.55'),
  ADA: coin('0.45'),
  SOL: coin('150'),
  DOT: coin('7'),
  DOGE: coin('0.15'),
  AVAX: coin('30'),
  POL: coin('0.5'),
  LINK: coin('15'),
  XLM: coin('0.11'),
  ATOM: coin('8'),
  ALGO: coin('0.18'),
  TRX: coin('0.13'),
  XTZ: coin('0.9'),
  ETC: coin('25'),
  USDC: stable('1'),
  USDT: stable('1'),
};

export interface SimulatedMarketOptions {
  /** Same seed, same prices tick after tick. */
  seed: number;
  /** Default 1000. */
  tickMs?: number;
  clock?: () => Date;
  /** Receives errors thrown by tick listeners. */
  logger?: Logger;
  /** Defaults to SIMULATED_INSTRUMENTS. */
  instruments?: Readonly<Record<string, SimulatedInstrument>>;
}

export interface SimulatedMarket extends RateSource {
  /** Moves every price one step and publishes the snapshot; for tests and replays. */
  tick(): RateSnapshot;
}

const toPriceUnits = (code: string, anchorUsd: string): bigint => {
  const { digits, scale } = parseDecimal(anchorUsd, 'anchor');
  if (scale > PRICE_SCALE) throw new RangeError(`simulated market: ${code} anchor too precise`);
  return digits * 10n ** BigInt(PRICE_SCALE - scale);
};

/** Units per USD of something priced at `price` USD (18-decimal fixed point), as text. */
const rateText = (price: bigint): string =>
  formatDecimal({ digits: (ONE_PRICE * ONE_PRICE) / price, scale: PRICE_SCALE });

const clampPpm = (value: bigint, max: bigint): bigint =>
  value > max ? max : value < -max ? -max : value;

export const createSimulatedMarket = (options: SimulatedMarketOptions): SimulatedMarket => {
  const { seed, tickMs = 1000, clock = () => new Date(), logger } = options;
  const instruments = options.instruments ?? SIMULATED_INSTRUMENTS;
  if (!Number.isSafeInteger(seed))
    throw new RangeError('simulated market: seed must be an integer');
  if (!Number.isSafeInteger(tickMs) || tickMs <= 0) {
    throw new RangeError('simulated market: tickMs must be a positive integer');
  }
  const codes = Object.keys(instruments).sort();
  const anchors = new Map<string, bigint>();
  for (const code of codes) {
    const instrument = instruments[code];
    if (!instrument || !Number.isSafeInteger(instrument.maxStepPpm) || instrument.maxStepPpm < 0) {
      throw new RangeError(`simulated market: bad maxStepPpm for ${code}`);
    }
    anchors.set(code, toPriceUnits(code, instrument.anchorUsd));
  }
  const prices = new Map(anchors);
  const random = mulberry32(seed);
  const listeners = createListenerSet<RateSnapshot>((error) =>
    logger?.error({ err: error }, 'rate tick listener failed'),
  );
  let latest: RateSnapshot | null = null;
  let timer: NodeJS.Timeout | undefined;

  const snapshot = (): RateSnapshot => {
    const rates: Record<string, string> = {};
    for (const code of codes) rates[code] = rateText(prices.get(code) ?? ONE_PRICE);
    return Object.freeze({ base: RATE_BASE, rates: Object.freeze(rates), at: clock() });
  };

  const publish = (next: RateSnapshot): RateSnapshot => {
    latest = next;
    listeners.emit(next);
    return next;
  };

  // Codes are walked in a fixed (sorted) order so each draws the same numbers on every replay.
  const step = (): void => {
    for (const code of codes) {
      const maxStepPpm = instruments[code]?.maxStepPpm ?? 0;
      const price = prices.get(code) ?? ONE_PRICE;
      const anchor = anchors.get(code) ?? price;
      const noise = maxStepPpm === 0 ? 0 : integerBetween(random, -maxStepPpm, maxStepPpm);
      const pull = ((anchor - price) * PPM) / price / REVERSION_DIVISOR;
      const maxMove = BigInt(maxStepPpm);
      const movePpm = clampPpm(BigInt(noise) + pull, maxMove);
      const next = (price * (PPM + movePpm)) / PPM;
      prices.set(code, next > 0n ? next : 1n);
    }
  };

  return {
    async start() {
      if (timer) return;
      if (latest === null) publish(snapshot());
      timer = setInterval(() => {
        step();
        publish(snapshot());
      }, tickMs);
      // The market never holds the process open on its own; servers do that.
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
    },
    latest: () => latest,
    onTick: (listener) => listeners.add(listener),
    tick() {
      step();
      return publish(snapshot());
    },
  };
};
