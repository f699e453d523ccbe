import { expect } from 'chai';
import { CambioProcess } from '../support/cambio-process.ts';
import { connect, type Received, type TestClient } from '../read-api/websocket/harness.ts';
import {
  eventually,
  httpClient,
  registerAndLogin,
  uniqueMail,
  type Balances,
  type HistoryPage,
  type HttpClient,
  type JsonRecord,
  type NewUser,
  type Problem,
  type WalletAnswer,
} from '../support/http-client.ts';

interface TransferAnswer extends JsonRecord {
  transferId: string;
  state: string;
  balances: Balances;
  position: string;
  replayed: boolean;
}

interface TransferView extends JsonRecord {
  transferId: string;
  state: 'pending' | 'completed' | 'refunded';
  direction: 'out' | 'in';
  counterparty: string;
  currency: string;
  amount: string;
  reason?: string;
}

describe('e2e: transfers between users', function () {
  this.timeout(90_000);
  let cambio: CambioProcess;
  let client: HttpClient;
  let ada: NewUser;
  let bob: NewUser;
  let eve: NewUser;

  before(async function () {
    cambio = await CambioProcess.start();
    client = httpClient(() => cambio.baseUrl);
    [ada, bob, eve] = await Promise.all([
      registerAndLogin(client, cambio.outboxDir, { mail: uniqueMail('ada') }),
      registerAndLogin(client, cambio.outboxDir, { mail: uniqueMail('bob') }),
      registerAndLogin(client, cambio.outboxDir, { mail: uniqueMail('eve') }),
    ]);
    const funded = await client.post<WalletAnswer>(
      '/api/user/wallet/deposit',
      { amount: '100' },
      { token: ada.token },
    );
    expect(funded.status, funded.text).to.equal(200);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(60));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  const transfer = (token: string, body: JsonRecord, headers: Record<string, string> = {}) =>
    client.post<TransferAnswer>('/api/user/wallet/transfer', body, { token, headers });

  const transferOf = (token: string, transferId: string) =>
    client.get<TransferView>(`/api/user/wallet/transfers/${transferId}`, { token });

  /** Waits until the transfer left `pending`, as its sender sees it. */
  const settled = (token: string, transferId: string) =>
    eventually(`transfer ${transferId} settled`, async () => {
      const found = await transferOf(token, transferId);
      return found.status === 200 && found.body.state !== 'pending' ? found.body : undefined;
    });

  const balances = (token: string) =>
    client.get<Balances>('/api/user/wallet/balance', { token }).then((r) => r.body);

  it('debits at once (202 pending), credits the recipient, then completes; both sides see it', async function () {
    const sent = await transfer(ada.token, { to: bob.mail.toUpperCase(), amount: '12.50' });
    expect(sent.status, sent.text).to.equal(202);
    expect(sent.body).to.include({ state: 'pending', currency: 'USD', amount: '12.5' });
    expect(sent.body.balances.USD).to.equal('87.5');
    expect(sent.headers.get('location')).to.equal(
      `/api/user/wallet/transfers/${sent.body.transferId}`,
    );

    const done = await settled(ada.token, sent.body.transferId);
    expect(done).to.include({ state: 'completed', direction: 'out', counterparty: bob.mail });
    const received = await transferOf(bob.token, sent.body.transferId);
    expect(received.status).to.equal(200);
    expect(received.body).to.include({
      state: 'completed',
      direction: 'in',
      counterparty: ada.mail,
      amount: '12.5',
    });
    const seenByEve = await transferOf(eve.token, sent.body.transferId);
    expect(seenByEve.status).to.equal(404);
    expect(seenByEve.contentType).to.equal('application/problem+json');

    expect(await balances(bob.token)).to.deep.equal({ USD: '12.5' });
    const bobHistory = await client.get<HistoryPage>('/api/user/wallet/history?type=transfer', {
      token: bob.token,
    });
    expect(bobHistory.body.entries).to.have.length(1);
    expect(bobHistory.body.entries[0]).to.include({
      type: 'transfer',
      direction: 'in',
      counterparty: ada.mail,
      transferId: sent.body.transferId,
      amount: '12.5',
      balance: '12.5',
    });
    const adaHistory = await client.get<HistoryPage>('/api/user/wallet/history?type=transfer', {
      token: ada.token,
    });
    expect(adaHistory.body.entries[0]).to.include({
      direction: 'out',
      counterparty: bob.mail,
      transferId: sent.body.transferId,
    });
  });

  it('answers a transfer to an unknown mail exactly like one to an account, then refunds it', async function () {
    const before = await balances(ada.token);
    const nobody = uniqueMail('nobody');
    const sent = await transfer(ada.token, { to: nobody, amount: '1.25' });
    expect(sent.status, sent.text).to.equal(202);
    expect(Object.keys(sent.body).sort()).to.deep.equal(
      [
        'status',
        'transferId',
        'state',
        'to',
        'currency',
        'amount',
        'balances',
        'position',
        'replayed',
      ].sort(),
    );
    const done = await settled(ada.token, sent.body.transferId);
    expect(done).to.include({ state: 'refunded', reason: 'recipient_not_found' });
    expect(await balances(ada.token)).to.deep.equal(before);
    const history = await client.get<HistoryPage>(
      '/api/user/wallet/history?type=transfer&limit=2',
      {
        token: ada.token,
      },
    );
    expect(history.body.entries.map((e) => e['direction'])).to.deep.equal(['refund', 'out']);
  });

  it('refuses at once what cannot be sent, naming the field', async function () {
    const refused = async (body: JsonRecord, status: number, field: string | null) => {
      const response = await transfer(ada.token, body);
      expect(response.status, response.text).to.equal(status);
      expect(response.contentType).to.equal('application/problem+json');
      const problem = response.body as unknown as Problem;
      if (field !== null) {
        expect(problem.errors?.map((e) => e.field) ?? [], response.text).to.include(field);
      }
      return problem;
    };
    const poor = await refused({ to: bob.mail, amount: '1000' }, 422, null);
    expect(poor).to.include({ code: 'insufficient_funds', currency: 'USD', required: '1000' });
    expect((await refused({ to: ada.mail, amount: '1' }, 422, 'to')).code).to.equal(
      'self_transfer',
    );
    await refused({ to: bob.mail, amount: '0' }, 400, 'amount');
    await refused({ to: bob.mail, amount: '-1' }, 400, 'amount');
    await refused({ to: bob.mail, amount: '1.001' }, 400, 'amount');
    await refused({ to: bob.mail, amount: '1', currency: 'XXX' }, 400, 'currency');
    await refused({ to: 'not a mail', amount: '1' }, 400, 'to');
    await refused({ amount: '1' }, 400, 'to');
  });

  it('replays a retried request with the same Idempotency-Key: one debit, one transfer', async function () {
    const key = `transfer-${Date.now()}`;
    const body = { to: bob.mail, amount: '2' };
    const first = await transfer(ada.token, body, { 'Idempotency-Key': key });
    const again = await transfer(ada.token, body, { 'Idempotency-Key': key });
    expect(first.status).to.equal(202);
    expect(again.status).to.equal(202);
    expect(again.body.transferId).to.equal(first.body.transferId);
    expect(again.body.replayed).to.equal(true);
    const other = await transfer(ada.token, { ...body, amount: '3' }, { 'Idempotency-Key': key });
    expect(other.status).to.equal(422);
    await settled(ada.token, first.body.transferId);
  });

  it('pushes the transfer to both wallet feeds', async function () {
    const feed = async (user: NewUser): Promise<TestClient> => {
      const socket = await connect(`ws://127.0.0.1:${cambio.port}/ws`, {
        protocols: ['cambio.v1', `bearer.${user.token}`],
      });
      socket.send({ op: 'subscribe', channel: 'wallet' });
      await socket.next((m) => m.type === 'subscribed', 'the subscription');
      return socket;
    };
    const [adaFeed, bobFeed] = await Promise.all([feed(ada), feed(bob)]);
    try {
      const sent = await transfer(ada.token, { to: bob.mail, amount: '0.75' });
      expect(sent.status).to.equal(202);
      const about = (direction: string) => (m: Received) => {
        const entry = m.entry as Record<string, unknown> | undefined;
        return entry?.transferId === sent.body.transferId && entry.direction === direction;
      };
      const out = await adaFeed.next(about('out'), "the sender's update", 15_000);
      expect(out.entry).to.include({ type: 'transfer', counterparty: bob.mail, amount: '0.75' });
      const incoming = await bobFeed.next(about('in'), "the recipient's update", 15_000);
      expect(incoming.entry).to.include({ type: 'transfer', counterparty: ada.mail });
      expect((incoming.balances as Record<string, string>).USD).to.be.a('string');
    } finally {
      await Promise.all([adaFeed.close(), bobFeed.close()]);
    }
  });

  it("lists the caller's transfers, sent and received, page by page", async function () {
    const walk = async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '?limit=1' : `?limit=1&cursor=${cursor}`;
        const page = await client.get<{ transfers: TransferView[]; nextCursor: string | null }>(
          `/api/user/wallet/transfers${query}`,
          { token: bob.token },
        );
        expect(page.status, page.text).to.equal(200);
        seen.push(...page.body.transfers.map((t) => `${t.direction}:${t.state}`));
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      return seen;
    };
    // The last transfer may still be on its way to the recipient.
    const seen = await eventually('three settled transfers', async () => {
      const found = await walk();
      return found.length === 3 && found.every((s) => s === 'in:completed') ? found : undefined;
    });
    expect(seen).to.deep.equal(['in:completed', 'in:completed', 'in:completed']);
  });
});
