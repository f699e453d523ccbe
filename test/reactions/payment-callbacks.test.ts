import { expect } from 'chai';
import { openDepositIntent } from '../../commands/wallet/deposit-intents.ts';
import {
  paymentCallbackStreamId,
  recordPaymentCallback,
} from '../../commands/payments/record-callback.ts';
import { checkConservation } from '../../audit/conservation.ts';
import { settleFromCallback } from '../../reactions/payment-callbacks.ts';
import { checkCallbackSignature, signCallback } from '../../infra/payments/callback-signature.ts';
import type { PaymentCallback, PaymentProvider } from '../../ports/payment-provider.ts';
import { openTransferWorld, type TransferWorld } from './transfer-fixtures.ts';

/** A provider that only hands out references; the test plays its callbacks. */
const quietProvider: PaymentProvider = {
  name: 'test',
  createCheckout: async ({ intentId }) => ({ checkoutReference: `ref-${intentId}` }),
  close: async () => {},
};

describe('payment callbacks', () => {
  let world: TransferWorld;
  let ada: string;
  beforeEach(async () => {
    world = await openTransferWorld();
    ada = await world.register('ada@example.com');
  });
  afterEach(() => world.close());

  const record = async (callback: PaymentCallback) => {
    const outcome = await recordPaymentCallback(
      world.store,
      'test',
      callback,
      world.context('provider'),
    );
    const [event] = await world.store.readStream(paymentCallbackStreamId('test', callback.id));
    return { outcome, event: event! };
  };
  const intent = () =>
    openDepositIntent(
      { handler: world.handler, provider: quietProvider },
      ada,
      { amount: '30' },
      world.context(ada),
    );
  const callbackFor = (
    intentId: string,
    type: PaymentCallback['type'],
    id: string,
  ): PaymentCallback => ({
    id,
    type,
    intentId,
    userId: ada,
    currency: 'USD',
    amount: '30',
    occurredAt: new Date().toISOString(),
  });

  it('records a notification id once: a replay is a duplicate', async () => {
    const opened = await intent();
    const callback = callbackFor(opened.intentId, 'payment.succeeded', 'evt-1');
    expect((await record(callback)).outcome).to.equal('recorded');
    expect(
      await recordPaymentCallback(world.store, 'test', callback, world.context('provider')),
    ).to.equal('duplicate');
  });

  it('given a recorded success not yet credited (a crash in between), credits it exactly once', async () => {
    const opened = await intent();
    expect((await world.wallet(ada)).balances.get('USD') ?? 0n).to.equal(0n);
    const { event } = await record(callbackFor(opened.intentId, 'payment.succeeded', 'evt-1'));
    // The reaction after a restart handles the record; a second delivery changes nothing.
    expect(await settleFromCallback({ handler: world.handler }, event)).to.equal('settled');
    expect(await settleFromCallback({ handler: world.handler }, event)).to.equal('settled');
    expect((await world.wallet(ada)).balances.get('USD')).to.equal(3000n);
    expect(await world.types(ada)).to.deep.equal(['DepositIntentOpened', 'DepositIntentSucceeded']);
    expect((await checkConservation(world.store)).violations).to.deep.equal([]);
  });

  it('passes over a callback for an intent that does not exist', async () => {
    const { event } = await record(callbackFor('no-such-intent', 'payment.succeeded', 'evt-9'));
    expect(await settleFromCallback({ handler: world.handler }, event)).to.equal('ignored');
    expect(await world.types(ada)).to.deep.equal([]);
  });
});

describe('callback signatures', () => {
  const body = '{"id":"evt-1"}';
  const now = new Date('2024-05-01T12:00:00Z');
  const ts = String(now.getTime() / 1000);

  it('accepts the right signature within five minutes, either side of now', () => {
    const signature = signCallback('secret', ts, body);
    expect(checkCallbackSignature('secret', { signature, timestamp: ts }, body, now)).to.equal(
      'valid',
    );
    const old = String(now.getTime() / 1000 - 300);
    expect(
      checkCallbackSignature(
        'secret',
        { signature: signCallback('secret', old, body), timestamp: old },
        body,
        now,
      ),
    ).to.equal('valid');
  });

  it('refuses a stale timestamp, another body, another secret and a missing header', () => {
    const old = String(now.getTime() / 1000 - 301);
    const stale = signCallback('secret', old, body);
    expect(
      checkCallbackSignature('secret', { signature: stale, timestamp: old }, body, now),
    ).to.equal('stale');
    const signature = signCallback('secret', ts, body);
    expect(
      checkCallbackSignature('secret', { signature, timestamp: ts }, `${body} `, now),
    ).to.equal('mismatch');
    expect(checkCallbackSignature('other', { signature, timestamp: ts }, body, now)).to.equal(
      'mismatch',
    );
    expect(
      checkCallbackSignature('secret', { signature: undefined, timestamp: ts }, body, now),
    ).to.equal('missing');
    expect(
      checkCallbackSignature('secret', { signature: 'v1=00', timestamp: ts }, body, now),
    ).to.equal('mismatch');
  });
});
