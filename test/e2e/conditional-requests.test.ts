import { expect } from 'chai';
import WebSocket from 'ws';
import { CambioProcess } from '../support/cambio-process.ts';
import {
  eventually,
  httpClient,
  registerAndLogin,
  type HttpClient,
  type JsonRecord,
  type NewUser,
  type Problem,
  type WalletAnswer,
} from '../support/http-client.ts';

/** ETag on the wallet, If-None-Match on reads (304), If-Match on every wallet command (412). */
describe('e2e: conditional requests on the wallet', function () {
  this.timeout(60_000);
  let cambio: CambioProcess;
  let client: HttpClient;
  let user: NewUser;
  let lastPosition = '0';

  before(async function () {
    cambio = await CambioProcess.start();
    client = httpClient(() => cambio.baseUrl);
    user = await registerAndLogin(client, cambio.outboxDir);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(40));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  const balance = (headers: Record<string, string> = {}) =>
    client.get('/api/user/wallet/balance', {
      token: user.token,
      headers: { 'X-Min-Position': lastPosition, ...headers },
    });

  const command = async (path: string, body: JsonRecord, headers: Record<string, string> = {}) => {
    const response = await client.post<WalletAnswer>(path, body, { token: user.token, headers });
    if (response.status === 200) lastPosition = response.body.position;
    return response;
  };

  const deposit = (amount: string, headers: Record<string, string> = {}) =>
    command('/api/user/wallet/deposit', { amount }, headers);

  it('a new wallet has the ETag "0"; If-None-Match with it answers 304 with no body', async function () {
    const first = await balance();
    expect(first.status, first.text).to.equal(200);
    expect(first.headers.get('etag')).to.equal('"0"');
    const again = await balance({ 'If-None-Match': '"0"' });
    expect(again.status).to.equal(304);
    expect(again.text).to.equal('');
    expect(again.headers.get('etag')).to.equal('"0"');
  });

  it('a command with a current If-Match applies and answers the new ETag', async function () {
    const response = await deposit('100', { 'If-Match': '"0"' });
    expect(response.status, response.text).to.equal(200);
    expect(response.headers.get('etag')).to.equal('"1"');
  });

  it('a command with a stale If-Match is refused with 412 problem+json and changes nothing', async function () {
    for (const [path, body] of [
      ['/api/user/wallet/deposit', { amount: '5' }],
      ['/api/user/wallet/withdraw', { amount: '5' }],
      ['/api/user/wallet/buy', { currency: 'BTC', amount: '0.0001' }],
      ['/api/user/wallet/sell', { currency: 'BTC', amount: '0.0001' }],
    ] as const) {
      const response = await command(path, body, { 'If-Match': '"0"' });
      const problem = response.body as unknown as Problem;
      expect(response.status, `${path} ${response.text}`).to.equal(412);
      expect(response.contentType).to.equal('application/problem+json');
      expect(problem.code).to.equal('precondition_failed');
    }
    const after = await balance();
    expect(after.headers.get('etag')).to.equal('"1"');
    expect(after.body).to.deep.equal({ USD: '100' });
  });

  it('reads follow the wallet: If-None-Match with the old ETag is 200, with the new one (weak too) 304', async function () {
    expect((await balance({ 'If-None-Match': '"0"' })).status).to.equal(200);
    expect((await balance({ 'If-None-Match': '"1"' })).status).to.equal(304);
    expect((await balance({ 'If-None-Match': 'W/"1"' })).status).to.equal(304);
    expect((await balance({ 'If-None-Match': '"7", "1"' })).status).to.equal(304);
    expect((await balance({ 'If-None-Match': '*' })).status).to.equal(304);
  });

  it('a retry with the same Idempotency-Key replays its answer although the wallet moved on', async function () {
    const headers = { 'If-Match': '"1"', 'Idempotency-Key': 'conditional-retry-1' };
    const first = await deposit('2', headers);
    expect(first.status, first.text).to.equal(200);
    const retry = await deposit('2', headers);
    expect(retry.status, retry.text).to.equal(200);
    expect(retry.body.replayed).to.equal(true);
    expect(retry.body.event.id).to.equal(first.body.event.id);
    expect((await balance()).body).to.deep.equal({ USD: '102' });
  });

  it('of concurrent commands naming the same version exactly one applies', async function () {
    const etag = (await balance()).headers.get('etag') ?? '';
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => deposit('1', { 'If-Match': etag })),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).to.deep.equal([200, 412, 412, 412, 412, 412, 412, 412]);
    expect((await balance()).body).to.deep.equal({ USD: '103' });
  });

  it('a weak or foreign If-Match is 412 without effect; a list of tags is 400', async function () {
    const etag = (await balance()).headers.get('etag') ?? '';
    expect((await deposit('1', { 'If-Match': `W/${etag}` })).status).to.equal(412);
    expect((await deposit('1', { 'If-Match': '"abc"' })).status).to.equal(412);
    const list = await deposit('1', { 'If-Match': `${etag}, "99"` });
    expect(list.status).to.equal(400);
    expect((list.body as unknown as Problem).errors?.[0]?.field).to.equal('If-Match');
    expect((await balance()).body).to.deep.equal({ USD: '103' });
  });

  it('the wallet on /ws carries the same ETag as GET balance, and each update the next one', async function () {
    const current = await balance();
    const socket = new WebSocket(`ws://127.0.0.1:${cambio.port}/ws`, [
      'cambio.v1',
      `bearer.${user.token}`,
    ]);
    const messages: JsonRecord[] = [];
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(String(data)) as JsonRecord));
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      socket.send(JSON.stringify({ op: 'subscribe', channel: 'wallet' }));
      const state = await eventually('the current wallet', async () =>
        messages.find((m) => m.type === 'wallet'),
      );
      expect(state.etag).to.equal(current.headers.get('etag'));

      const moved = await deposit('1', { 'If-Match': String(state.etag) });
      expect(moved.status, moved.text).to.equal(200);
      const update = await eventually('the update', async () =>
        messages.find((m) => m.type === 'wallet' && m.position === moved.body.position),
      );
      expect(update.etag).to.equal(moved.headers.get('etag'));
    } finally {
      socket.terminate();
    }
  });

  it('OpenAPI documents ETag, If-None-Match (304) and If-Match (412)', async function () {
    const document = (await client.get('/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, { parameters: { name: string }[]; responses: Record<string, unknown> }>
      >;
    };
    const read = document.paths['/api/user/wallet/balance']?.get;
    expect(read?.parameters.map((p) => p.name)).to.include('If-None-Match');
    expect(read?.responses).to.include.keys(['200', '304']);
    for (const name of ['deposit', 'withdraw', 'buy', 'sell']) {
      const operation = document.paths[`/api/user/wallet/${name}`]?.post;
      expect(operation?.parameters.map((p) => p.name)).to.include('If-Match');
      expect(operation?.responses).to.have.property('412');
    }
  });
});
