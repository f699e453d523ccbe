import { expect } from 'chai';
import { deciderSpec } from '../../support/decider-spec.ts';
import {
  auditWalletEvent,
  evolveWallet,
  walletDecider,
  type WalletCommand,
  type WalletEvent,
  type WalletState,
} from '../../../domain/wallet/index.ts';
import { currency, formatAmount, maxMinorUnits } from '../../../domain/money/index.ts';

const SENDER = 'u-sender';
const RECIPIENT = 'u-recipient';
const T = 't-1';
const TO = 'bob@example.com';
const FROM_MAIL = 'ada@example.com';

const spec = deciderSpec(walletDecider);

const deposited = (userId: string, amount: string, balance: string): WalletEvent => ({
  type: 'FundsDeposited',
  data: { userId, currency: 'USD', amount, balance },
});
const sent = (amount: string, balance: string, transferId = T): WalletEvent => ({
  type: 'TransferSent',
  data: { userId: SENDER, transferId, to: TO, currency: 'USD', amount, balance },
});
const received = (amount: string, balance: string): WalletEvent => ({
  type: 'TransferReceived',
  data: {
    userId: RECIPIENT,
    transferId: T,
    from: SENDER,
    fromMail: FROM_MAIL,
    currency: 'USD',
    amount,
    balance,
  },
});
const completed = (amount: string, balance: string): WalletEvent => ({
  type: 'TransferCompleted',
  data: {
    userId: SENDER,
    transferId: T,
    to: TO,
    recipientId: RECIPIENT,
    currency: 'USD',
    amount,
    balance,
  },
});
const refunded = (
  amount: string,
  balance: string,
  reason = 'recipient_not_found',
): WalletEvent => ({
  type: 'TransferRefunded',
  data: { userId: SENDER, transferId: T, to: TO, currency: 'USD', amount, reason, balance },
});

const send = (amount: bigint, extra: Partial<WalletCommand> = {}): WalletCommand =>
  ({
    type: 'SendTransfer',
    userId: SENDER,
    transferId: T,
    to: TO,
    currency: 'USD',
    amount,
    ...extra,
  }) as WalletCommand;
const receive = (amount: bigint, currency = 'USD'): WalletCommand => ({
  type: 'ReceiveTransfer',
  userId: RECIPIENT,
  transferId: T,
  from: SENDER,
  fromMail: FROM_MAIL,
  currency,
  amount,
});
const complete: WalletCommand = {
  type: 'CompleteTransfer',
  userId: SENDER,
  transferId: T,
  recipientId: RECIPIENT,
};
const refund = (reason = 'recipient_not_found'): WalletCommand => ({
  type: 'RefundTransfer',
  userId: SENDER,
  transferId: T,
  reason,
});

const funded = [deposited(SENDER, '100', '100')];
const pending = [...funded, sent('12.5', '87.5')];

const replay = (events: WalletEvent[]): WalletState =>
  events.reduce(evolveWallet, walletDecider.initialState());

describe('wallet decider: transfers', () => {
  describe('SendTransfer (sender side)', () => {
    it('debits at once and records the recipient mail, amount and resulting balance', () => {
      spec
        .given(funded)
        .when(send(1250n))
        .then([sent('12.5', '87.5')]);
    });

    it('may send the whole balance, in any currency of the registry', () => {
      spec
        .given(funded)
        .when(send(10000n))
        .then([sent('100', '0')]);
      spec
        .given([
          deposited(SENDER, '100', '100'),
          {
            type: 'CryptoBought',
            data: {
              userId: SENDER,
              currency: 'BTC',
              amount: '0.001',
              quoteCurrency: 'USD',
              cost: '43.3',
              rate: '0.0000231',
              rateAt: '2024-05-01T12:00:00.000Z',
              price: '43290.05',
              balances: { USD: '56.7', BTC: '0.001' },
            },
          },
        ])
        .when(send(40000n, { currency: 'BTC' }))
        .then([
          {
            type: 'TransferSent',
            data: {
              userId: SENDER,
              transferId: T,
              to: TO,
              currency: 'BTC',
              amount: '0.0004',
              balance: '0.0006',
            },
          },
        ]);
    });

    it('never takes a balance below zero: insufficient_funds', () => {
      const error = spec.given(funded).when(send(10001n)).thenFails('insufficient_funds');
      expect(error?.kind).to.equal('rule');
      spec.given([]).when(send(1n)).thenFails('insufficient_funds');
    });

    it('refuses zero, negative and unknown currencies', () => {
      spec.given(funded).when(send(0n)).thenFails('amount_not_positive');
      spec.given(funded).when(send(-1n)).thenFails('amount_not_positive');
      spec
        .given(funded)
        .when(send(1n, { currency: 'XXX' }))
        .thenFails('unknown_currency');
    });

    it('records a repeated transfer id once; another transfer under the same id is a conflict', () => {
      spec.given(pending).when(send(1250n)).then([]);
      spec.given(pending).when(send(1n)).thenFails('transfer_id_taken');
    });
  });

  describe('ReceiveTransfer (recipient side)', () => {
    it('credits the recipient with the sender named', () => {
      spec
        .given([])
        .when(receive(1250n))
        .then([received('12.5', '12.5')]);
      spec
        .given([deposited(RECIPIENT, '1', '1')])
        .when(receive(1250n))
        .then([received('12.5', '13.5')]);
    });

    it('credits one transfer once, however often asked', () => {
      spec
        .given([received('12.5', '12.5')])
        .when(receive(1250n))
        .then([]);
    });

    it('declines (and records why) when the balance would pass its limit; never credits it later', () => {
      const limit = formatAmount(maxMinorUnits(currency('USD')), currency('USD'));
      const full = [deposited(RECIPIENT, limit, limit)];
      spec
        .given(full)
        .when(receive(1n))
        .thenFails('balance_limit_exceeded', [
          {
            type: 'TransferDeclined',
            data: {
              userId: RECIPIENT,
              transferId: T,
              from: SENDER,
              currency: 'USD',
              amount: '0.01',
              reason: 'balance_limit_exceeded',
              balance: limit,
            },
          },
        ]);
      const declined: WalletEvent = {
        type: 'TransferDeclined',
        data: {
          userId: RECIPIENT,
          transferId: T,
          from: SENDER,
          currency: 'USD',
          amount: '0.01',
          reason: 'balance_limit_exceeded',
          balance: '0',
        },
      };
      spec.given([declined]).when(receive(1n)).thenFails('transfer_declined');
    });
  });

  describe('CompleteTransfer and RefundTransfer (sender side)', () => {
    it('completes a pending transfer without moving money', () => {
      spec
        .given(pending)
        .when(complete)
        .then([completed('12.5', '87.5')]);
    });

    it('refunds a pending transfer: the balance is restored and the reason recorded', () => {
      spec
        .given(pending)
        .when(refund())
        .then([refunded('12.5', '100')]);
      spec
        .given(pending)
        .when(refund('recipient_cannot_receive'))
        .then([refunded('12.5', '100', 'recipient_cannot_receive')]);
    });

    it('settles once: a repeated completion or refund records nothing', () => {
      spec
        .given([...pending, completed('12.5', '87.5')])
        .when(complete)
        .then([]);
      spec
        .given([...pending, refunded('12.5', '100')])
        .when(refund())
        .then([]);
    });

    it('never both completes and refunds one transfer: transfer_already_settled', () => {
      spec
        .given([...pending, completed('12.5', '87.5')])
        .when(refund())
        .thenFails('transfer_already_settled');
      spec
        .given([...pending, refunded('12.5', '100')])
        .when(complete)
        .thenFails('transfer_already_settled');
    });

    it('refuses to settle a transfer that was never sent: transfer_not_found', () => {
      spec.given(funded).when(complete).thenFails('transfer_not_found');
      spec.given(funded).when(refund()).thenFails('transfer_not_found');
    });
  });

  describe('state and audit', () => {
    it('tracks each sent transfer from pending to completed or refunded', () => {
      expect(replay(pending).sent.get(T)).to.deep.equal({
        state: 'pending',
        to: TO,
        currency: 'USD',
        amount: 1250n,
      });
      expect(replay([...pending, completed('12.5', '87.5')]).sent.get(T)?.state).to.equal(
        'completed',
      );
      expect(replay([...pending, refunded('12.5', '100')]).sent.get(T)?.state).to.equal('refunded');
    });

    it('audits every step: balances follow, nothing settles twice', () => {
      expect(auditWalletEvent(sent('12.5', '87.5'), replay(funded))).to.deep.equal([]);
      expect(auditWalletEvent(sent('12.5', '88'), replay(funded))).to.deep.equal([
        'TransferSent: USD balance 88 should be 87.5',
      ]);
      expect(auditWalletEvent(refunded('12.5', '100'), replay(pending))).to.deep.equal([]);
      expect(
        auditWalletEvent(refunded('12.5', '100'), replay([...pending, completed('12.5', '87.5')])),
      ).to.deep.equal(['TransferRefunded: settles a transfer already completed']);
      expect(auditWalletEvent(received('12.5', '12.5'), replay([]))).to.deep.equal([]);
      expect(
        auditWalletEvent(received('12.5', '25'), replay([received('12.5', '12.5')])),
      ).to.deep.equal(['TransferReceived: transfer received twice']);
    });
  });
});
