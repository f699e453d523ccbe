import { expect } from 'chai';
import { CambioProcess } from '../support/cambio-process.ts';
import {
  eventually,
  httpClient,
  login,
  mailsTo,
  uniqueMail,
  verificationCode,
  type Balances,
  type HistoryEntry,
  type HistoryPage,
  type HttpClient,
  type HttpResponse,
  type JsonRecord,
  type Problem,
  type WalletAnswer,
  toMinor,
} from '../support/http-client.ts';

describe('e2e: a newcomer registers, funds the wallet and trades', function () {
  this.timeout(60_000);
  let cambio: CambioProcess;
  let client: HttpClient;

  before(async function () {
    cambio = await CambioProcess.start({ env: { READ_WAIT_MS: '500' } });
    client = httpClient(() => cambio.baseUrl);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(60));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  /** Trades need a rate tick first; 503 right after start is the documented answer. */
  const trade = async (path: string, body: JsonRecord, token: string) =>
    eventually(`${path} with fresh rates`, async () => {
      const response = await client.post<WalletAnswer>(path, body, { token });
      if (response.status === 503) return undefined;
      return response;
    });

  const balanceAt = (token: string, position: string) =>
    client.get<Balances>('/api/user/wallet/balance', {
      token,
      headers: { 'X-Min-Position': position },
    });

  const historyPage = (token: string, query: string, position: string) =>
    client.get<HistoryPage>(`/api/user/wallet/history${query}`, {
      token,
      headers: { 'X-Min-Position': position },
    });

  /** Walks every page of a history query with `limit` entries per page. */
  const allPages = async (token: string, query: string, limit: number, position: string) => {
    const entries: HistoryEntry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const params = new URLSearchParams(query);
      params.set('limit', String(limit));
      if (cursor !== null) params.set('cursor', cursor);
      const page = await historyPage(token, `?${params.toString()}`, position);
      expect(page.status, page.text).to.equal(200);
      expect(page.body.entries.length).to.be.at.most(limit);
      entries.push(...page.body.entries);
      cursor = page.body.nextCursor;
      pages += 1;
      expect(pages, 'pagination ends').to.be.below(20);
    } while (cursor !== null);
    return entries;
  };

  describe('the whole flow', function () {
    const mail = uniqueMail('newcomer');
    const password = 'a long enough password';
    const person = { name: 'Grace', lastName: 'Hopper', mail, password };
    let token: string;
    let userId: string;
    const answers: Record<string, HttpResponse<WalletAnswer>> = {};

    it('registers: a 6-digit code is mailed to the outbox, then the code creates the account', async function () {
      const first = await client.post('/api/user/register', person);
      expect(first.status, first.text).to.equal(200);
      expect(first.body).to.include({ status: true, verificationSent: true, mail });

      const code = await verificationCode(cambio.outboxDir, mail);
      expect(code).to.match(/^\d{6}$/);
      const mails = await mailsTo(cambio.outboxDir, mail);
      expect(mails).to.have.length(1);

      const created = await client.post('/api/user/register', { ...person, verification: code });
      expect(created.status, created.text).to.equal(201);
      expect(created.body).to.include({ status: true, registered: true, mail });
      expect(created.body.userId).to.be.a('string');
      userId = created.body.userId as string;

      // The profile is readable as soon as the registration's position is projected.
      const signedIn = await login(client, mail, password);
      expect(signedIn.userId).to.equal(userId);
      token = signedIn.token;
      const me = await client.get('/api/user/me', {
        token,
        headers: { 'X-Min-Position': String(created.body.position) },
      });
      expect(me.status, me.text).to.equal(200);
      expect(me.body).to.include({ userId, mail, name: 'Grace', lastName: 'Hopper' });
    });

    it('a new wallet is empty', async function () {
      const balance = await client.get<Balances>('/api/user/wallet/balance', { token });
      expect(balance.status).to.equal(200);
      expect(balance.body).to.deep.equal({});
    });

    it('deposits "100.10" and reads it back at once with X-Min-Position', async function () {
      const deposit = await client.post<WalletAnswer>(
        '/api/user/wallet/deposit',
        { amount: '100.10' },
        { token },
      );
      expect(deposit.status, deposit.text).to.equal(200);
      expect(deposit.body).to.include({ status: true, replayed: false });
      expect(deposit.body.balances).to.deep.equal({ USD: '100.1' });
      expect(deposit.body.event.type).to.equal('FundsDeposited');
      expect(deposit.body.event.data).to.include({ currency: 'USD', amount: '100.1' });
      answers.deposit = deposit;

      const read = await balanceAt(token, deposit.body.position);
      expect(read.status, read.text).to.equal(200);
      expect(read.body).to.deep.equal(deposit.body.balances);
    });

    it('buys 0.001 BTC: the cost is taken from USD and the rate is recorded', async function () {
      const buy = await trade('/api/user/wallet/buy', { currency: 'BTC', amount: '0.001' }, token);
      expect(buy.status, buy.text).to.equal(200);
      const data = buy.body.event.data;
      expect(buy.body.event.type).to.equal('CryptoBought');
      expect(data).to.include({ currency: 'BTC', amount: '0.001', quoteCurrency: 'USD' });
      expect(data.rate).to.be.a('string');
      const cost = toMinor(String(data.cost), 2);
      expect(cost > 0n).to.equal(true);
      expect(buy.body.balances.BTC).to.equal('0.001');
      expect(toMinor(buy.body.balances.USD ?? '0', 2)).to.equal(toMinor('100.10', 2) - cost);
      answers.buy = buy;

      const read = await balanceAt(token, buy.body.position);
      expect(read.body).to.deep.equal(buy.body.balances);
    });

    it('sells 0.0005 BTC: the proceeds are added to USD', async function () {
      const sell = await trade(
        '/api/user/wallet/sell',
        { currency: 'BTC', amount: '0.0005' },
        token,
      );
      expect(sell.status, sell.text).to.equal(200);
      const data = sell.body.event.data;
      expect(sell.body.event.type).to.equal('CryptoSold');
      expect(data).to.include({ currency: 'BTC', amount: '0.0005', quoteCurrency: 'USD' });
      const proceeds = toMinor(String(data.proceeds), 2);
      expect(proceeds > 0n).to.equal(true);
      expect(sell.body.balances.BTC).to.equal('0.0005');
      const before = toMinor(answers.buy?.body.balances.USD ?? '', 2);
      expect(toMinor(sell.body.balances.USD ?? '0', 2)).to.equal(before + proceeds);
      answers.sell = sell;

      const read = await balanceAt(token, sell.body.position);
      expect(read.body).to.deep.equal(sell.body.balances);
    });

    it('withdraws "10" and GET /balance shows exactly what the last answer reported', async function () {
      const withdraw = await client.post<WalletAnswer>(
        '/api/user/wallet/withdraw',
        { amount: '10' },
        { token },
      );
      expect(withdraw.status, withdraw.text).to.equal(200);
      expect(withdraw.body.event.type).to.equal('FundsWithdrawn');
      const before = toMinor(answers.sell?.body.balances.USD ?? '', 2);
      expect(toMinor(withdraw.body.balances.USD ?? '0', 2)).to.equal(before - 1000n);
      expect(withdraw.body.balances.BTC).to.equal('0.0005');
      answers.withdraw = withdraw;

      const read = await balanceAt(token, withdraw.body.position);
      expect(read.status).to.equal(200);
      expect(read.body).to.deep.equal(withdraw.body.balances);

      // Positions grow with every command.
      const positions = ['deposit', 'buy', 'sell', 'withdraw'].map((name) =>
        BigInt(answers[name]?.body.position ?? '0'),
      );
      for (let i = 1; i < positions.length; i++) {
        expect((positions[i] ?? 0n) > (positions[i - 1] ?? 0n)).to.equal(true);
      }
    });

    it('history lists the four transactions newest first, with what the answers reported', async function () {
      const position = answers.withdraw?.body.position ?? '0';
      const page = await historyPage(token, '', position);
      expect(page.status, page.text).to.equal(200);
      expect(page.body.nextCursor).to.equal(null);
      const entries = page.body.entries;
      expect(entries.map((e) => e.type)).to.deep.equal(['withdrawal', 'sell', 'buy', 'deposit']);
      const order = ['withdraw', 'sell', 'buy', 'deposit'];
      entries.forEach((entry, i) => {
        const answer = answers[order[i] ?? '']?.body;
        expect(entry.id).to.equal(answer?.event.id);
        expect(entry.position).to.equal(answer?.position);
        expect(entry.amount).to.equal(answer?.event.data.amount);
        expect(entry.currency).to.equal(answer?.event.data.currency);
      });
      const [withdrawal, sell, buy] = entries;
      expect(buy?.cost).to.equal(answers.buy?.body.event.data.cost);
      expect(buy?.rate).to.equal(answers.buy?.body.event.data.rate);
      expect(sell?.proceeds).to.equal(answers.sell?.body.event.data.proceeds);
      expect(withdrawal?.balance).to.equal(answers.withdraw?.body.balances.USD);
    });

    it('cursor pagination walks the same entries in the same order, one page at a time', async function () {
      const position = answers.withdraw?.body.position ?? '0';
      const whole = (await historyPage(token, '', position)).body.entries;
      for (const limit of [1, 3]) {
        const paged = await allPages(token, '', limit, position);
        expect(paged.map((e) => e.id)).to.deep.equal(whole.map((e) => e.id));
      }
      const positions = whole.map((e) => BigInt(e.position));
      for (let i = 1; i < positions.length; i++) {
        expect((positions[i] ?? 0n) < (positions[i - 1] ?? 0n), 'newest first').to.equal(true);
      }
    });

    it('filters by currency and by type, also across pages', async function () {
      const position = answers.withdraw?.body.position ?? '0';
      const btc = await allPages(token, 'currency=BTC', 1, position);
      expect(btc.map((e) => e.type)).to.deep.equal(['sell', 'buy']);
      expect(btc.every((e) => e.currency === 'BTC')).to.equal(true);

      const usd = await allPages(token, 'currency=USD', 1, position);
      expect(usd.map((e) => e.type)).to.deep.equal(['withdrawal', 'deposit']);

      const deposits = await allPages(token, 'type=deposit', 2, position);
      expect(deposits.map((e) => e.id)).to.deep.equal([answers.deposit?.body.event.id]);

      const buys = await allPages(token, 'type=buy&currency=BTC', 5, position);
      expect(buys.map((e) => e.id)).to.deep.equal([answers.buy?.body.event.id]);

      const none = await allPages(token, 'currency=ETH', 5, position);
      expect(none).to.deep.equal([]);
    });

    it('refuses unknown filters, a bad limit and a cursor it did not hand out (400 problem+json)', async function () {
      for (const query of [
        '?type=gift',
        '?currency=XYZ',
        '?limit=0',
        '?limit=abc',
        '?cursor=!!',
        '?cursor=zz',
        '?userId=x',
      ]) {
        const response = await client.get<Problem>(`/api/user/wallet/history${query}`, { token });
        expect(response.status, `${query}: ${response.text}`).to.equal(400);
        expect(response.contentType).to.equal('application/problem+json');
      }
    });

    it('X-Min-Position: a position not reached yet answers 503 with Retry-After; a malformed one 400', async function () {
      const ahead = (BigInt(answers.withdraw?.body.position ?? '0') + 1_000_000n).toString();
      const behind = await balanceAt(token, ahead);
      expect(behind.status, behind.text).to.equal(503);
      expect(behind.contentType).to.equal('application/problem+json');
      expect(behind.headers.get('retry-after')).to.be.a('string');

      const malformed = await balanceAt(token, 'soon');
      expect(malformed.status).to.equal(400);

      // The query-string form works as well.
      const byQuery = await client.get<Balances>(
        `/api/user/wallet/balance?minPosition=${answers.withdraw?.body.position ?? ''}`,
        { token },
      );
      expect(byQuery.status).to.equal(200);
      expect(byQuery.body).to.deep.equal(answers.withdraw?.body.balances);
    });

    it('a second login sees the same wallet', async function () {
      const again = await login(client, mail, password);
      const balance = await balanceAt(again.token, answers.withdraw?.body.position ?? '0');
      expect(balance.body).to.deep.equal(answers.withdraw?.body.balances);
    });
  });
});
