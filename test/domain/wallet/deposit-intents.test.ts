import { deciderSpec } from '../../support/decider-spec.ts';
import {
  walletDecider,
  type WalletCommand,
  type WalletEvent,
} from '../../../domain/wallet/index.ts';

const USER = 'u-1';
const INTENT = 'i-1';
const spec = deciderSpec(walletDecider);

const open = (amount: bigint, currency = 'USD'): WalletCommand => ({
  type: 'OpenDepositIntent',
  userId: USER,
  intentId: INTENT,
  currency,
  amount,
  provider: 'simulated',
  checkoutReference: 'chk_1',
});
const settle = (
  outcome: 'succeeded' | 'failed' | 'expired',
  amount = 2500n,
  providerEventId = 'evt_1',
): WalletCommand => ({
  type: 'SettleDepositIntent',
  userId: USER,
  intentId: INTENT,
  outcome,
  providerEventId,
  currency: 'USD',
  amount,
});
const opened = (balance = '0'): WalletEvent => ({
  type: 'DepositIntentOpened',
  data: {
    userId: USER,
    intentId: INTENT,
    currency: 'USD',
    amount: '25',
    provider: 'simulated',
    checkoutReference: 'chk_1',
    balance,
  },
});
const succeeded = (balance = '25'): WalletEvent => ({
  type: 'DepositIntentSucceeded',
  data: {
    userId: USER,
    intentId: INTENT,
    currency: 'USD',
    amount: '25',
    providerEventId: 'evt_1',
    balance,
  },
});
const closed = (outcome: 'failed' | 'expired'): WalletEvent => ({
  type: 'DepositIntentClosed',
  data: {
    userId: USER,
    intentId: INTENT,
    currency: 'USD',
    amount: '25',
    outcome,
    providerEventId: 'evt_1',
    balance: '0',
  },
});

describe('wallet decider: deposit intents', () => {
  it('opens an intent without crediting anything', () => {
    spec.given([]).when(open(2500n)).then([opened()]);
  });

  it('opens fiat intents only, of a positive amount', () => {
    spec.given([]).when(open(1n, 'BTC')).thenFails('currency_not_supported');
    spec.given([]).when(open(0n)).thenFails('amount_not_positive');
  });

  it('credits a succeeded payment once', () => {
    spec.given([opened()]).when(settle('succeeded')).then([succeeded()]);
    spec
      .given([opened(), succeeded()])
      .when(settle('succeeded', 2500n, 'evt_2'))
      .then([]);
  });

  it('closes a failed or expired payment without credit', () => {
    spec
      .given([opened()])
      .when(settle('failed'))
      .then([closed('failed')]);
    spec
      .given([opened()])
      .when(settle('expired'))
      .then([closed('expired')]);
  });

  it('takes the first verdict only: later ones, in any order, record nothing', () => {
    spec
      .given([opened(), closed('failed')])
      .when(settle('succeeded'))
      .then([]);
    spec.given([opened(), succeeded()]).when(settle('failed')).then([]);
  });

  it('refuses a verdict for an unknown intent or for another amount', () => {
    spec.given([]).when(settle('succeeded')).thenFails('intent_not_found');
    spec.given([opened()]).when(settle('succeeded', 2501n)).thenFails('intent_mismatch');
  });
});
