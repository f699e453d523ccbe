import { expect } from 'chai';
import { LatestRates } from '../../../infra/rates/latest-rates.ts';
import { startRateFeed } from '../../../infra/rates/rate-feed.ts';
import { createSimulatedMarket } from '../../../infra/rates/simulated-market.ts';
import type { Bus } from '../../../ports/bus.ts';
import type { RatesMessage } from '../../../ports/live-messages.ts';
import {
  eventually,
  publishRates,
  ratesData,
  settle,
  silentLogger,
  startBus,
  startReplica,
  type Replica,
} from './harness.ts';

/** GET /api/exchange-rates, the rate feed that fills it and the latest-rates holder. */
describe('exchange rates: feed, latest rates and REST route', function () {
  let bus: Bus;

  beforeEach(() => {
    bus = startBus();
  });

  afterEach(async () => {
    await bus.close();
  });

  describe('GET /api/exchange-rates', () => {
    let replica: Replica;
    const get = (query = '') =>
      fetch(`http://127.0.0.1:${replica.http.port}/api/exchange-rates${query}`);

    beforeEach(async () => {
      replica = await startReplica(bus);
    });

    afterEach(async () => {
      await replica.close();
    });

    it('answers 503 with Retry-After until the first rates arrive', async () => {
      const response = await get('?currency=USD');
      expect(response.status).to.equal(503);
      expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(response.headers.get('retry-after')).to.equal('1');
      expect(await response.json()).to.include({ code: 'rates_unavailable' });
    });

    it('serves the latest rates in the seed shape, as decimal strings', async () => {
      publishRates(bus);
      const latest = publishRates(bus);
      await eventually(() => replica.latestRates.latest()?.at === latest.at, 'the second tick');
      for (const query of ['?currency=USD', '']) {
        const response = await get(query);
        expect(response.status).to.equal(200);
        expect(response.headers.get('cache-control')).to.equal('no-store');
        expect(await response.json()).to.deep.equal({
          currency: 'USD',
          rates: latest.rates,
          at: latest.at,
        });
      }
    });

    it('refuses another base currency with a 400 naming the field', async () => {
      publishRates(bus);
      await eventually(() => replica.latestRates.latest() !== null, 'rates');
      for (const query of ['?currency=EUR', '?currency=usd', '?currency=USD&currency=EUR']) {
        const response = await get(query);
        expect(response.status, query).to.equal(400);
        const body = (await response.json()) as { errors: Array<{ field: string }> };
        expect(
          body.errors.map((error) => error.field),
          query,
        ).to.include('currency');
      }
    });
  });

  describe('the rate feed', () => {
    it('publishes the current snapshot at once and every tick after it', async () => {
      const latestRates = new LatestRates({ bus, logger: silentLogger });
      const seen: RatesMessage[] = [];
      latestRates.onUpdate((message) => seen.push(message));
      const market = createSimulatedMarket({ seed: 1, tickMs: 60_000 });
      await market.start();
      const feed = startRateFeed({ source: market, bus, logger: silentLogger, republishMs: 0 });
      try {
        const first = market.latest();
        await eventually(() => seen.length === 1, 'the current snapshot');
        const second = market.tick();
        await eventually(() => seen.length === 2, 'the tick');
        expect(seen.map((message) => message.at)).to.deep.equal([
          first?.at.toISOString(),
          second.at.toISOString(),
        ]);
        expect(seen[1]).to.deep.equal({
          base: 'USD',
          rates: second.rates,
          at: second.at.toISOString(),
        });
        expect(latestRates.snapshot()).to.deep.equal(second);
      } finally {
        feed.stop();
        await market.stop();
        latestRates.close();
      }
    });

    it('republishes the latest snapshot for late joiners without repeating it to listeners', async () => {
      const market = createSimulatedMarket({ seed: 2, tickMs: 60_000 });
      await market.start();
      const feed = startRateFeed({ source: market, bus, logger: silentLogger, republishMs: 20 });
      const received: unknown[] = [];
      bus.subscribe('rates.USD', (data) => received.push(data));
      // Started after the only tick: the republish is what brings it the rates.
      const late = new LatestRates({ bus, logger: silentLogger });
      const updates: RatesMessage[] = [];
      late.onUpdate((message) => updates.push(message));
      try {
        await eventually(() => received.length >= 3, 'a few republishes');
        expect(late.latest()?.at).to.equal(market.latest()?.at.toISOString());
        expect(updates).to.have.length(1);
      } finally {
        feed.stop();
        await market.stop();
        late.close();
      }
    });
  });

  describe('LatestRates', () => {
    let latestRates: LatestRates;
    let updates: RatesMessage[];

    beforeEach(() => {
      latestRates = new LatestRates({ bus, logger: silentLogger });
      updates = [];
      latestRates.onUpdate((message) => updates.push(message));
    });

    afterEach(() => latestRates.close());

    it('ignores malformed messages, other bases, older and repeated snapshots', async () => {
      const newer = ratesData();
      const older = { ...ratesData(), at: '2000-01-01T00:00:00.000Z' };
      bus.publish('rates.USD', newer);
      bus.publish('rates.USD', newer);
      bus.publish('rates.USD', older);
      bus.publish('rates.USD', { ...ratesData(), base: 'EUR' });
      bus.publish('rates.USD', { ...ratesData(), rates: { BTC: 0.5 } });
      bus.publish('rates.USD', { ...ratesData(), rates: { BTC: '-1' } });
      bus.publish('rates.USD', { ...ratesData(), rates: { 'b t c': '1' } });
      bus.publish('rates.USD', { ...ratesData(), at: 'yesterday' });
      bus.publish('rates.USD', 'not an object');
      await settle();
      expect(updates.map((message) => message.at)).to.deep.equal([newer.at]);
      expect(latestRates.latest()).to.deep.equal(newer);
    });

    it('keeps calling other listeners when one throws', async () => {
      latestRates.onUpdate(() => {
        throw new Error('listener bug');
      });
      const after: RatesMessage[] = [];
      latestRates.onUpdate((message) => after.push(message));
      publishRates(bus);
      await eventually(() => after.length === 1, 'the later listener');
      expect(updates).to.have.length(1);
    });

    it('stops listening on close', async () => {
      latestRates.close();
      publishRates(bus);
      await settle();
      expect(updates).to.deep.equal([]);
      expect(latestRates.latest()).to.equal(null);
    });
  });
});
