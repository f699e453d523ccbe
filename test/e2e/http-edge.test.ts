import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { CambioProcess } from '../support/cambio-process.ts';
import {
  httpClient,
  registerAndLogin,
  type Balances,
  type HistoryPage,
  type HttpClient,
  type HttpResponse,
  type JsonRecord,
  type NewUser,
  type Problem,
  type WalletAnswer,
  toMinor,
} from '../support/http-client.ts';

/** The fields a 400 names: every one is listed in `errors`, whichever check refused it. */
const fieldsOf = (problem: Problem): string[] => (problem.errors ?? []).map((error) => error.field);

/** Checks the problem+json shape and returns the problem. */
const expectProblem = (response: HttpResponse<unknown>, status: number, what = ''): Problem => {
  const problem = response.body as Problem;
  expect(response.status, `${what} ${response.text}`).to.equal(status);
  expect(response.contentType, what).to.equal('application/problem+json');
  expect(problem.status, what).to.equal(status);
  expect(problem.type, what).to.be.a('string');
  expect(problem.title, what).to.be.a('string');
  expect(problem.requestId, what).to.equal(response.headers.get('x-request-id'));
  return problem;
};

/** A raw request, for bodies fetch would not send as they are. */
const rawPost = (
  port: number,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer,
): Promise<{ status: number; contentType: string; body: string }> =>
  new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: (res.headers['content-type'] ?? '').split(';')[0] ?? '',
          body: text,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });

describe('e2e: the HTTP edge', function () {
  this.timeout(60_000);
  let cambio: CambioProcess;
  let client: HttpClient;
  let user: NewUser;

  before(async function () {
    // Limits far above the default, for the amounts that test exact parsing of huge numbers.
    const noMoneyLimits = '1' + '0'.repeat(25);
    cambio = await CambioProcess.start({
      env: { MAX_DEPOSIT: noMoneyLimits, MAX_BALANCE: noMoneyLimits },
    });
    client = httpClient(() => cambio.baseUrl);
    user = await registerAndLogin(client, cambio.outboxDir);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(40));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  /** Position of the newest accepted command, for reads that must include it. */
  let lastPosition = '0';

  const deposit = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await client.post<WalletAnswer>('/api/user/wallet/deposit', body, {
      token: user.token,
      headers,
    });
    if (response.status === 200) lastPosition = response.body.position;
    return response;
  };

  const balance = () =>
    client.get<Balances>('/api/user/wallet/balance', {
      token: user.token,
      headers: { 'X-Min-Position': lastPosition },
    });

  const deposits = async (position: string) => {
    const page = await client.get<HistoryPage>('/api/user/wallet/history?type=deposit&limit=100', {
      token: user.token,
      headers: { 'X-Min-Position': position },
    });
    expect(page.status, page.text).to.equal(200);
    return page.body.entries;
  };

  describe('amounts', function () {
    for (const amount of [
      '1e3',
      '0x10',
      '',
      ' 1',
      '1 ',
      '-1',
      '+1',
      '0',
      '0.00',
      'NaN',
      'Infinity',
      '1.123',
      '1,5',
      '.5',
      '1.',
    ]) {
      it(`refuses the amount ${JSON.stringify(amount)} with a 400 naming the field`, async function () {
        const response = await deposit({ amount });
        const responseProblem = expectProblem(response, 400, amount);
        expect(fieldsOf(responseProblem), response.text).to.include('amount');
      });
    }

    for (const literal of ['1e3', '-1', '0', '1.123', 'null', 'true', '[1]', '{"v":1}']) {
      it(`refuses the JSON value ${literal} as an amount`, async function () {
        const response = await deposit(`{"amount":${literal}}`);
        const responseProblem = expectProblem(response, 400, literal);
        expect(fieldsOf(responseProblem), response.text).to.include('amount');
      });
    }

    it('refuses a missing amount and unknown fields, naming them', async function () {
      const missing = await deposit({});
      const missingProblem = expectProblem(missing, 400);
      expect(fieldsOf(missingProblem).join(' ')).to.include('amount');
      const extra = await deposit({ amount: '1', note: 'hi' });
      const extraProblem = expectProblem(extra, 400);
      expect(fieldsOf(extraProblem).join(' ')).to.include('note');
    });

    it('accepts the JSON number 100.10 as exactly "100.1" (no float on the way)', async function () {
      const before = toMinor((await balance()).body.USD ?? '0', 2);
      const response = await deposit('{"amount":100.10}');
      expect(response.status, response.text).to.equal(200);
      expect(response.body.event.data.amount).to.equal('100.1');
      expect(toMinor(response.body.balances.USD ?? '', 2)).to.equal(before + 10010n);

      // A number with more digits than a double holds survives too.
      const precise = await deposit('{"amount":12345678901234567.89}');
      expect(precise.status, precise.text).to.equal(200);
      expect(precise.body.event.data.amount).to.equal('12345678901234567.89');
      expect((await balance()).body).to.deep.equal(precise.body.balances);
    });
  });

  describe('statuses', function () {
    it('404 problem+json for an unknown route', async function () {
      expectProblem(await client.get<Problem>('/api/nope'), 404);
      expectProblem(await client.post<Problem>('/api/user/wallet/teleport', { amount: '1' }), 404);
      expectProblem(
        await client.request<Problem>('DELETE', '/api/user/wallet/balance', { token: user.token }),
        404,
      );
    });

    it('413 problem+json for a body over the limit', async function () {
      const body = JSON.stringify({ amount: '1', padding: 'x'.repeat(64 * 1024) });
      const response = await deposit(body);
      expectProblem(response, 413);
    });

    it('415 problem+json for a body that is not JSON', async function () {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const response = await client.post<Problem>('/api/user/wallet/deposit', 'amount=1', {
          token: user.token,
          headers: { 'content-type': type },
        });
        expectProblem(response, 415, type);
      }
      // No Content-Type at all, with a body, is not JSON either.
      const raw = await rawPost(
        cambio.port,
        '/api/user/wallet/deposit',
        { authorization: `Bearer ${user.token}`, 'content-length': '14' },
        '{"amount":"1"}',
      );
      expect(raw.status, raw.body).to.equal(415);
      expect(raw.contentType).to.equal('application/problem+json');
    });

    it('400 problem+json for malformed JSON', async function () {
      for (const body of ['{"amount":', '{amount:1}', "{'amount':'1'}", '{"amount":"1"}}']) {
        expectProblem(await deposit(body), 400, body);
      }
    });

    it('422 problem+json for insufficient funds, and the balance does not move', async function () {
      const before = await balance();
      const response = await client.post<Problem>(
        '/api/user/wallet/withdraw',
        { amount: '99999999999999999999' },
        { token: user.token },
      );
      expectProblem(response, 422);
      expect(response.body.code).to.equal('insufficient_funds');
      const sell = await client.post<Problem>(
        '/api/user/wallet/sell',
        { currency: 'ETH', amount: '1' },
        { token: user.token },
      );
      // Selling what one does not hold breaks the same rule (503 only before the first tick).
      expect([422, 503], sell.text).to.include(sell.status);
      if (sell.status === 422) expect(sell.body.code).to.equal('insufficient_funds');
      expect((await balance()).body).to.deep.equal(before.body);
    });
  });

  describe('Idempotency-Key', function () {
    it('the same key and body answer the same, with replayed: true, and record one event', async function () {
      const headers = { 'Idempotency-Key': `deposit-${Date.now()}` };
      const first = await deposit({ amount: '7.25', currency: 'USD' }, headers);
      expect(first.status, first.text).to.equal(200);
      expect(first.body.replayed).to.equal(false);

      const second = await deposit({ amount: '7.25', currency: 'USD' }, headers);
      expect(second.status, second.text).to.equal(200);
      expect(second.body.replayed).to.equal(true);
      const { replayed: _a, ...firstRest } = first.body;
      const { replayed: _b, ...secondRest } = second.body;
      expect(secondRest).to.deep.equal(firstRest);

      // The same body with its keys in another order is the same request.
      const reordered = await deposit('{"currency":"USD","amount":"7.25"}', headers);
      expect(reordered.status, reordered.text).to.equal(200);
      expect(reordered.body.replayed).to.equal(true);
      expect(reordered.body.event.id).to.equal(first.body.event.id);

      const entries = await deposits(first.body.position);
      expect(entries.filter((e) => e.id === first.body.event.id)).to.have.length(1);
      expect(entries.filter((e) => e.amount === '7.25')).to.have.length(1);
      expect((await balance()).body).to.deep.equal(first.body.balances);
    });

    it('the same key with another body is refused (422) and records nothing', async function () {
      const headers = { 'Idempotency-Key': `other-body-${Date.now()}` };
      const first = await deposit({ amount: '3' }, headers);
      expect(first.status).to.equal(200);
      const other = await deposit({ amount: '4' }, headers);
      expect(expectProblem(other, 422).code).to.equal('idempotency_key_reused');
      // The key on another route of the same wallet is another request too.
      const elsewhere = await client.post<Problem>(
        '/api/user/wallet/withdraw',
        { amount: '3' },
        { token: user.token, headers },
      );
      expect(expectProblem(elsewhere, 422).code).to.equal('idempotency_key_reused');
      const entries = await deposits(first.body.position);
      expect(entries.filter((e) => e.amount === '4')).to.have.length(0);
    });

    it('a malformed key is a 400 naming the header', async function () {
      for (const key of ['x'.repeat(129), 'späce', 'two words']) {
        const response = await deposit({ amount: '1' }, { 'Idempotency-Key': key });
        const responseProblem = expectProblem(response, 400, key);
        expect(fieldsOf(responseProblem)).to.include('Idempotency-Key');
      }
    });
  });

  describe('request ids', function () {
    it('echoes a sane X-Request-Id on answers and in problems, and makes one otherwise', async function () {
      const ok = await client.get('/health', { headers: { 'X-Request-Id': 'trace-abc.123' } });
      expect(ok.headers.get('x-request-id')).to.equal('trace-abc.123');

      const problem = await client.get<Problem>('/api/nope', {
        headers: { 'X-Request-Id': 'trace-def-456' },
      });
      expect(problem.headers.get('x-request-id')).to.equal('trace-def-456');
      expect(problem.body.requestId).to.equal('trace-def-456');

      const made = await client.get('/health');
      expect(made.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);

      const forged = await client.get('/health', {
        headers: { 'X-Request-Id': 'spaces and {"level":60}' },
      });
      expect(forged.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    });
  });

  describe('operations endpoints', function () {
    it('/health answers 200 JSON', async function () {
      const health = await client.get('/health');
      expect(health.status).to.equal(200);
      expect(health.body.status).to.equal('ok');
    });

    it('/ready answers 200 with every dependency up', async function () {
      const ready = await client.get<{ status: string; dependencies: JsonRecord[] }>('/ready');
      expect(ready.status, ready.text).to.equal(200);
      expect(ready.body.status).to.equal('ready');
      expect(ready.body.dependencies.map((d) => d.name)).to.include.members([
        'event store',
        'read store',
        'bus',
      ]);
      expect(ready.body.dependencies.every((d) => d.up === true)).to.equal(true);
    });

    it('/metrics has request durations labelled by route template', async function () {
      await client.get('/api/user/wallet/balance', { token: user.token });
      const metrics = await client.get('/metrics');
      expect(metrics.status).to.equal(200);
      expect(metrics.text).to.include('# TYPE cambio_http_request_duration_seconds histogram');
      expect(metrics.text).to.match(
        /cambio_http_request_duration_seconds_count\{[^}]*route="\/api\/user\/wallet\/balance"[^}]*\} \d+/,
      );
      expect(metrics.text).to.match(
        /cambio_http_request_duration_seconds_count\{[^}]*route="\/api\/user\/wallet\/deposit"[^}]*status="200"[^}]*\} \d+/,
      );
      // Unknown paths share one label, so scanners cannot blow up the series count.
      await client.get('/scan/a1');
      await client.get('/scan/b2');
      const after = await client.get('/metrics');
      expect(after.text).not.to.include('/scan/');
    });

    it('/openapi.json lists the routes with their methods', async function () {
      const doc = await client.get<{ openapi: string; paths: Record<string, JsonRecord> }>(
        '/openapi.json',
      );
      expect(doc.status).to.equal(200);
      expect(doc.body.openapi).to.match(/^3\./);
      const expected: [string, string][] = [
        ['/api/user/register', 'post'],
        ['/api/user/login', 'post'],
        ['/api/user/refresh', 'post'],
        ['/api/user/logout', 'post'],
        ['/api/user/me', 'get'],
        ['/api/user/wallet/balance', 'get'],
        ['/api/user/wallet/history', 'get'],
        ['/api/user/wallet/deposit', 'post'],
        ['/api/user/wallet/withdraw', 'post'],
        ['/api/user/wallet/buy', 'post'],
        ['/api/user/wallet/sell', 'post'],
        ['/api/exchange-rates', 'get'],
      ];
      for (const [path, method] of expected) {
        expect(doc.body.paths, path).to.have.property(path);
        expect(doc.body.paths[path], `${method} ${path}`).to.have.property(method);
      }
      // The amount schema served is the one that validated the requests above.
      expect(JSON.stringify(doc.body.paths['/api/user/wallet/deposit'])).to.include('amount');
    });

    it('/docs serves an HTML page', async function () {
      const docs = await client.get('/docs');
      expect(docs.status).to.equal(200);
      expect(docs.contentType).to.equal('text/html');
      expect(docs.text.toLowerCase()).to.include('<html');
      expect(docs.text).to.include('openapi.json');
    });
  });

  describe('finally', function () {
    it('after all of the above, the USD balance is the sum of the recorded movements', async function () {
      const history = await client.get<HistoryPage>('/api/user/wallet/history?limit=100', {
        token: user.token,
        headers: { 'X-Min-Position': lastPosition },
      });
      expect(history.body.nextCursor).to.equal(null);
      const sum = history.body.entries.reduce((total, entry) => {
        const amount = toMinor(entry.amount, 2);
        if (entry.type === 'deposit') return total + amount;
        if (entry.type === 'withdrawal') return total - amount;
        throw new Error(`no trades were made here, found ${entry.type}`);
      }, 0n);
      expect(toMinor((await balance()).body.USD ?? '0', 2)).to.equal(sum);
    });
  });
});
