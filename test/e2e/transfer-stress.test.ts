/**
 * Many users, many concurrent commands of every kind through the real HTTP API, transfers in
 * both directions, to unknown mails and to oneself. Sampled during the run and at its end:
 * money is conserved exactly, no balance is ever negative, every transfer ends completed or
 * refunded, none twice. TRANSFER_STRESS_COMMANDS sets the number of commands (default 1000;
 * the full run is 10000).
 */
import { expect } from 'chai';
import { CambioProcess } from '../support/cambio-process.ts';
import { expectAllTransfersSettled, expectConserved } from '../support/conservation.ts';
import {
  httpClient,
  registerAndLogin,
  uniqueMail,
  type HttpClient,
  type HttpResponse,
  type JsonRecord,
  type NewUser,
} from '../support/http-client.ts';

const COMMANDS = Number(process.env.TRANSFER_STRESS_COMMANDS ?? 1000);
const USERS = 20;
const CONCURRENCY = 32;
const SAMPLES = 4;

/** A small deterministic PRNG (mulberry32), so a failing run can be repeated from its seed. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

describe('e2e: randomized transfers, deposits, withdrawals and trades', function () {
  this.timeout(Math.max(180_000, COMMANDS * 60));
  let cambio: CambioProcess;
  let client: HttpClient;
  let users: NewUser[];

  before(async function () {
    // `normal` survives process crashes (what this test is about) without an fsync per commit.
    cambio = await CambioProcess.start({ env: { SQLITE_SYNCHRONOUS: 'normal' } });
    client = httpClient(() => cambio.baseUrl);
    users = await Promise.all(
      Array.from({ length: USERS }, (_, i) =>
        registerAndLogin(client, cambio.outboxDir, { mail: uniqueMail(`stress${i}`) }),
      ),
    );
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(60));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  it(`keeps money conserved through ${COMMANDS} concurrent commands of ${USERS} users`, async function () {
    const seed = Number(process.env.TRANSFER_STRESS_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const cents = (min: number, max: number) => {
      const value = min + Math.floor(random() * (max - min));
      return `${Math.floor(value / 100)}.${String(value % 100).padStart(2, '0')}`;
    };
    const satoshis = (min: number, max: number) =>
      `0.${String(min + Math.floor(random() * (max - min))).padStart(8, '0')}`;

    type Sent = { kind: string; response: HttpResponse };
    const command = (): [string, () => Promise<Sent>] => {
      const user = pick(users);
      const post = (kind: string, path: string, body: JsonRecord) => async () => ({
        kind,
        response: await client.post(path, body, { token: user.token }),
      });
      const roll = random();
      if (roll < 0.15)
        return [
          'deposit',
          post('deposit', '/api/user/wallet/deposit', { amount: cents(100, 20000) }),
        ];
      if (roll < 0.25)
        return [
          'withdraw',
          post('withdraw', '/api/user/wallet/withdraw', { amount: cents(100, 10000) }),
        ];
      if (roll < 0.35)
        return [
          'buy',
          post('buy', '/api/user/wallet/buy', {
            currency: 'BTC',
            amount: satoshis(10_000, 200_000),
          }),
        ];
      if (roll < 0.42)
        return [
          'sell',
          post('sell', '/api/user/wallet/sell', {
            currency: 'BTC',
            amount: satoshis(10_000, 100_000),
          }),
        ];
      const path = '/api/user/wallet/transfer';
      if (roll < 0.47)
        return [
          'transfer-unknown',
          post('transfer-unknown', path, { to: uniqueMail('ghost'), amount: cents(1, 5000) }),
        ];
      if (roll < 0.5)
        return ['transfer-self', post('transfer-self', path, { to: user.mail, amount: '1' })];
      if (roll < 0.56)
        return [
          'transfer-btc',
          post('transfer-btc', path, {
            to: pick(users.filter((u) => u !== user)).mail,
            amount: satoshis(1, 50_000),
            currency: 'BTC',
          }),
        ];
      return [
        'transfer',
        post('transfer', path, {
          to: pick(users.filter((u) => u !== user)).mail,
          amount: cents(1, 8000),
        }),
      ];
    };

    const statuses = new Map<string, number>();
    const transferIds = new Set<string>();
    const unexpected: string[] = [];
    const record = ({ kind, response }: Sent) => {
      const key = `${kind} ${response.status}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      const ok = kind.startsWith('transfer') ? 202 : 200;
      const allowed =
        kind === 'transfer-self'
          ? [422]
          : kind === 'buy' || kind === 'sell'
            ? [ok, 422, 503]
            : [ok, 422];
      if (!allowed.includes(response.status)) unexpected.push(`${key}: ${response.text}`);
      if (response.status === 202) transferIds.add(String(response.body.transferId));
      if (response.status === 422 && kind !== 'transfer-self') {
        const code = String(response.body.code);
        if (!['insufficient_funds', 'amount_too_small'].includes(code))
          unexpected.push(`${key}: ${response.text}`);
      }
    };

    let issued = 0;
    let nextSample = Math.floor(COMMANDS / SAMPLES);
    const samples: Promise<unknown>[] = [];
    const worker = async () => {
      while (issued < COMMANDS) {
        issued += 1;
        if (issued >= nextSample) {
          nextSample += Math.floor(COMMANDS / SAMPLES);
          samples.push(expectConserved(cambio.dataDir));
        }
        const [, run] = command();
        record(await run());
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = Date.now() - started;
    await Promise.all(samples);

    expect(unexpected.slice(0, 5), `seed ${seed}`).to.deep.equal([]);
    const final = await expectAllTransfersSettled(cambio.dataDir);
    expect(final.transfers.completed + final.transfers.refunded).to.equal(transferIds.size);
    console.log(
      `      ${COMMANDS} commands in ${elapsed} ms (seed ${seed}); ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; transfers ${JSON.stringify(final.transfers)}`,
    );
    // Both sides answer for a sample of transfers, each ended.
    for (const transferId of [...transferIds].slice(0, 20)) {
      const states = await Promise.all(
        users.map((u) =>
          client.get(`/api/user/wallet/transfers/${transferId}`, { token: u.token }),
        ),
      );
      const visible = states.filter((s) => s.status === 200);
      expect(visible.length).to.be.within(1, 2);
      for (const s of visible) expect(s.body.state).to.be.oneOf(['completed', 'refunded']);
    }
  });
});
