import { expect } from 'chai';
import { createCommandAttempts } from '../../console/src/api/command-attempt.ts';
import { featuresOf, operationsOf } from '../../console/src/api/features.ts';
import { ApiProblem, describeProblem, problemFrom } from '../../console/src/api/problem.ts';
import { withRates, emptyMarket } from '../../console/src/live/market.ts';
import { emptyWallet, withUpdate } from '../../console/src/live/wallet.ts';
import {
  estimate,
  groupThousands,
  priceLimit,
  priceOf,
  showPrice,
} from '../../console/src/money.ts';

describe('console: money on screen', () => {
  it('shows the USD price of a coin from its rate, exactly, rounded down', () => {
    expect(showPrice(priceOf('0.00001646'))).to.equal('60,753.34');
    expect(showPrice(priceOf('6.4'))).to.equal('0.156250');
  });

  it('sets price limits in whole cents, in the protecting direction', () => {
    const price = priceOf('0.00001646'); // 60753.3414... USD
    expect(priceLimit(price, 100, 'buy')).to.equal('61360.88');
    expect(priceLimit(price, 100, 'sell')).to.equal('60145.80');
    expect(priceLimit(priceOf('1000'), 500, 'sell')).to.equal('0.01');
  });

  it('estimates costs up and proceeds down, and nothing for what is not an amount', () => {
    const price = priceOf('0.5'); // 2 USD per coin
    expect(estimate('0.001', price, 'buy')).to.equal('0.01');
    expect(estimate('0.001', price, 'sell')).to.equal('0.00');
    expect(estimate('0', price, 'buy')).to.equal(null);
    expect(estimate('1e3', price, 'buy')).to.equal(null);
    expect(groupThousands('1234567.891')).to.equal('1,234,567.891');
  });
});

describe('console: live state', () => {
  it('applies a wallet update only when it is not older than what is shown', () => {
    const first = withUpdate(emptyWallet, { balances: { USD: '10' }, position: '5' });
    const older = withUpdate(first, { balances: { USD: '1' }, position: '4' });
    expect(older).to.equal(first);
    const newer = withUpdate(first, { balances: { USD: '12' }, position: '7' });
    expect(newer.balances).to.deep.equal({ USD: '12' });
    expect(newer.changed.USD).to.be.a('number');
  });

  it('keeps a price series per coin and ignores older snapshots', () => {
    const at = (second: number) => `2026-01-01T00:00:0${second}.000Z`;
    const rates = (btc: string, second: number) =>
      ({ type: 'rates', currency: 'USD', rates: { BTC: btc }, at: at(second) }) as const;
    let market = withRates(emptyMarket, rates('0.00002', 1));
    market = withRates(market, rates('0.000025', 2));
    market = withRates(market, rates('0.00001', 0));
    expect(market.prices.BTC?.series).to.deep.equal([50000, 40000]);
  });
});

describe('console: what the server offers', () => {
  const document = {
    paths: {
      '/api/user/wallet/transfer': {
        post: {
          operationId: 'transfer',
          requestBody: {
            content: {
              'application/json': { schema: { properties: { toMail: {}, amount: {} } } },
            },
          },
        },
      },
      '/api/audit/wallets/{userId}': {
        get: { operationId: 'auditWallet', parameters: [{ name: 'at', in: 'query' }] },
      },
      '/api/admin/mail/parked': { get: { operationId: 'parkedMail' } },
      '/api/user/wallet/history': {
        get: {
          operationId: 'history',
          parameters: [{ name: 'type', in: 'query', schema: { enum: ['deposit', 'transfer-in'] } }],
        },
      },
      '/api/admin/mail/parked/{id}/replay': { post: { operationId: 'replayParkedMail' } },
    },
  };

  it('finds transfers, time travel and parked mail in the OpenAPI document', () => {
    const features = featuresOf(operationsOf(document));
    expect(features.transfer?.bodyFields).to.deep.equal(['toMail', 'amount']);
    expect(features.walletAt?.path).to.equal('/api/audit/wallets/{userId}');
    expect(features.parkedMail?.operationId).to.equal('parkedMail');
    expect(features.replayParkedMail?.operationId).to.equal('replayParkedMail');
    expect(features.verifyChain).to.equal(null);
    expect(features.historyTypes).to.deep.equal(['deposit', 'transfer-in']);
  });

  it('offers nothing the document does not list', () => {
    expect(Object.values(featuresOf(operationsOf({}))).every((found) => found === null)).to.equal(
      true,
    );
  });
});

describe('console: problems in words', () => {
  it('reads a problem+json answer: code, detail, fields and Retry-After', async () => {
    const response = new Response(
      JSON.stringify({
        type: '/problems/validation-failed',
        status: 400,
        detail: 'The request body is invalid: amount must match pattern.',
        errors: [{ field: 'amount', message: 'must be a positive decimal' }],
      }),
      { status: 400, headers: { 'content-type': 'application/problem+json', 'retry-after': '3' } },
    );
    const problem = await problemFrom(response);
    expect(problem.code).to.equal('validation_failed');
    expect(problem.fields).to.deep.equal({ amount: 'must be a positive decimal' });
    expect(describeProblem(problem)).to.deep.equal({
      headline: 'Please check the highlighted fields',
      detail: 'The request body is invalid: amount must match pattern. Try again in 3 s.',
    });
  });

  it('names known refusals and falls back on the status for the rest', () => {
    expect(describeProblem(new ApiProblem(422, 'insufficient_funds', 'x')).headline).to.equal(
      'Not enough funds',
    );
    expect(describeProblem(new ApiProblem(503, 'rates_stale', 'x')).headline).to.equal(
      'Prices are out of date',
    );
    expect(describeProblem(new ApiProblem(422, 'some_new_rule', 'x')).headline).to.equal(
      'Not possible',
    );
  });
});

describe('console: idempotency keys per attempt', () => {
  const command = { path: '/api/user/wallet/deposit', body: { amount: '1' } };

  it('reuses the key only to retry the same command after the server was unreachable', async () => {
    const attempt = createCommandAttempts();
    const keys: string[] = [];
    const fail = (status: number) => async (key: string) => {
      keys.push(key);
      throw new ApiProblem(status, status === 0 ? 'network' : 'conflict', 'x');
    };
    await attempt(command, fail(0)).catch(() => undefined);
    await attempt(command, fail(409)).catch(() => undefined);
    await attempt(command, fail(0)).catch(() => undefined);
    await attempt({ ...command, body: { amount: '2' } }, fail(0)).catch(() => undefined);
    expect(keys[1]).to.equal(keys[0]);
    expect(keys[2]).to.not.equal(keys[1]);
    expect(keys[3]).to.not.equal(keys[2]);
    expect(new Set(keys).size).to.equal(3);
  });
});
