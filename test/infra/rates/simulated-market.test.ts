import { expect } from 'chai';
import pino from 'pino';
import { rational, rationalFromDecimal } from '../../../domain/money/index.ts';
import type { RateSnapshot } from '../../../ports/rate-source.ts';
import { RATE_CURRENCIES } from '../../../infra/rates/currencies.ts';
import { movedMoreThan } from '../../../infra/rates/rate-move.ts';
import {
  createSimulatedMarket,
  SIMULATED_INSTRUMENTS,
} from '../../../infra/rates/simulated-market.ts';
import { waitFor } from './wait-for.ts';

const PLAIN_POSITIVE_DECIMAL = /^\d+(\.\d+)?$/;

const ticks = (seed: number, count: number): Record<string, string>[] => {
  const market = createSimulatedMarket({ seed });
  return Array.from({ length: count }, () => ({ ...market.tick().rates }));
};

describe('simulated market', () => {
  it('replays the same prices from the same seed and different ones from another', () => {
    const first = ticks(42, 200);
    expect(ticks(42, 200)).to.deep.equal(first);
    const other = ticks(43, 200);
    expect(other).to.not.deep.equal(first);
    expect(other[0]?.BTC).to.not.equal(first[0]?.BTC);
  });

  it('quotes every currency as a positive decimal string per USD, USD itself at 1', () => {
    const market = createSimulatedMarket({ seed: 7 });
    for (const snapshot of [market.tick(), market.tick()]) {
      expect(snapshot.base).to.equal('USD');
      expect(Object.keys(snapshot.rates)).to.have.members([...RATE_CURRENCIES]);
      for (const [code, rate] of Object.entries(snapshot.rates)) {
        expect(rate, code).to.be.a('string').and.match(PLAIN_POSITIVE_DECIMAL);
        expect(rationalFromDecimal(rate).num > 0n, code).to.equal(true);
      }
      expect(snapshot.rates.USD).to.equal('1');
    }
  });

  it('starts near realistic prices', () => {
    const { rates } = createSimulatedMarket({ seed: 1 }).tick();
    const within = (code: string, low: string, high: string) => {
      const rate = rationalFromDecimal(rates[code] ?? '0');
      const [lo, hi] = [rationalFromDecimal(low), rationalFromDecimal(high)];
      expect(rate.num * lo.den >= lo.num * rate.den, `${code} ${rates[code]} >= ${low}`).to.equal(
        true,
      );
      expect(rate.num * hi.den <= hi.num * rate.den, `${code} ${rates[code]} <= ${high}`).to.equal(
        true,
      );
    };
    within('BTC', '0.0000160', '0.0000173'); // ~60,000 USD
    within('ETH', '0.00032', '0.00035'); // ~3,000 USD
    within('EUR', '0.91', '0.93');
    within('GBP', '0.78', '0.80');
    within('USDC', '0.999', '1.001');
    within('USDT', '0.999', '1.001');
  });

  it('moves each price by at most its bounded step per tick', () => {
    const market = createSimulatedMarket({ seed: 2024 });
    // The rate is the inverse of the price: a price move m moves the rate by m/(1-m) at most;
    // 1% on top of the step covers that and the 18-decimal rounding.
    const bounds = new Map(
      RATE_CURRENCIES.map((code) => {
        const stepPpm = BigInt(SIMULATED_INSTRUMENTS[code]?.maxStepPpm ?? 0);
        return [code, rational(stepPpm * 101n + 100n, 10n ** 8n)];
      }),
    );
    let previous = market.tick();
    for (let i = 0; i < 300; i += 1) {
      const next = market.tick();
      for (const [code, bound] of bounds) {
        const before = rationalFromDecimal(previous.rates[code] ?? '');
        const after = rationalFromDecimal(next.rates[code] ?? '');
        if (movedMoreThan(before, after, bound)) {
          expect.fail(`${code} moved from ${previous.rates[code]} to ${next.rates[code]}`);
        }
      }
      previous = next;
    }
  });

  it('wanders around its anchors instead of drifting away', () => {
    const market = createSimulatedMarket({ seed: 99 });
    for (let i = 0; i < 5000; i += 1) market.tick();
    const { rates } = market.tick();
    // A loose sanity range on test output, not money arithmetic.
    expect(1 / Number(rates.BTC)).to.be.within(45_000, 75_000);
    expect(1 / Number(rates.ETH)).to.be.within(2_250, 3_750);
    expect(Number(rates.EUR)).to.be.within(0.85, 0.99);
    expect(Number(rates.USDT)).to.be.within(0.98, 1.02);
  });

  it('covers every registered currency with an instrument', () => {
    for (const code of RATE_CURRENCIES) expect(SIMULATED_INSTRUMENTS, code).to.have.property(code);
  });

  it('stamps snapshots with the injected clock', () => {
    const at = new Date('2024-05-01T12:00:00.000Z');
    const market = createSimulatedMarket({ seed: 3, clock: () => at });
    expect(market.latest()).to.equal(null);
    const snapshot = market.tick();
    expect(snapshot.at.toISOString()).to.equal(at.toISOString());
    expect(market.latest()).to.equal(snapshot);
  });

  it('ticks on its timer after start, publishes at once, and stops', async () => {
    const market = createSimulatedMarket({ seed: 5, tickMs: 10 });
    const seen: RateSnapshot[] = [];
    const unsubscribe = market.onTick((snapshot) => seen.push(snapshot));
    await market.start();
    expect(market.latest(), 'a snapshot right after start').to.not.equal(null);
    await waitFor(() => seen.length >= 4, 'four ticks');
    await market.stop();
    const count = seen.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen.length, 'no tick after stop').to.equal(count);
    unsubscribe();
    market.tick();
    expect(seen.length, 'no delivery after unsubscribe').to.equal(count);
  });

  it('keeps delivering to other listeners when one throws, and logs the failure', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const market = createSimulatedMarket({ seed: 9, logger });
    let delivered = 0;
    market.onTick(() => {
      throw new Error('listener bug');
    });
    market.onTick(() => {
      delivered += 1;
    });
    market.tick();
    market.tick();
    expect(delivered).to.equal(2);
    expect(lines.filter((line) => line.includes('listener bug'))).to.have.length(2);
  });

  it('refuses a bad seed or tick interval', () => {
    expect(() => createSimulatedMarket({ seed: 1.5 })).to.throw(RangeError);
    expect(() => createSimulatedMarket({ seed: 1, tickMs: 0 })).to.throw(RangeError);
  });
});
