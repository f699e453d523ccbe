import { expect } from 'chai';
import { CambioProcess } from '../support/cambio-process.ts';
import { expectConserved } from '../support/conservation.ts';
import {
  eventually,
  httpClient,
  registerAndLogin,
  type Balances,
  type HistoryPage,
  type HttpClient,
  type JsonRecord,
  type NewUser,
} from '../support/http-client.ts';
import { signCallback } from '../../infra/payments/callback-signature.ts';

const SECRET = 'a-test-secret-of-at-least-32-characters!';

interface IntentAnswer extends JsonRecord {
  intentId: string;
  state: string;
  checkoutReference: string;
  provider: string;
}

describe('e2e: deposits through a payment provider', function () {
  this.timeout(120_000);

  describe('signed callbacks', function () {
    let cambio: CambioProcess;
    let client: HttpClient;
    let ada: NewUser;
    let sequence = 0;

    before(async function () {
      // The simulated payer never pays here: the test plays the provider itself.
      cambio = await CambioProcess.start({
        env: { PAYMENT_CALLBACK_SECRET: SECRET, PAYMENT_SIMULATED_DELAY_MS: '3600000' },
      });
      client = httpClient(() => cambio.baseUrl);
      ada = await registerAndLogin(client, cambio.outboxDir);
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed') console.log(cambio.tail(60));
    });

    after(async function () {
      await cambio?.cleanup();
    });

    const openIntent = async (amount: string) => {
      const response = await client.post<IntentAnswer>(
        '/api/user/wallet/deposit-intents',
        { amount },
        { token: ada.token },
      );
      expect(response.status, response.text).to.equal(201);
      return response.body;
    };

    const callback = (
      intent: IntentAnswer,
      type: string,
      amount: string,
      options: { id?: string; secret?: string; ageSeconds?: number } = {},
    ) => {
      const body = JSON.stringify({
        id: options.id ?? `evt_${process.pid}_${++sequence}`,
        type,
        intentId: intent.intentId,
        userId: ada.userId,
        currency: 'USD',
        amount,
        occurredAt: new Date().toISOString(),
      });
      const timestamp = String(Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0));
      return client.post('/api/payments/callback', body, {
        headers: {
          'content-type': 'application/json',
          'Payment-Timestamp': timestamp,
          'Payment-Signature': signCallback(options.secret ?? SECRET, timestamp, body),
        },
      });
    };

    const usd = async () =>
      (await client.get<Balances>('/api/user/wallet/balance', { token: ada.token })).body.USD ??
      '0';
    const credited = (amount: string) =>
      eventually(`USD balance ${amount}`, async () =>
        (await usd()) === amount ? true : undefined,
      );

    it('opens an intent with the checkout reference and credits nothing', async function () {
      const intent = await openIntent('25');
      expect(intent).to.include({ state: 'open', provider: 'simulated' });
      expect(intent.checkoutReference).to.match(/^sim_/);
      expect(await usd()).to.equal('0');
    });

    it('refuses a bad signature, a missing one and a stale timestamp with 401', async function () {
      const intent = await openIntent('5');
      const forged = await callback(intent, 'payment.succeeded', '5', {
        secret: 'another-secret-of-at-least-32-characters',
      });
      expect(forged.status).to.equal(401);
      expect(forged.contentType).to.equal('application/problem+json');
      const stale = await callback(intent, 'payment.succeeded', '5', { ageSeconds: 301 });
      expect(stale.status).to.equal(401);
      const unsigned = await client.post('/api/payments/callback', { id: 'x' });
      expect(unsigned.status).to.equal(401);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await usd()).to.equal('0');
    });

    it('credits a succeeded payment once; the same callback again is 202 without effect', async function () {
      const before = Number(await usd());
      const intent = await openIntent('10');
      const first = await callback(intent, 'payment.succeeded', '10', {
        id: `evt_dup_${intent.intentId}`,
      });
      expect(first.status, first.text).to.equal(202);
      expect(first.body.duplicate).to.equal(false);
      const again = await callback(intent, 'payment.succeeded', '10', {
        id: `evt_dup_${intent.intentId}`,
      });
      expect(again.status).to.equal(202);
      expect(again.body.duplicate).to.equal(true);
      // Another notification of the same success (a provider retry under a new id): no effect.
      expect((await callback(intent, 'payment.succeeded', '10')).status).to.equal(202);
      await credited(String(before + 10));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await usd()).to.equal(String(before + 10));
      const history = await client.get<HistoryPage>('/api/user/wallet/history?type=deposit', {
        token: ada.token,
      });
      expect(history.body.entries.filter((e) => e['intentId'] === intent.intentId)).to.have.length(
        1,
      );
    });

    it('closes a failed or expired payment without credit; a late success changes nothing', async function () {
      const before = await usd();
      const failed = await openIntent('7');
      expect((await callback(failed, 'payment.failed', '7')).status).to.equal(202);
      expect((await callback(failed, 'payment.succeeded', '7')).status).to.equal(202);
      const expired = await openIntent('8');
      expect((await callback(expired, 'payment.expired', '8')).status).to.equal(202);
      // Out of order the other way: success first, then a stale failure.
      const paid = await openIntent('1');
      expect((await callback(paid, 'payment.succeeded', '1')).status).to.equal(202);
      expect((await callback(paid, 'payment.failed', '1')).status).to.equal(202);
      await credited(String(Number(before) + 1));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await usd()).to.equal(String(Number(before) + 1));
    });

    it('credits once across a crash right after the callback was recorded', async function () {
      for (let round = 0; round < 2; round++) {
        const before = Number(await usd());
        const intent = await openIntent('2');
        const recorded = await callback(intent, 'payment.succeeded', '2');
        expect(recorded.status).to.equal(202);
        cambio.kill('SIGKILL');
        await cambio.waitForExit();
        await cambio.restart();
        await credited(String(before + 2));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      await expectConserved(cambio.dataDir);
    });
  });

  describe('the simulated provider', function () {
    let cambio: CambioProcess;

    before(async function () {
      cambio = await CambioProcess.start({ env: { PAYMENT_SIMULATED_DELAY_MS: '300' } });
    });

    after(async function () {
      await cambio?.cleanup();
    });

    it('pays on its own after a short delay: the intent is credited with no outside service', async function () {
      const client = httpClient(() => cambio.baseUrl);
      const bob = await registerAndLogin(client, cambio.outboxDir);
      const ask = () =>
        client.post<IntentAnswer>(
          '/api/user/wallet/deposit-intents',
          { amount: '40.25', currency: 'EUR' },
          { token: bob.token, headers: { 'Idempotency-Key': 'pay-in-1' } },
        );
      const intent = await ask();
      expect(intent.status, intent.text).to.equal(201);
      // A retry of the same request is the same intent, paid and credited once.
      const retry = await ask();
      expect(retry.body.intentId).to.equal(intent.body.intentId);
      expect(retry.body.replayed).to.equal(true);
      await eventually('the simulated payment credited', async () => {
        const balances = await client.get<Balances>('/api/user/wallet/balance', {
          token: bob.token,
        });
        return balances.body.EUR === '40.25' ? true : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const after = await client.get<Balances>('/api/user/wallet/balance', { token: bob.token });
      expect(after.body.EUR).to.equal('40.25');
      await expectConserved(cambio.dataDir);
    });
  });
});
