/**
 * `cambio start` (role `all`: every role in one process) on EventStoreDB: the newcomer's flow,
 * the 200-withdrawal guarantee, and an outage of the event store server, end to end over HTTP.
 * The server here is the in-process stand-in; the adapter's contract suite is what checks the
 * real server wherever EVENTSTORE_URL is set.
 */
import { expect } from 'chai';
import { CambioProcess, runCambio } from '../support/cambio-process.ts';
import {
  eventually,
  httpClient,
  login,
  registerAndLogin,
  sleep,
  toMinor,
  type Balances,
  type HttpClient,
  type HttpResponse,
  type JsonRecord,
  type NewUser,
  type Problem,
  type WalletAnswer,
} from '../support/http-client.ts';
import {
  EventStoreDbStandIn,
  STAND_IN_LABEL,
} from '../support/eventstoredb-standin/standin-server.ts';

const problemCode = (response: HttpResponse<unknown>): string => (response.body as Problem).code;

describe(`e2e: role all on EventStoreDB (${STAND_IN_LABEL})`, function () {
  this.timeout(120_000);
  let standIn: EventStoreDbStandIn;
  let cambio: CambioProcess;
  let client: HttpClient;
  let user: NewUser;
  let lastPosition = '0';

  const onEventStoreDb = () => ({
    CAMBIO_EVENT_STORE: 'eventstoredb',
    EVENTSTORE_URL: standIn.url,
  });

  before(async function () {
    standIn = await EventStoreDbStandIn.start();
    cambio = await CambioProcess.start({ env: onEventStoreDb() });
    client = httpClient(() => cambio.baseUrl);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(60));
  });

  after(async function () {
    await cambio?.cleanup();
    await standIn?.stop();
  });

  const command = async (path: string, amount: string) => {
    const response = await client.post<WalletAnswer>(path, { amount }, { token: user.token });
    if (response.status === 200 && BigInt(response.body.position) > BigInt(lastPosition)) {
      lastPosition = response.body.position;
    }
    return response;
  };

  const usd = async (): Promise<bigint> => {
    const response = await client.get<Balances>('/api/user/wallet/balance', {
      token: user.token,
      headers: { 'X-Min-Position': lastPosition },
    });
    expect(response.status, response.text).to.equal(200);
    return toMinor(response.body.USD ?? '0', 2);
  };

  it('registers with the mailed code, deposits, withdraws and reads the balance', async () => {
    user = await registerAndLogin(client, cambio.outboxDir);
    const deposited = await command('/api/user/wallet/deposit', '150');
    expect(deposited.status, deposited.text).to.equal(200);
    const withdrawn = await command('/api/user/wallet/withdraw', '50');
    expect(withdrawn.status, withdrawn.text).to.equal(200);
    // The commit position of the event: large, and what read-your-writes waits for.
    expect(BigInt(withdrawn.body.position) > BigInt(deposited.body.position)).to.equal(true);
    expect(await usd()).to.equal(10_000n);
    const events = Array.from({ length: standIn.log.size }, (_, index) => standIn.log.at(index)!);
    expect(events.some((event) => event.type === 'FundsWithdrawn')).to.equal(true);
  });

  it('accepts exactly 100 of 200 concurrent 1 USD withdrawals from 100 USD and ends at 0', async () => {
    expect(await usd()).to.equal(10_000n);
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async () => {
        for (;;) {
          const response = await command('/api/user/wallet/withdraw', '1');
          // 409 says the wallet kept changing; a client retries as Retry-After says.
          if (response.status !== 409) return response;
          await sleep(Number(response.headers.get('retry-after') ?? '1') * 1000);
        }
      }),
    );
    const statuses = outcomes.map(({ status }) => status);
    expect(
      statuses.filter((status) => status === 200),
      statuses.join(','),
    ).to.have.length(100);
    const refused = outcomes.filter(({ status }) => status === 422);
    expect(refused).to.have.length(100);
    for (const response of refused) {
      expect(problemCode(response)).to.equal('insufficient_funds');
    }
    expect(await usd()).to.equal(0n);
  });

  it('serves the audit replay and rebuilds the read models from EventStoreDB', async () => {
    const auditor = await registerAndLogin(client, cambio.outboxDir, { name: 'Audrey' });
    const granted = await runCambio(
      ['users', 'grant-role', auditor.mail, 'auditor', '--data-dir', cambio.dataDir],
      onEventStoreDb(),
    );
    expect(granted.code, granted.stderr).to.equal(0);
    const token = (await login(client, auditor.mail, auditor.password)).token;

    const wallet = await client.get<JsonRecord>(`/api/audit/wallets/${user.userId}`, { token });
    expect(wallet.status, wallet.text).to.equal(200);
    expect(wallet.body).to.deep.include({ events: 102, balances: { USD: '0' }, problems: [] });

    // The global log page by page: positions only grow, and every wallet event is there once.
    const seen: { position: string; streamId: string }[] = [];
    let after = '0';
    for (;;) {
      const page = await client.get<{ events: typeof seen; next: string }>(
        `/api/audit/events?after=${after}&limit=37`,
        { token },
      );
      expect(page.status, page.text).to.equal(200);
      if (page.body.events.length === 0) break;
      seen.push(...page.body.events);
      after = page.body.next;
    }
    const positions = seen.map(({ position }) => BigInt(position));
    positions.forEach((position, index) => {
      if (index > 0) expect(position > positions[index - 1]!).to.equal(true);
    });
    const walletEvents = seen.filter(({ streamId }) => streamId === `wallet-${user.userId}`);
    expect(walletEvents).to.have.length(102);
    expect(seen.every(({ streamId }) => !streamId.startsWith('$'))).to.equal(true);

    const rebuilt = await runCambio(
      ['projections', 'rebuild', '--data-dir', cambio.dataDir],
      onEventStoreDb(),
    );
    expect(rebuilt.code, rebuilt.stderr).to.equal(0);
    expect(await usd()).to.equal(0n);
  });

  it('answers 503 while the event store server is down, and recovers by itself', async () => {
    await standIn.stop();
    const ready = await client.get<Problem>('/ready');
    expect(ready.status).to.equal(503);
    expect(ready.contentType).to.equal('application/problem+json');
    expect(ready.body.detail).to.include('event store');

    const refused = await command('/api/user/wallet/deposit', '5');
    expect(refused.status, refused.text).to.equal(503);
    expect(refused.contentType).to.equal('application/problem+json');
    expect(problemCode(refused)).to.equal('event_store_unavailable');
    expect(refused.headers.get('retry-after')).to.equal('1');

    await sleep(500);
    await standIn.restart();
    await eventually('/ready to answer 200 again', async () =>
      (await client.get('/ready')).status === 200 ? true : undefined,
    );
    const deposited = await command('/api/user/wallet/deposit', '5');
    expect(deposited.status, deposited.text).to.equal(200);
    // The projector's subscription came back too: the read side sees the new deposit.
    expect(await usd()).to.equal(500n);
  });

  it('shuts down on SIGTERM with exit code 0, its server connection closed', async () => {
    const exit = await cambio.stop();
    expect(exit, cambio.tail(20)).to.deep.equal({ code: 0, signal: null });
  });
});
