/**
 * The seed wallet's documented API, walked against a real server. Trading clients were written
 * against the seed, so every request it documents must still be accepted and every field its
 * answers documented must still be there, with the right type.
 *
 * Source of the field list: the seed's routes and bodies as the design brief lists them
 * (register `name`, `lastName`, `mail`, `password`, `verification?`; login `mail`, `password` →
 * `token`; `GET /api/user/me`; balance `{ "USD": "64.05", "BTC": "1.0054" }`; deposit and
 * withdraw `amount`; buy and sell `currency`, `amount`; `GET /api/exchange-rates` → `currency`,
 * `rates`; `WS /ws/exchange-rates`), and the answers' fields as the compatibility report names
 * them (deposit and withdraw → `newBalance`, `message`; buy and sell → `Balance`,
 * `sold_amount`, `sold_currency`, `bought_amount`, `bought_currency`, `message`; login →
 * `message`; every answer → `status`). Money, which the seed sent as floats, is a decimal string.
 *
 * Differences kept on purpose (README, "Differences from the seed API"): errors are problem+json
 * with real statuses instead of 200 with `status: false`, and account creation answers 201.
 */
import { expect } from 'chai';
import WebSocket from 'ws';
import { CambioProcess } from '../support/cambio-process.ts';
import {
  eventually,
  httpClient,
  uniqueMail,
  verificationCode,
  type HttpClient,
  type HttpResponse,
  type JsonRecord,
} from '../support/http-client.ts';

type FieldType = 'boolean' | 'string' | 'decimal' | 'balances' | 'rates';

const DECIMAL = /^\d+(\.\d+)?$/;

/** Every documented field is present and of its type; money is a decimal string. */
const expectFields = (
  response: HttpResponse,
  fields: Record<string, FieldType>,
  what: string,
): void => {
  for (const [name, type] of Object.entries(fields)) {
    const value = response.body[name];
    const where = `${what}: ${name} in ${response.text}`;
    switch (type) {
      case 'boolean':
        expect(value, where).to.be.a('boolean');
        break;
      case 'string':
        expect(value, where).to.be.a('string').and.not.equal('');
        break;
      case 'decimal':
        expect(value, where).to.be.a('string').and.match(DECIMAL);
        break;
      case 'balances':
      case 'rates': {
        expect(value, where).to.be.an('object');
        const entries = Object.entries(value as Record<string, unknown>);
        if (type === 'rates') expect(entries.length, where).to.be.greaterThan(0);
        for (const [code, amount] of entries) {
          expect(code, where).to.match(/^[A-Z0-9]{2,10}$/);
          expect(amount, `${where} (${code})`).to.be.a('string').and.match(DECIMAL);
        }
        break;
      }
    }
  }
};

/** What the seed documents for the answer to a buy or a sell. */
const TRADE_FIELDS: Record<string, FieldType> = {
  status: 'boolean',
  Balance: 'balances',
  sold_amount: 'decimal',
  sold_currency: 'string',
  bought_amount: 'decimal',
  bought_currency: 'string',
  message: 'string',
};

/** The balance route answers the balances object itself, not a field of it. */
const expectBalanceBody = (response: HttpResponse, what: string): Record<string, string> => {
  expect(response.status, `${what}: ${response.text}`).to.equal(200);
  expectFields({ ...response, body: { balances: response.body } }, { balances: 'balances' }, what);
  return response.body as Record<string, string>;
};

describe('e2e: the seed API contract', function () {
  this.timeout(90_000);
  let cambio: CambioProcess;
  let client: HttpClient;

  before(async function () {
    // The default rate tick (1 s), as after `npm start`: the first rates come from the start.
    cambio = await CambioProcess.start({ env: { RATES_TICK_MS: '1000' } });
    client = httpClient(() => cambio.baseUrl);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(40));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  describe('rates from the first instant', function () {
    it('the first GET /api/exchange-rates after start answers 200 with rates', async function () {
      const response = await client.get('/api/exchange-rates?currency=USD');
      expect(response.status, response.text).to.equal(200);
      expectFields(response, { currency: 'string', rates: 'rates' }, 'exchange rates');
      expect(response.body.currency).to.equal('USD');
    });

    it('/ws/exchange-rates sends the rates as soon as it is connected', async function () {
      const socket = new WebSocket(`ws://127.0.0.1:${cambio.port}/ws/exchange-rates`);
      try {
        const first = await new Promise<JsonRecord>((resolve, reject) => {
          socket.once('message', (data: WebSocket.RawData) =>
            resolve(JSON.parse(String(data)) as JsonRecord),
          );
          socket.once('error', reject);
        });
        expect(first.currency).to.equal('USD');
        expect(Object.keys(first.rates as object).length).to.be.greaterThan(0);
      } finally {
        socket.close();
      }
    });
  });

  for (const slash of ['', '/']) {
    describe(`every seed route ${slash === '' ? 'without' : 'with'} a trailing slash`, function () {
      const route = (path: string) => `${path}${slash}`;
      const mail = uniqueMail('seed');
      const person = { name: 'Ada', lastName: 'Lovelace', mail, password: 'correct horse' };
      let token = '';

      it('POST /api/user/register without verification mails a code', async function () {
        const response = await client.post(route('/api/user/register'), person);
        expect(response.status, response.text).to.equal(200);
        expectFields(response, { status: 'boolean', message: 'string' }, 'register');
        expect(response.body.status).to.equal(true);
      });

      it('POST /api/user/register with the verification code creates the account', async function () {
        const verification = await verificationCode(cambio.outboxDir, mail);
        const response = await client.post(route('/api/user/register'), {
          ...person,
          verification,
        });
        expect(response.status, response.text).to.equal(201);
        expectFields(response, { status: 'boolean', message: 'string' }, 'register with code');
      });

      it('POST /api/user/login answers a token and a message', async function () {
        const response = await client.post(route('/api/user/login'), {
          mail,
          password: person.password,
        });
        expect(response.status, response.text).to.equal(200);
        expectFields(response, { status: 'boolean', token: 'string', message: 'string' }, 'login');
        token = response.body.token as string;
      });

      it('GET /api/user/me answers the profile', async function () {
        const response = await eventually('the profile', async () => {
          const answer = await client.get(route('/api/user/me'), { token });
          return answer.status === 404 ? undefined : answer;
        });
        expect(response.status, response.text).to.equal(200);
        expectFields(response, { name: 'string', lastName: 'string', mail: 'string' }, 'me');
        expect(response.body).to.include({ name: 'Ada', lastName: 'Lovelace' });
      });

      it('GET /api/user/wallet/balance answers the balances by currency', async function () {
        expectBalanceBody(
          await client.get(route('/api/user/wallet/balance'), { token }),
          'balance',
        );
      });

      it('POST /api/user/wallet/deposit answers newBalance and message', async function () {
        const response = await client.post(
          route('/api/user/wallet/deposit'),
          { amount: '100.10' },
          { token },
        );
        expect(response.status, response.text).to.equal(200);
        expectFields(
          response,
          { status: 'boolean', newBalance: 'decimal', message: 'string' },
          'deposit',
        );
        expect(response.body.newBalance).to.equal('100.1');
      });

      it('POST /api/user/wallet/deposit takes a JSON number too, as the seed did', async function () {
        const response = await client.post(route('/api/user/wallet/deposit'), '{"amount":10}', {
          token,
        });
        expect(response.status, response.text).to.equal(200);
        expect(response.body.newBalance).to.equal('110.1');
      });

      it('POST /api/user/wallet/buy answers Balance, sold_* and bought_*', async function () {
        const response = await client.post(
          route('/api/user/wallet/buy'),
          { currency: 'BTC', amount: '0.001' },
          { token },
        );
        expect(response.status, response.text).to.equal(200);
        expectFields(response, TRADE_FIELDS, 'buy');
        expect(response.body).to.include({
          sold_currency: 'USD',
          bought_currency: 'BTC',
          bought_amount: '0.001',
        });
        const balance = response.body.Balance as Record<string, string>;
        expect(balance.BTC).to.equal('0.001');
      });

      it('POST /api/user/wallet/sell answers Balance, sold_* and bought_*', async function () {
        const response = await client.post(
          route('/api/user/wallet/sell'),
          { currency: 'BTC', amount: '0.0005' },
          { token },
        );
        expect(response.status, response.text).to.equal(200);
        expectFields(response, TRADE_FIELDS, 'sell');
        expect(response.body).to.include({
          sold_currency: 'BTC',
          sold_amount: '0.0005',
          bought_currency: 'USD',
        });
      });

      it('POST /api/user/wallet/withdraw answers newBalance and message', async function () {
        const response = await client.post(
          route('/api/user/wallet/withdraw'),
          { amount: '10' },
          { token },
        );
        expect(response.status, response.text).to.equal(200);
        expectFields(
          response,
          { status: 'boolean', newBalance: 'decimal', message: 'string' },
          'withdraw',
        );
        const balances = response.body.balances as Record<string, string>;
        expect(response.body.newBalance).to.equal(balances.USD);
      });

      it('GET /api/exchange-rates answers currency and rates', async function () {
        const response = await client.get(`${route('/api/exchange-rates')}?currency=USD`);
        expect(response.status, response.text).to.equal(200);
        expectFields(response, { currency: 'string', rates: 'rates' }, 'exchange rates');
      });
    });
  }
});
