/**
 * The rate source port: where live exchange rates come from (a simulated market when
 * embedded, Coinbase in production). Rates follow Coinbase's convention: for base USD,
 * `rates.BTC = "0.0000231"` means 1 USD buys 0.0000231 BTC. Rates are decimal strings,
 * never JavaScript numbers.
 */

export interface RateSnapshot {
  base: string;
  /** Currency code → units of that currency per one unit of `base`, as a decimal string. */
  rates: Record<string, string>;
  /** When the source observed these rates. */
  at: Date;
}

export interface RateSource {
  /** Starts ticking or polling; resolves once the first snapshot is in or the first attempt failed. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The newest trusted snapshot, or null before the first one. */
  latest(): RateSnapshot | null;
  /** Called with every new trusted snapshot. Returns an unsubscribe function. */
  onTick(listener: (snapshot: RateSnapshot) => void): () => void;
}
