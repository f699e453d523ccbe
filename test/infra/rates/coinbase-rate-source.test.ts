import { expect } from 'chai';
import pino from 'pino';
import type { RateSnapshot } from '../../../ports/rate-source.ts';
import type {
  CoinbaseRateSource,
  CoinbaseRateSourceOptions,
} from '../../../infra/rates/coinbase-rate-source.ts';
import { createCoinbaseRateSource } from '../../../infra/rates/coinbase-rate-source.ts';
import { RATE_CURRENCIES } from '../../../infra/rates/currencies.ts';
import { isFresh } from '../../../infra/rates/rate-freshness.ts';
import type { FakeCoinbase } from './fake-coinbase.ts';
import {
  answer,
  hangUp,
  ratesBody,
  ratesReply,
  REAL_RATES,
  slowly,
  startFakeCoinbase,
} from './fake-coinbase.ts';
import { waitFor } from './wait-for.ts';

/** Older than this, a snapshot is stale; a few missed 20 ms polls are enough. */
const MAX_AGE_MS = 200;

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fresh = (source: CoinbaseRateSource) => isFresh(source.latest(), new Date(), MAX_AGE_MS);

describe('Coinbase rate source', () => {
  let fake: FakeCoinbase;
  let logs: LogLine[];
  let source: CoinbaseRateSource | undefined;

  const open = (options: Partial<CoinbaseRateSourceOptions> = {}): CoinbaseRateSource => {
    source = createCoinbaseRateSource({
      baseUrl: fake.baseUrl,
      intervalMs: 20,
      // Generous: a loaded machine must not turn a good answer into a timeout.
      timeoutMs: 3000,
      maxMove: '0.2',
      currencies: RATE_CURRENCIES,
      logger: pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) }),
      maxBackoffMs: 80,
      random: () => 0.5,
      ...options,
    });
    return source;
  };

  const started = async (options: Partial<CoinbaseRateSourceOptions> = {}) => {
    const opened = open(options);
    await opened.start();
    await waitFor(() => opened.latest() !== null, 'a first snapshot');
    return opened;
  };

  /** The snapshot stays as it was while the fault lasts, and it ages into staleness. */
  const staysButGoesStale = async (opened: CoinbaseRateSource, kept: RateSnapshot | null) => {
    await waitFor(() => !fresh(opened), 'the snapshot to go stale');
    expect(opened.latest()).to.equal(kept);
  };

  const recovers = async (opened: CoinbaseRateSource) => {
    fake.reply = ratesReply({ EUR: '0.921' });
    await waitFor(() => fresh(opened) && opened.latest()?.rates.EUR === '0.921', 'recovery');
    expect(opened.status().consecutiveFailures).to.equal(0);
  };

  const logged = (message: string) => logs.filter((line) => line.msg.includes(message));

  before(async () => {
    // The first fetch of a process loads the HTTP client; keep that out of the tests.
    const warmUp = await startFakeCoinbase();
    await (await fetch(`${warmUp.baseUrl}/v2/exchange-rates?currency=USD`)).text();
    await warmUp.close();
  });

  beforeEach(async () => {
    fake = await startFakeCoinbase();
    logs = [];
  });

  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await fake.close();
  });

  it('asks for USD rates and publishes the requested currencies as canonical decimal text', async () => {
    const before = Date.now();
    const opened = open();
    await opened.start();
    const snapshot = opened.latest();
    expect(snapshot, 'a snapshot as soon as start resolves').to.not.equal(null);
    expect(fake.requests[0]).to.deep.equal({
      url: '/v2/exchange-rates?currency=USD',
      accept: 'application/json',
    });
    expect(snapshot?.base).to.equal('USD');
    expect(Object.keys(snapshot?.rates ?? {})).to.have.members([...RATE_CURRENCIES]);
    expect(snapshot?.rates).to.not.have.property('AED');
    expect(snapshot?.rates.USD).to.equal('1');
    expect(snapshot?.rates.BTC).to.equal('0.0000163');
    expect(snapshot?.rates.XRP).to.equal('1.8181818181818181818');
    expect(snapshot?.rates.POL).to.equal('2');
    expect(snapshot?.at.getTime()).to.be.within(before, Date.now());
    expect(opened.status()).to.include({ consecutiveFailures: 0, lastError: null });
  });

  it('keeps polling and tells listeners about each new snapshot', async () => {
    const opened = await started();
    const seen: RateSnapshot[] = [];
    opened.onTick((snapshot) => seen.push(snapshot));
    fake.reply = ratesReply({ BTC: '0.0000165' });
    await waitFor(() => seen.some((s) => s.rates.BTC === '0.0000165'), 'the new BTC rate');
    expect(opened.latest()?.rates.BTC).to.equal('0.0000165');
  });

  it('resolves start when the first attempt fails, with no snapshot yet, then catches up', async () => {
    fake.reply = answer('{}', 500);
    const opened = open();
    await opened.start();
    expect(opened.latest()).to.equal(null);
    expect(opened.status().lastError).to.equal('HTTP 500');
    fake.reply = ratesReply();
    await waitFor(() => opened.latest() !== null, 'a first snapshot');
  });

  it('abandons an answer slower than the timeout, keeps the snapshot, goes stale, recovers', async () => {
    const opened = await started({ timeoutMs: 300 });
    const kept = opened.latest();
    fake.reply = slowly(5000, ratesReply());
    await waitFor(() => /within 300 ms/.test(opened.status().lastError ?? ''), 'a timeout');
    await staysButGoesStale(opened, kept);
    await waitFor(() => fake.answers.includes('dropped'), 'the slow request to be hung up on');
    await recovers(opened);
  });

  it('waits as long as a 429 Retry-After asks before trying again', async () => {
    const opened = await started();
    const kept = opened.latest();
    fake.reply = answer('{"errors":[{"id":"rate_limit_exceeded"}]}', 429, { 'retry-after': '1' });
    await waitFor(() => fake.answers.includes(429), 'a 429');
    const requestsAtLimit = fake.requests.length;
    // Without Retry-After the backoff (at most 80 ms here) would have retried several times.
    await sleep(500);
    expect(fake.requests.length, 'no request during Retry-After').to.equal(requestsAtLimit);
    expect(opened.latest()).to.equal(kept);
    expect(logged('rate poll failed')[0]).to.include({ reason: 'HTTP 429', retryAfterMs: 1000 });
    await staysButGoesStale(opened, kept);
    await recovers(opened);
  });

  it('backs off on server errors and keeps the last snapshot until the feed answers again', async () => {
    const opened = await started();
    const kept = opened.latest();
    fake.reply = answer('<html>Bad gateway</html>', 502);
    await waitFor(() => opened.status().consecutiveFailures >= 3, 'three failures');
    await staysButGoesStale(opened, kept);
    const delays = logged('rate poll failed').map((line) => line.retryInMs);
    expect(delays.slice(0, 3), 'exponential backoff').to.deep.equal([30, 60, 60]);
    await recovers(opened);
    expect(logged('rate feed answering again')).to.have.length(1);
  });

  it('survives dropped connections', async () => {
    const opened = await started();
    const kept = opened.latest();
    fake.reply = hangUp;
    await waitFor(() => opened.status().consecutiveFailures >= 2, 'two failures');
    expect(opened.status().lastError).to.match(/^request failed/);
    await staysButGoesStale(opened, kept);
    await recovers(opened);
  });

  it('keeps the whole previous snapshot when the body is malformed', async () => {
    const opened = await started();
    const kept = opened.latest();
    const malformed = [
      '{"data":{"currency":"USD","rates":{"BTC":"0.00001',
      'null',
      '[]',
      JSON.stringify({ data: { currency: 'EUR', rates: REAL_RATES } }),
      JSON.stringify({ data: { currency: 'USD', rates: ['0.92'] } }),
      JSON.stringify({ rates: REAL_RATES }),
    ];
    let next = 0;
    fake.reply = (request, response) =>
      answer(malformed[next++ % malformed.length] ?? '')(request, response);
    await waitFor(() => next >= malformed.length, 'every malformed body');
    await staysButGoesStale(opened, kept);
    expect(opened.status().lastError).to.match(/^malformed body/);
    await recovers(opened);
  });

  it('keeps the last trusted value of missing currencies and ages the snapshot', async () => {
    const opened = await started();
    const { BTC: _btc, ETH: _eth, ...withoutSome } = REAL_RATES;
    fake.reply = answer(ratesBody({ ...withoutSome, EUR: '0.93' }));
    await waitFor(() => opened.latest()?.rates.EUR === '0.93', 'the other rates to refresh');
    expect(opened.status().untrusted).to.deep.equal({ BTC: 'missing', ETH: 'missing' });
    expect(opened.latest()?.rates.BTC).to.equal('0.0000163');
    expect(opened.latest()?.rates.ETH).to.equal('0.0003125');
    await waitFor(() => !fresh(opened), 'the snapshot to go stale');
    expect(opened.latest()?.rates.EUR, 'the rest kept refreshing').to.equal('0.93');
    const warning = logged('rate not trusted').find((line) => line.currency === 'BTC');
    expect(warning).to.include({ reason: 'missing', received: 'absent', kept: '0.0000163' });
    await recovers(opened);
    expect(opened.status().untrusted).to.deep.equal({});
  });

  it('does not trust non-numeric, zero or negative rates', async () => {
    const opened = await started();
    fake.reply = ratesReply({
      BTC: 'abc',
      ETH: '0',
      LTC: '-0.0125',
      XRP: 1.8,
      SOL: '',
      DOGE: null,
      ADA: '0x10',
      EUR: '0.93',
    });
    await waitFor(() => opened.latest()?.rates.EUR === '0.93', 'the valid rates to refresh');
    expect(opened.status().untrusted).to.deep.equal({
      BTC: 'not_numeric',
      ETH: 'not_positive',
      LTC: 'not_positive',
      XRP: 'not_numeric',
      SOL: 'not_numeric',
      DOGE: 'missing',
      ADA: 'not_numeric',
    });
    expect(opened.latest()?.rates).to.include({
      BTC: '0.0000163',
      ETH: '0.0003125',
      LTC: '0.0125',
      XRP: '1.8181818181818181818',
    });
    await waitFor(() => !fresh(opened), 'the snapshot to go stale');
    await recovers(opened);
  });

  it('does not trust a wild jump, but follows a move within the limit', async () => {
    const opened = await started({ confirmJumpAfter: 0 });
    fake.reply = ratesReply({ BTC: '0.0000327', ETH: '0.000375' }); // BTC halves, ETH -16.7%
    await waitFor(() => opened.latest()?.rates.ETH === '0.000375', 'the move within limits');
    expect(opened.status().untrusted).to.deep.equal({ BTC: 'jump' });
    expect(opened.latest()?.rates.BTC).to.equal('0.0000163');
    await waitFor(() => !fresh(opened), 'the snapshot to go stale');
    expect(logged('rate jump confirmed')).to.have.length(0);
    await recovers(opened);
  });

  it('trusts a jump once the new level is confirmed by consecutive polls', async () => {
    const opened = await started({ confirmJumpAfter: 3 });
    fake.reply = ratesReply({ BTC: '0.0000327' });
    await waitFor(() => opened.latest()?.rates.BTC === '0.0000327', 'the confirmed jump');
    expect(logged('rate not trusted').filter((line) => line.reason === 'jump')).to.have.length(2);
    expect(logged('rate jump confirmed')[0]).to.include({ currency: 'BTC', polls: 3 });
  });

  it('never confirms a jump that keeps flickering', async () => {
    const opened = await started({ confirmJumpAfter: 2 });
    const glitches = ['0.0000327', '0.00008', '0.0000327', '0.00008'];
    let next = 0;
    fake.reply = (request, response) =>
      ratesReply({ BTC: glitches[next++ % glitches.length] })(request, response);
    await waitFor(() => next >= 8, 'eight flickering answers');
    expect(opened.latest()?.rates.BTC).to.equal('0.0000163');
  });

  it('refuses a body larger than allowed', async () => {
    const opened = open({ maxBodyBytes: 100 });
    await opened.start();
    expect(opened.latest()).to.equal(null);
    expect(opened.status().lastError).to.match(/exceeds 100/);
  });

  it('stops promptly, aborting the request in flight, and polls no more', async () => {
    const opened = await started({ timeoutMs: 10_000 });
    let answered = false;
    fake.reply = slowly(3000, (request, response) => {
      answered = true;
      ratesReply()(request, response);
    });
    const requestsBefore = fake.requests.length;
    await waitFor(() => fake.requests.length > requestsBefore, 'a request in flight');
    await opened.stop();
    expect(answered, 'stopped before the answer came').to.equal(false);
    await waitFor(() => fake.answers.includes('dropped'), 'the request to be aborted');
    const requestsAtStop = fake.requests.length;
    await sleep(100);
    expect(fake.requests.length).to.equal(requestsAtStop);
    expect(logged('rate poll failed'), 'stopping is not a failure').to.have.length(0);
  });

  it('refuses bad options', () => {
    const bad: Partial<CoinbaseRateSourceOptions>[] = [
      { maxMove: 'abc' },
      { maxMove: '0' },
      { intervalMs: 0 },
      { timeoutMs: 1.5 },
      { baseUrl: 'not a url' },
      { currencies: [] },
      { currencies: ['btc'] },
      { confirmJumpAfter: -1 },
    ];
    for (const options of bad)
      expect(() => open(options), JSON.stringify(options)).to.throw(RangeError);
  });
});
