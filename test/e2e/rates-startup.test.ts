import { expect } from 'chai';
import { CambioProcess } from '../support/cambio-process.ts';
import { eventually, httpClient, type Problem } from '../support/http-client.ts';
import {
  answer,
  ratesReply,
  startFakeCoinbase,
  type FakeCoinbase,
} from '../infra/rates/fake-coinbase.ts';

/** Cambio on Coinbase rates: the start waits (bounded) for the first good poll. */
describe('e2e: rates at start with Coinbase', function () {
  this.timeout(90_000);
  let coinbase: FakeCoinbase;
  let cambio: CambioProcess | undefined;

  const start = (waitMs: number) =>
    CambioProcess.start({
      env: {
        CAMBIO_RATES: 'coinbase',
        COINBASE_URL: coinbase.baseUrl,
        RATES_POLL_MS: '200',
        RATES_STARTUP_WAIT_MS: String(waitMs),
      },
    });

  beforeEach(async function () {
    coinbase = await startFakeCoinbase();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cambio) console.log(cambio.tail(40));
    await cambio?.cleanup();
    cambio = undefined;
    await coinbase.close();
  });

  it('listens only after the first good poll, so the first rates request is 200', async function () {
    let polls = 0;
    const good = ratesReply();
    const failing = answer('{"errors":[{"id":"internal"}]}', 500);
    coinbase.reply = (request, response) => (++polls <= 2 ? failing : good)(request, response);
    cambio = await start(60_000);
    expect(coinbase.answers.slice(0, 3)).to.deep.equal([500, 500, 200]);
    const client = httpClient(cambio.baseUrl);
    const rates = await client.get('/api/exchange-rates');
    expect(rates.status, rates.text).to.equal(200);
    expect((rates.body.rates as Record<string, string>).BTC).to.equal('0.0000163');
    expect((await client.get('/ready')).status).to.equal(200);
  });

  it('stops waiting after RATES_STARTUP_WAIT_MS; /ready names the rates until they arrive', async function () {
    coinbase.reply = answer('{"errors":[{"id":"internal"}]}', 503);
    cambio = await start(300);
    const client = httpClient(cambio.baseUrl);
    const ready = await client.get<Problem>('/ready');
    expect(ready.status, ready.text).to.equal(503);
    expect(ready.contentType).to.equal('application/problem+json');
    expect(ready.body.detail).to.match(/exchange rates/);
    expect((await client.get('/api/exchange-rates')).status).to.equal(503);

    coinbase.reply = ratesReply();
    await eventually('/ready to answer 200', async () =>
      (await client.get('/ready')).status === 200 ? true : undefined,
    );
    expect((await client.get('/api/exchange-rates')).status).to.equal(200);
  });
});
