import { expect } from 'chai';
import WebSocket from 'ws';
import { CambioProcess, runCambio } from '../support/cambio-process.ts';
import {
  eventually,
  httpClient,
  login,
  registerAndLogin,
  type Balances,
  type HistoryPage,
  type HttpClient,
  type JsonRecord,
  type NewUser,
  type WalletAnswer,
} from '../support/http-client.ts';

interface AuditStream extends JsonRecord {
  events: { id: string; type: string; data: JsonRecord; metadata: JsonRecord }[];
}

/**
 * User A tries every door to user B's money. Each attempt must fail or act on A's own wallet;
 * an auditor (granted with the CLI) then confirms from B's event stream that nothing happened.
 */
describe('e2e: one user cannot read or move another user’s money', function () {
  this.timeout(60_000);
  let cambio: CambioProcess;
  let client: HttpClient;
  let a: NewUser;
  let b: NewUser;
  let auditorToken: string;
  let bBefore: { balance: Balances; history: HistoryPage; stream: AuditStream };
  let position = '0';

  const walletOf = async (user: { token: string }) => {
    const headers = { 'X-Min-Position': position };
    const balance = await client.get<Balances>('/api/user/wallet/balance', {
      token: user.token,
      headers,
    });
    const history = await client.get<HistoryPage>('/api/user/wallet/history?limit=100', {
      token: user.token,
      headers,
    });
    expect(balance.status, balance.text).to.equal(200);
    expect(history.status, history.text).to.equal(200);
    return { balance: balance.body, history: history.body };
  };

  const streamOf = async (userId: string) => {
    const response = await client.get<AuditStream>(`/api/audit/streams/wallet-${userId}`, {
      token: auditorToken,
    });
    expect(response.status, response.text).to.equal(200);
    return response.body;
  };

  const remember = (answer: { body: WalletAnswer }) => {
    if (BigInt(answer.body.position) > BigInt(position)) position = answer.body.position;
  };

  before(async function () {
    cambio = await CambioProcess.start();
    client = httpClient(() => cambio.baseUrl);
    [a, b] = await Promise.all([
      registerAndLogin(client, cambio.outboxDir, { name: 'Alice' }),
      registerAndLogin(client, cambio.outboxDir, { name: 'Bob' }),
    ]);
    const auditor = await registerAndLogin(client, cambio.outboxDir, { name: 'Audrey' });
    const granted = await runCambio(
      ['users', 'grant-role', auditor.mail, 'auditor', '--data-dir', cambio.dataDir],
      {},
    );
    expect(granted.code, granted.stderr).to.equal(0);
    auditorToken = (await login(client, auditor.mail, auditor.password)).token;

    for (const [user, amount] of [
      [a, '20'],
      [b, '50'],
    ] as const) {
      const deposit = await client.post<WalletAnswer>(
        '/api/user/wallet/deposit',
        { amount },
        { token: user.token, headers: { 'Idempotency-Key': `first-deposit` } },
      );
      expect(deposit.status, deposit.text).to.equal(200);
      remember(deposit);
    }
    bBefore = { ...(await walletOf(b)), stream: await streamOf(b.userId) };
    expect(bBefore.balance).to.deep.equal({ USD: '50' });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(40));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  it('naming B in the body of a command is refused (400), whatever the command', async function () {
    const attempts: [string, JsonRecord][] = [
      ['/api/user/wallet/withdraw', { amount: '1', userId: b.userId }],
      ['/api/user/wallet/deposit', { amount: '1', userId: b.userId }],
      ['/api/user/wallet/buy', { currency: 'BTC', amount: '0.0001', userId: b.userId }],
      ['/api/user/wallet/sell', { currency: 'BTC', amount: '0.0001', userId: b.userId }],
      ['/api/user/wallet/withdraw', { amount: '1', user: b.userId }],
      ['/api/user/wallet/withdraw', { amount: '1', owner: b.mail }],
      ['/api/user/wallet/withdraw', { amount: '1', wallet: `wallet-${b.userId}` }],
    ];
    for (const [path, body] of attempts) {
      const response = await client.post(path, body, { token: a.token });
      expect(response.status, `${path} ${JSON.stringify(body)}: ${response.text}`).to.equal(400);
      expect(response.contentType).to.equal('application/problem+json');
    }
  });

  it('naming B in the query string or a header acts on A’s own wallet only', async function () {
    const variants: { path: string; headers: Record<string, string> }[] = [
      { path: `/api/user/wallet/withdraw?userId=${b.userId}`, headers: {} },
      { path: `/api/user/wallet/withdraw?user=${b.userId}&userId=${b.userId}`, headers: {} },
      { path: '/api/user/wallet/withdraw', headers: { 'X-User-Id': b.userId } },
      { path: '/api/user/wallet/withdraw', headers: { 'X-Forwarded-User': b.userId } },
    ];
    for (const { path, headers } of variants) {
      const response = await client.post<WalletAnswer>(
        path,
        { amount: '1' },
        { token: a.token, headers },
      );
      // The query string and such headers are not inputs of a command: A's own withdrawal.
      expect(response.status, `${path}: ${response.text}`).to.equal(200);
      expect(response.body.event.data.userId).to.equal(a.userId);
      remember(response);
    }
    const reads = [
      `/api/user/wallet/balance?userId=${b.userId}`,
      `/api/user/wallet/history?userId=${b.userId}`,
      `/api/user/me?userId=${b.userId}`,
    ];
    for (const path of reads) {
      const response = await client.get(path, { token: a.token });
      expect(response.status, `${path}: ${response.text}`).to.equal(400);
    }
    const withHeader = await client.get<Balances>('/api/user/wallet/balance', {
      token: a.token,
      headers: { 'X-User-Id': b.userId, 'X-Min-Position': position },
    });
    expect(withHeader.body).to.deep.equal({ USD: '16' });
  });

  it('paths naming B do not exist (404)', async function () {
    const paths = [
      `/api/user/${b.userId}/wallet/balance`,
      `/api/users/${b.userId}/wallet/balance`,
      `/api/user/wallet/balance/${b.userId}`,
      `/api/user/wallet/${b.userId}/balance`,
      `/api/user/wallet/${b.userId}/history`,
      `/api/wallets/${b.userId}`,
      `/api/user/${b.userId}`,
    ];
    for (const path of paths) {
      const response = await client.get(path, { token: a.token });
      expect(response.status, `${path}: ${response.text}`).to.equal(404);
      expect(response.text).not.to.include('"50"');
    }
    const post = await client.post(
      `/api/user/${b.userId}/wallet/withdraw`,
      { amount: '1' },
      { token: a.token },
    );
    expect(post.status).to.equal(404);
  });

  it('history cursors and filters only ever show A’s own entries', async function () {
    const bIds = new Set(bBefore.history.entries.map((entry) => entry.id));
    // B's first page with one entry gives a cursor that points into B's history.
    const bPage = await client.get<HistoryPage>('/api/user/wallet/history?limit=1', {
      token: b.token,
    });
    const cursors = [bPage.body.nextCursor, Buffer.from(position).toString('base64url')];
    const queries = [
      '',
      '?currency=USD',
      '?type=deposit',
      '?limit=100',
      ...cursors.filter((c): c is string => c !== null).map((c) => `?cursor=${c}`),
    ];
    for (const query of queries) {
      const response = await client.get<HistoryPage>(`/api/user/wallet/history${query}`, {
        token: a.token,
      });
      expect([200, 400], query).to.include(response.status);
      if (response.status !== 200) continue;
      for (const entry of response.body.entries) {
        expect(bIds.has(entry.id), `${query} showed B's entry ${entry.id}`).to.equal(false);
      }
    }
  });

  it('audit and admin routes are closed to a plain user (403), and open to the auditor only', async function () {
    const closed = [
      `/api/audit/wallets/${b.userId}`,
      `/api/audit/streams/wallet-${b.userId}`,
      '/api/audit/events',
      '/api/admin/projections',
    ];
    for (const path of closed) {
      const response = await client.get(path, { token: a.token });
      expect(response.status, `${path}: ${response.text}`).to.equal(403);
      expect(response.contentType).to.equal('application/problem+json');
      // Beyond echoing the URL asked for (`instance`), the refusal says nothing about B.
      const { instance: _instance, ...rest } = response.body;
      expect(JSON.stringify(rest)).not.to.include(b.userId);
    }
    expect((await client.get(`/api/audit/wallets/${b.userId}`)).status).to.equal(401);
    expect(
      (await client.get(`/api/audit/wallets/${b.userId}`, { token: auditorToken })).status,
    ).to.equal(200);
  });

  it('the same Idempotency-Key B used does not replay B’s answer to A', async function () {
    // Both deposited with the key `first-deposit`: keys are scoped to the caller's wallet, so
    // B's body is a different body for A's key (422), and A's own body replays A's deposit.
    const response = await client.post<WalletAnswer>(
      '/api/user/wallet/deposit',
      { amount: '50' },
      { token: a.token, headers: { 'Idempotency-Key': 'first-deposit' } },
    );
    expect(response.status, response.text).to.equal(422);
    expect(response.body.code).to.equal('idempotency_key_reused');
    expect(response.text).not.to.include(b.userId);
    const again = await client.post<WalletAnswer>(
      '/api/user/wallet/deposit',
      { amount: '20' },
      { token: a.token, headers: { 'Idempotency-Key': 'first-deposit' } },
    );
    expect(again.status, again.text).to.equal(200);
    expect(again.body.replayed).to.equal(true);
    expect(again.body.event.data.userId).to.equal(a.userId);
  });

  it('a live wallet subscription follows the caller’s own wallet, whatever it asks for', async function () {
    const aNow = await walletOf(a);
    const socket = new WebSocket(`ws://127.0.0.1:${cambio.port}/ws`, [
      'cambio.v1',
      `bearer.${a.token}`,
    ]);
    const messages: JsonRecord[] = [];
    socket.on('message', (data: Buffer) =>
      messages.push(JSON.parse(data.toString()) as JsonRecord),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      socket.send(JSON.stringify({ op: 'subscribe', channel: 'wallet', userId: b.userId, id: 1 }));
      const subscribed = await eventually('the subscription', async () =>
        messages.find((m) => m.type === 'subscribed' || m.type === 'error'),
      );
      expect(subscribed.type, JSON.stringify(subscribed)).to.equal('subscribed');
      expect(subscribed.userId).to.equal(a.userId);
      // First comes A's wallet as the read models hold it: what GET balance answered.
      const state = await eventually('the current wallet', async () =>
        messages.find((m) => m.type === 'wallet'),
      );
      expect(state.balances, JSON.stringify(state)).to.deep.equal(aNow.balance);
      expect(state.entry).to.equal(undefined);

      // B's money moves, then A's: A hears about its own deposit and nothing about B's.
      const bMove = await client.post<WalletAnswer>(
        '/api/user/wallet/deposit',
        { amount: '5' },
        { token: b.token },
      );
      expect(bMove.status).to.equal(200);
      const aMove = await client.post<WalletAnswer>(
        '/api/user/wallet/deposit',
        { amount: '1' },
        { token: a.token },
      );
      remember(aMove);
      await eventually('A’s own wallet update', async () =>
        messages.find((m) => m.type === 'wallet' && m.position === aMove.body.position),
      );
      const wallets = messages.filter((m) => m.type === 'wallet');
      expect(
        wallets.every((m) => m.userId === a.userId),
        JSON.stringify(wallets),
      ).to.equal(true);

      // Undo B's deposit so the final comparison covers everything A did.
      const undo = await client.post<WalletAnswer>(
        '/api/user/wallet/withdraw',
        { amount: '5' },
        { token: b.token },
      );
      expect(undo.status).to.equal(200);
      remember(undo);
    } finally {
      socket.terminate();
    }
  });

  it('after all of A’s attempts, B’s balance is unchanged and B’s stream holds only B’s own events', async function () {
    const after = await walletOf(b);
    expect(after.balance).to.deep.equal(bBefore.balance);
    const stream = await streamOf(b.userId);
    const added = stream.events.slice(bBefore.stream.events.length);
    // Only the deposit and withdrawal B made in the websocket test.
    expect(added.map((e) => e.type)).to.deep.equal(['FundsDeposited', 'FundsWithdrawn']);
    expect(added.map((e) => e.data.amount)).to.deep.equal(['5', '5']);
    for (const event of stream.events) {
      expect(event.metadata.actor, `${event.type} ${event.id}`).to.equal(b.userId);
    }
    const afterIds = after.history.entries.map((e) => e.id);
    for (const entry of bBefore.history.entries) expect(afterIds).to.include(entry.id);
    expect(afterIds).to.have.length(bBefore.history.entries.length + 2);
  });
});
