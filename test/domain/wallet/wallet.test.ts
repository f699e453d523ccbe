import { expect } from 'chai';
import { deciderSpec } from '../../support/decider-spec.ts';
import type { Aggregate } from '../../../commands/command-handler.ts';
import type { JsonObject } from '../../../ports/event-store.ts';
import {
  auditWalletEvent,
  balanceOf,
  upcast,
  upcastWalletEvent,
  WALLET_EVENT_SCHEMA_VERSION,
  walletDecider,
  walletStreamId,
  type Buy,
  type Deposit,
  type Sell,
  type WalletCommand,
  type WalletEvent,
  type WalletState,
} from '../../../domain/wallet/index.ts';

const USER = 'u-1';
const AT = '2024-05-01T12:00:00.000Z';
// 1 USD buys 0.0000231 BTC: 1 BTC is 43290.0432900432… USD.
const BTC_RATE = { value: '0.0000231', at: AT };
// 1 USD buys 0.0003125 ETH: 1 ETH is exactly 3200 USD.
const ETH_RATE = { value: '0.0003125', at: AT };

const spec = deciderSpec(walletDecider);

const deposited = (amount: string, balance: string, currency = 'USD'): WalletEvent => ({
  type: 'FundsDeposited',
  data: { userId: USER, currency, amount, balance },
});
const withdrawn = (amount: string, balance: string, currency = 'USD'): WalletEvent => ({
  type: 'FundsWithdrawn',
  data: { userId: USER, currency, amount, balance },
});
const bought = (
  amount: string,
  cost: string,
  price: string,
  balances: Record<string, string>,
  currency = 'BTC',
  rate = BTC_RATE.value,
): WalletEvent => ({
  type: 'CryptoBought',
  data: {
    userId: USER,
    currency,
    amount,
    quoteCurrency: 'USD',
    cost,
    rate,
    rateAt: AT,
    price,
    balances,
  },
});
const sold = (
  amount: string,
  proceeds: string,
  price: string,
  balances: Record<string, string>,
  currency = 'BTC',
  rate = BTC_RATE.value,
): WalletEvent => ({
  type: 'CryptoSold',
  data: {
    userId: USER,
    currency,
    amount,
    quoteCurrency: 'USD',
    proceeds,
    rate,
    rateAt: AT,
    price,
    balances,
  },
});

const deposit = (amount: bigint, currency?: string): Deposit => ({
  type: 'Deposit',
  userId: USER,
  amount,
  ...(currency === undefined ? {} : { currency }),
});
const withdraw = (amount: bigint, currency?: string): WalletCommand => ({
  type: 'Withdraw',
  userId: USER,
  amount,
  ...(currency === undefined ? {} : { currency }),
});
const buy = (amount: bigint, extra: Partial<Buy> = {}): WalletCommand => ({
  type: 'Buy',
  userId: USER,
  currency: 'BTC',
  amount,
  quote: 'USD',
  rate: BTC_RATE,
  ...extra,
});
const sell = (amount: bigint, extra: Partial<Sell> = {}): WalletCommand => ({
  type: 'Sell',
  userId: USER,
  currency: 'BTC',
  amount,
  quote: 'USD',
  rate: BTC_RATE,
  ...extra,
});

const funded = [deposited('100', '100')];
const holdingBtc = [
  deposited('100', '100'),
  bought('0.001', '43.3', '43290.05', { USD: '56.7', BTC: '0.001' }),
];

describe('wallet decider', () => {
  it('keeps each user in a stream of their own', () => {
    expect(walletStreamId('u-1')).to.equal('wallet-u-1');
  });

  describe('Deposit', () => {
    it('credits USD by default and records the resulting balance', () => {
      spec
        .given([])
        .when(deposit(10000n))
        .then([deposited('100', '100')]);
      spec
        .given(funded)
        .when(deposit(6405n))
        .then([deposited('64.05', '164.05')]);
    });

    it('keeps each fiat currency apart', () => {
      spec
        .given(funded)
        .when(deposit(1050n, 'EUR'))
        .then([deposited('10.5', '10.5', 'EUR')]);
      spec
        .given(funded)
        .when(deposit(1n, 'GBP'))
        .then([deposited('0.01', '0.01', 'GBP')]);
    });

    it('refuses zero and negative amounts as amount_not_positive', () => {
      const error = spec.given(funded).when(deposit(0n)).thenFails('amount_not_positive');
      expect(error?.kind).to.equal('validation');
      spec.given(funded).when(deposit(-500n)).thenFails('amount_not_positive');
    });

    it('refuses crypto as currency_not_supported', () => {
      const error = spec.given([]).when(deposit(1n, 'BTC')).thenFails('currency_not_supported');
      expect(error?.kind).to.equal('validation');
      expect(error?.details).to.deep.include({ currency: 'BTC' });
      expect(error?.details['supported']).to.deep.equal(['USD', 'EUR', 'GBP']);
    });

    it('refuses an unknown currency as unknown_currency', () => {
      spec.given([]).when(deposit(1n, 'XXX')).thenFails('unknown_currency');
      spec.given([]).when(deposit(1n, 'usd')).thenFails('unknown_currency');
    });
  });

  describe('Withdraw', () => {
    it('debits and records the resulting balance', () => {
      spec
        .given(funded)
        .when(withdraw(3595n))
        .then([withdrawn('35.95', '64.05')]);
    });

    it('may empty the balance exactly', () => {
      spec
        .given(funded)
        .when(withdraw(10000n))
        .then([withdrawn('100', '0')]);
    });

    it('never takes a balance below zero: insufficient_funds with the facts', () => {
      const error = spec.given(funded).when(withdraw(10001n)).thenFails('insufficient_funds');
      expect(error?.kind).to.equal('rule');
      expect(error?.details).to.deep.equal({
        currency: 'USD',
        balance: '100',
        required: '100.01',
      });
      spec.given([]).when(withdraw(1n)).thenFails('insufficient_funds');
    });

    it('does not spend one fiat currency for another', () => {
      const error = spec.given(funded).when(withdraw(1n, 'EUR')).thenFails('insufficient_funds');
      expect(error?.details).to.deep.equal({ currency: 'EUR', balance: '0', required: '0.01' });
    });

    it('refuses zero, negative, crypto and unknown currencies', () => {
      spec.given(funded).when(withdraw(0n)).thenFails('amount_not_positive');
      spec.given(funded).when(withdraw(-1n)).thenFails('amount_not_positive');
      spec.given(holdingBtc).when(withdraw(1n, 'BTC')).thenFails('currency_not_supported');
      spec.given(funded).when(withdraw(1n, 'XXX')).thenFails('unknown_currency');
    });
  });

  describe('Buy', () => {
    it('charges amount ÷ rate rounded UP and records rate, price and both balances', () => {
      // 0.001 BTC ÷ 0.0000231 = 43.2900432… USD → the user pays 43.30.
      spec
        .given(funded)
        .when(buy(100000n))
        .then([bought('0.001', '43.3', '43290.05', { USD: '56.7', BTC: '0.001' })]);
    });

    it('charges exactly when the division is exact', () => {
      spec
        .given(funded)
        .when(buy(25n * 10n ** 15n, { currency: 'ETH', rate: ETH_RATE }))
        .then([bought('0.025', '80', '3200', { USD: '20', ETH: '0.025' }, 'ETH', '0.0003125')]);
    });

    it('adds to what the wallet already holds', () => {
      spec
        .given(holdingBtc)
        .when(buy(100000n))
        .then([bought('0.001', '43.3', '43290.05', { USD: '13.4', BTC: '0.002' })]);
    });

    it('records the rate in canonical form and the observation time as a UTC instant', () => {
      spec
        .given(funded)
        .when(buy(100000n, { rate: { value: '0.00002310', at: '2024-05-01T14:00:00+02:00' } }))
        .then([bought('0.001', '43.3', '43290.05', { USD: '56.7', BTC: '0.001' })]);
    });

    it('refuses when the cost exceeds the USD balance: insufficient_funds', () => {
      const error = spec
        .given([deposited('43.29', '43.29')])
        .when(buy(100000n))
        .thenFails('insufficient_funds');
      expect(error?.details).to.deep.equal({ currency: 'USD', balance: '43.29', required: '43.3' });
      spec
        .given([deposited('43.3', '43.3')])
        .when(buy(100000n))
        .then([bought('0.001', '43.3', '43290.05', { USD: '0', BTC: '0.001' })]);
    });

    it('refuses when the price rose above maxPrice: price_moved', () => {
      // The price rounds up to 43290.05, so a cap of 43290.04 is exceeded and 43290.05 is not.
      const error = spec
        .given(funded)
        .when(buy(100000n, { maxPrice: 4329004n }))
        .thenFails('price_moved');
      expect(error?.kind).to.equal('rule');
      expect(error?.details).to.deep.equal({
        currency: 'BTC',
        price: '43290.05',
        maxPrice: '43290.04',
      });
      spec
        .given(funded)
        .when(buy(100000n, { maxPrice: 4329005n }))
        .then([bought('0.001', '43.3', '43290.05', { USD: '56.7', BTC: '0.001' })]);
    });

    it('refuses an amount worth less than one cent: amount_too_small', () => {
      // 1 satoshi is worth 0.000433 USD; 24 satoshi (0.0104 USD) is the smallest buy.
      const error = spec.given(funded).when(buy(1n)).thenFails('amount_too_small');
      expect(error?.kind).to.equal('rule');
      expect(error?.details).to.deep.equal({
        currency: 'BTC',
        amount: '0.00000001',
        minimum: '0.00000024',
      });
      spec.given(funded).when(buy(23n)).thenFails('amount_too_small');
      spec
        .given(funded)
        .when(buy(24n))
        .then([bought('0.00000024', '0.02', '43290.05', { USD: '99.98', BTC: '0.00000024' })]);
      spec
        .given(funded)
        .when(buy(1n, { currency: 'ETH', rate: ETH_RATE }))
        .thenFails('amount_too_small');
    });

    it('refuses zero and negative amounts and a non-positive maxPrice', () => {
      spec.given(funded).when(buy(0n)).thenFails('amount_not_positive');
      spec.given(funded).when(buy(-1n)).thenFails('amount_not_positive');
      spec
        .given(funded)
        .when(buy(1000n, { maxPrice: 0n }))
        .thenFails('price_not_positive');
    });

    it('trades only crypto, only against USD: currency_not_supported', () => {
      spec
        .given(funded)
        .when(buy(100n, { currency: 'EUR' }))
        .thenFails('currency_not_supported');
      spec
        .given(funded)
        .when(buy(100n, { currency: 'USD' }))
        .thenFails('currency_not_supported');
      const error = spec
        .given(funded)
        .when(buy(100n, { quote: 'EUR' as 'USD' }))
        .thenFails('currency_not_supported');
      expect(error?.details).to.deep.equal({ currency: 'EUR', supported: ['USD'] });
      spec
        .given(funded)
        .when(buy(100n, { currency: 'DOGGO' }))
        .thenFails('unknown_currency');
    });

    it('refuses an unusable rate as rate_invalid (the service is at fault, not the user)', () => {
      for (const rate of [
        { value: '0', at: AT },
        { value: '-0.1', at: AT },
        { value: 'abc', at: AT },
        { value: '2.31e-5', at: AT },
        { value: '0.0000231', at: 'yesterday' },
        { value: '0.0000231', at: '2024-05-01' },
        { value: '0.0000231', at: '2024-13-45T99:00:00Z' },
      ]) {
        const error = spec.given(funded).when(buy(100000n, { rate })).thenFails('rate_invalid');
        expect(error?.kind, JSON.stringify(rate)).to.equal('unavailable');
      }
    });
  });

  describe('Sell', () => {
    it('pays amount ÷ rate rounded DOWN and records rate, price and both balances', () => {
      // 0.001 BTC ÷ 0.0000231 = 43.2900432… USD → the user receives 43.29.
      spec
        .given(holdingBtc)
        .when(sell(100000n))
        .then([sold('0.001', '43.29', '43290.04', { USD: '99.99', BTC: '0' })]);
    });

    it('can sell part of a holding', () => {
      spec
        .given(holdingBtc)
        .when(sell(40000n))
        .then([sold('0.0004', '17.31', '43290.04', { USD: '74.01', BTC: '0.0006' })]);
    });

    it('never takes the crypto balance below zero: insufficient_funds', () => {
      const error = spec.given(holdingBtc).when(sell(100001n)).thenFails('insufficient_funds');
      expect(error?.details).to.deep.equal({
        currency: 'BTC',
        balance: '0.001',
        required: '0.00100001',
      });
      spec.given(funded).when(sell(100000n)).thenFails('insufficient_funds');
    });

    it('refuses when the price fell below minPrice: price_moved', () => {
      // The price rounds down to 43290.04, so a floor of 43290.05 is missed and 43290.04 is not.
      const error = spec
        .given(holdingBtc)
        .when(sell(100000n, { minPrice: 4329005n }))
        .thenFails('price_moved');
      expect(error?.details).to.deep.equal({
        currency: 'BTC',
        price: '43290.04',
        minPrice: '43290.05',
      });
      spec
        .given(holdingBtc)
        .when(sell(100000n, { minPrice: 4329004n }))
        .then([sold('0.001', '43.29', '43290.04', { USD: '99.99', BTC: '0' })]);
    });

    it('refuses a sale that would fetch nothing: amount_too_small', () => {
      const error = spec.given(holdingBtc).when(sell(23n)).thenFails('amount_too_small');
      expect(error?.details).to.deep.include({ minimum: '0.00000024' });
      spec
        .given(holdingBtc)
        .when(sell(24n))
        .then([sold('0.00000024', '0.01', '43290.04', { USD: '56.71', BTC: '0.00099976' })]);
    });

    it('refuses zero and negative amounts and a non-positive minPrice', () => {
      spec.given(holdingBtc).when(sell(0n)).thenFails('amount_not_positive');
      spec.given(holdingBtc).when(sell(-100n)).thenFails('amount_not_positive');
      spec
        .given(holdingBtc)
        .when(sell(100n, { minPrice: -1n }))
        .thenFails('price_not_positive');
    });

    it('trades only crypto against USD, at a usable rate', () => {
      spec
        .given(funded)
        .when(sell(100n, { currency: 'GBP' }))
        .thenFails('currency_not_supported');
      spec
        .given(holdingBtc)
        .when(sell(100n, { quote: 'GBP' as 'USD' }))
        .thenFails('currency_not_supported');
      spec
        .given(holdingBtc)
        .when(sell(100n, { rate: { value: '', at: AT } }))
        .thenFails('rate_invalid');
    });
  });

  describe('limits', () => {
    // Just under 10^30 whole units: every amount a wallet records must parse again.
    const maxUsd = 10n ** 32n - 1n;
    const maxUsdText = '9'.repeat(30) + '.99';

    it('refuses an amount beyond the limit as amount_too_large', () => {
      const error = spec
        .given([])
        .when(deposit(maxUsd + 1n))
        .thenFails('amount_too_large');
      expect(error?.kind).to.equal('validation');
      expect(error?.details).to.deep.include({ currency: 'USD', maximum: maxUsdText });
      spec
        .given(funded)
        .when(withdraw(maxUsd + 1n))
        .thenFails('amount_too_large');
      spec
        .given(funded)
        .when(buy(10n ** 38n))
        .thenFails('amount_too_large');
    });

    it('refuses to take a balance beyond the limit: balance_limit_exceeded', () => {
      spec
        .given([])
        .when(deposit(maxUsd))
        .then([deposited(maxUsdText, maxUsdText)]);
      const error = spec
        .given([deposited(maxUsdText, maxUsdText)])
        .when(deposit(1n))
        .thenFails('balance_limit_exceeded');
      expect(error?.kind).to.equal('rule');
      spec
        .given([
          deposited(maxUsdText, maxUsdText),
          bought('1', '1', '1', { USD: maxUsdText, BTC: '1' }, 'BTC', '1'),
        ])
        .when(sell(100000000n, { rate: { value: '0.1', at: AT } }))
        .thenFails('balance_limit_exceeded');
    });

    it('refuses a rate that prices one coin beyond the limit as rate_invalid', () => {
      const rate = { value: `0.${'0'.repeat(40)}1`, at: AT };
      spec.given(funded).when(buy(1n, { rate })).thenFails('rate_invalid');
    });
  });

  describe('caller bugs', () => {
    it('throws for a missing user id, an amount that is not a bigint or an unknown command', () => {
      const state = walletDecider.initialState();
      expect(() => walletDecider.decide({ ...deposit(1n), userId: '' }, state)).to.throw(TypeError);
      expect(() =>
        walletDecider.decide({ ...deposit(1n), amount: 1 as unknown as bigint }, state),
      ).to.throw(TypeError);
      expect(() =>
        walletDecider.decide({ type: 'Transfer' } as unknown as WalletCommand, state),
      ).to.throw(TypeError);
    });
  });

  describe('evolve', () => {
    const replay = (events: WalletEvent[]): WalletState =>
      events.reduce(walletDecider.evolve, walletDecider.initialState());

    it('starts empty and exists after the first event', () => {
      const empty = walletDecider.initialState();
      expect(empty.exists).to.equal(false);
      expect(balanceOf(empty, 'USD')).to.equal(0n);
      expect(replay(funded).exists).to.equal(true);
    });

    it('applies every event to the balances it names', () => {
      const state = replay([
        ...holdingBtc,
        deposited('5', '5', 'EUR'),
        sold('0.0004', '17.31', '43290.04', { USD: '74.01', BTC: '0.0006' }),
        withdrawn('4.01', '70'),
      ]);
      expect(balanceOf(state, 'USD')).to.equal(7000n);
      expect(balanceOf(state, 'BTC')).to.equal(60000n);
      expect(balanceOf(state, 'EUR')).to.equal(500n);
    });

    it('never mutates the state it is given', () => {
      const before = replay(funded);
      const after = walletDecider.evolve(before, withdrawn('1', '99'));
      expect(balanceOf(before, 'USD')).to.equal(10000n);
      expect(balanceOf(after, 'USD')).to.equal(9900n);
    });
  });

  describe('events', () => {
    it('upcasts version 1 as it is and ignores foreign types', () => {
      const event = holdingBtc[1] as WalletEvent;
      expect(upcastWalletEvent(event.type, event.data, 1)).to.deep.equal(event);
      expect(upcast('SomethingElse', {}, 1)).to.equal(null);
      expect(() => upcast(event.type, event.data, WALLET_EVENT_SCHEMA_VERSION + 1)).to.throw(
        RangeError,
      );
      expect(() => upcast(event.type, event.data, 0)).to.throw(RangeError);
    });

    it('fit the command handler and the event store as they are', () => {
      const aggregate: Aggregate<WalletCommand, WalletState, WalletEvent> = {
        name: 'wallet',
        decider: walletDecider,
        schemaVersion: WALLET_EVENT_SCHEMA_VERSION,
        upcast,
      };
      const data: JsonObject[] = holdingBtc.map((event) => event.data);
      expect(aggregate.name).to.equal('wallet');
      expect(JSON.parse(JSON.stringify(data))).to.deep.equal(data);
    });

    it('pass the audit, and a tampered one does not', () => {
      let state = walletDecider.initialState();
      for (const event of [
        ...holdingBtc,
        sold('0.001', '43.29', '43290.04', { USD: '99.99', BTC: '0' }),
      ]) {
        expect(auditWalletEvent(event, state)).to.deep.equal([]);
        state = walletDecider.evolve(state, event);
      }
      const before = walletDecider.evolve(walletDecider.initialState(), deposited('100', '100'));
      const tampered = bought('0.001', '43.29', '43290.04', { USD: '56.71', BTC: '0.001' });
      expect(auditWalletEvent(tampered, before)).to.deep.equal([
        'CryptoBought: cost 43.29 should be 43.3',
        'CryptoBought: price 43290.04 should be 43290.05',
      ]);
      expect(auditWalletEvent(withdrawn('1', '98'), before)).to.deep.equal([
        'FundsWithdrawn: USD balance 98 should be 99',
      ]);
      expect(auditWalletEvent(deposited('1.000', '101'))).to.deep.equal([
        'FundsDeposited: amount "1.000" has 3 decimal places; USD allows at most 2 decimal places',
      ]);
    });
  });
});
