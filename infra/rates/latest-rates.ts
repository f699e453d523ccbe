import type { Logger } from 'pino';
import type { Bus } from '../../ports/bus.ts';
import type { JsonValue } from '../../ports/event-store.ts';
import { ratesSubject, type RatesMessage } from '../../ports/live-messages.ts';
import type { RateSnapshot } from '../../ports/rate-source.ts';

/**
 * The newest exchange rates as the bus delivers them: every process that prices trades or
 * serves rates keeps one, whichever process runs the rate source. Messages arrive from
 * other processes, so each is checked before it is believed; an older or repeated snapshot
 * (two feeds, a republish) is ignored so listeners only ever see rates move forward.
 */

const CURRENCY_CODE = /^[A-Z0-9]{2,10}$/;
const RATE_TEXT = /^\d{1,40}(?:\.\d{1,40})?$/;
const MAX_CURRENCIES = 500;

/** The message, if `data` is a well-formed RatesMessage for `base`; otherwise null. */
export const parseRatesMessage = (data: JsonValue, base: string): RatesMessage | null => {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const { base: messageBase, rates, at } = data;
  if (messageBase !== base || typeof at !== 'string' || Number.isNaN(Date.parse(at))) return null;
  if (typeof rates !== 'object' || rates === null || Array.isArray(rates)) return null;
  const entries = Object.entries(rates);
  if (entries.length === 0 || entries.length > MAX_CURRENCIES) return null;
  const copy: Record<string, string> = {};
  for (const [code, rate] of entries) {
    if (!CURRENCY_CODE.test(code) || typeof rate !== 'string' || !RATE_TEXT.test(rate)) return null;
    copy[code] = rate;
  }
  return { base, rates: copy, at };
};

const sameRates = (a: Record<string, string>, b: Record<string, string>): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
};

export type RatesListener = (message: RatesMessage) => void;

export interface LatestRatesOptions {
  bus: Bus;
  logger: Logger;
  /** Default USD, the only base the rate sources publish. */
  base?: string;
}

/** Holds the bus subscription, so it is a class: `close()` gives it back. */
export class LatestRates {
  readonly base: string;
  #latest: RatesMessage | null = null;
  #latestAtMs = Number.NEGATIVE_INFINITY;
  readonly #listeners = new Set<RatesListener>();
  readonly #logger: Logger;
  readonly #unsubscribe: () => void;

  constructor(options: LatestRatesOptions) {
    this.base = options.base ?? 'USD';
    this.#logger = options.logger.child({ component: 'latest-rates', base: this.base });
    this.#unsubscribe = options.bus.subscribe(ratesSubject(this.base), (data) =>
      this.#receive(data),
    );
  }

  /** The newest snapshot seen, or null before the first one arrived. */
  latest(): RatesMessage | null {
    return this.#latest;
  }

  /** The newest snapshot in the rate source port's shape, for freshness checks and pricing. */
  snapshot(): RateSnapshot | null {
    const latest = this.#latest;
    return latest && { base: latest.base, rates: latest.rates, at: new Date(latest.at) };
  }

  /** Called with every newer snapshot. Returns an unsubscribe function. */
  onUpdate(listener: RatesListener): () => void {
    // Wrapped so the same function registered twice is called twice and removed once each.
    const entry: RatesListener = (message) => listener(message);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  close(): void {
    this.#unsubscribe();
    this.#listeners.clear();
  }

  #receive(data: JsonValue): void {
    const message = parseRatesMessage(data, this.base);
    if (message === null) {
      this.#logger.warn('ignored a malformed rates message');
      return;
    }
    const atMs = Date.parse(message.at);
    if (atMs < this.#latestAtMs) return;
    if (atMs === this.#latestAtMs && this.#latest && sameRates(this.#latest.rates, message.rates)) {
      return;
    }
    Object.freeze(message.rates);
    this.#latest = Object.freeze(message);
    this.#latestAtMs = atMs;
    for (const listener of [...this.#listeners]) {
      try {
        listener(message);
      } catch (error) {
        this.#logger.error({ err: error }, 'rates listener failed');
      }
    }
  }
}
