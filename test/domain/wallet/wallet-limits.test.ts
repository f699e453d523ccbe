import { expect } from 'chai';
import {
  decideWallet,
  initialWalletState,
  walletDeciderWith,
  type WalletCommand,
  type WalletEvent,
} from '../../../domain/wallet/index.ts';
import { limitFor } from '../../../domain/wallet/wallet-limits.ts';
import { currency } from '../../../domain/money/index.ts';

const USER = 'u-1';
const AT = '2024-05-01T12:00:00.000Z';
const limits = { maxDeposit: { '*': '1000', EUR: '50' }, maxBalance: { USD: '1500', BTC: '0.01' } };
const decider = walletDeciderWith(limits);

const deposit = (amount: bigint, currencyCode = 'USD'): WalletCommand => ({
  type: 'Deposit',
  userId: USER,
  currency: currencyCode as 'USD',
  amount,
});

const stateAfter = (...commands: WalletCommand[]) =>
  commands.reduce((state, command) => {
    const { events, error } = decider.decide(command, state);
    expect(error).to.equal(undefined);
    return events.reduce<typeof state>((s, e: WalletEvent) => decider.evolve(s, e), state);
  }, initialWalletState());

describe('wallet limits (MAX_DEPOSIT, MAX_BALANCE)', () => {
  it('reads a limit per currency, `*` for the rest, in minor units', () => {
    expect(limitFor(limits.maxDeposit, currency('USD'))).to.equal(100000n);
    expect(limitFor(limits.maxDeposit, currency('EUR'))).to.equal(5000n);
    expect(limitFor(limits.maxBalance, currency('BTC'))).to.equal(1_000_000n);
    expect(limitFor(limits.maxBalance, currency('EUR'))).to.equal(null);
  });

  it('accepts a deposit at the limit and refuses one a cent over: 422 deposit_limit_exceeded naming it', () => {
    expect(decider.decide(deposit(100000n), initialWalletState()).error).to.equal(undefined);
    const { error, events } = decider.decide(deposit(100001n), initialWalletState());
    expect(events).to.deep.equal([]);
    expect(error?.kind).to.equal('rule');
    expect(error?.code).to.equal('deposit_limit_exceeded');
    expect(error?.details).to.include({ limit: 'max_deposit', currency: 'USD', maximum: '1000' });
  });

  it('refuses a deposit that would take the balance over the limit: balance_limit_exceeded', () => {
    const state = stateAfter(deposit(100000n));
    expect(decider.decide(deposit(50000n), state).error).to.equal(undefined);
    const { error } = decider.decide(deposit(50001n), state);
    expect(error?.code).to.equal('balance_limit_exceeded');
    expect(error?.details).to.include({ limit: 'max_balance', currency: 'USD', maximum: '1500' });
  });

  it('refuses a buy that would take the crypto balance over the limit', () => {
    const state = stateAfter(deposit(100000n));
    const buy = (amount: bigint): WalletCommand => ({
      type: 'Buy',
      userId: USER,
      currency: 'BTC',
      amount,
      quote: 'USD',
      rate: { value: '0.0000231', at: AT },
    });
    expect(decider.decide(buy(1_000_000n), state).error).to.equal(undefined);
    expect(decider.decide(buy(1_000_001n), state).error?.code).to.equal('balance_limit_exceeded');
  });

  it('sets no limit by default', () => {
    expect(decideWallet(deposit(10n ** 20n), initialWalletState()).error).to.equal(undefined);
  });
});
