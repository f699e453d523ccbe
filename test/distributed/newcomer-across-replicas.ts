/**
 * The newcomer flow through every replica of a distributed deployment in turn: each step
 * goes to a different process than the one before, so nothing can lean on process memory.
 * Shared by the mocha test and `npm run e2e:distributed`; `print` says which server did what.
 */
import { expect } from 'chai';
import WebSocket from 'ws';
import {
  eventually,
  httpClient,
  uniqueMail,
  type Balances,
  type HistoryPage,
  type HttpClient,
  type JsonRecord,
  type TokenPair,
  type WalletAnswer,
} from '../support/http-client.ts';
import type { DistributedSystem, Replica } from './distributed-system.ts';

type Print = (line: string) => void;

/** Decimal string → minor units at `scale` decimals, so sums are exact. */
const minor = (decimal: string, scale: number): bigint => {
  const [whole = '0', fraction = ''] = decimal.split('.');
  return BigInt(whole + fraction.padEnd(scale, '0'));
};

interface RatesBody {
  currency: string;
  rates: Record<string, string>;
  at: string;
}

/** The first `count` messages of the seed's rates websocket. */
const rateMessages = (url: string, count: number, timeoutMs = 10_000): Promise<RatesBody[]> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const messages: RatesBody[] = [];
    const timer = setTimeout(() => {
      socket.terminate();
      reject(
        new Error(`${messages.length} of ${count} rate messages from ${url} in ${timeoutMs} ms`),
      );
    }, timeoutMs);
    socket.on('message', (data) => {
      messages.push(JSON.parse(String(data)) as RatesBody);
      if (messages.length < count) return;
      clearTimeout(timer);
      socket.close();
      resolve(messages);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });

export interface FlowResult {
  mail: string;
  userId: string;
  balances: Balances;
  steps: number;
}

export const newcomerAcrossReplicas = async (
  system: DistributedSystem,
  print: Print,
): Promise<FlowResult> => {
  const clients = new Map<Replica, HttpClient>();
  const clientOf = (replica: Replica): HttpClient => {
    let client = clients.get(replica);
    if (!client) {
      client = httpClient(replica.process.baseUrl);
      clients.set(replica, client);
    }
    return client;
  };
  let steps = 0;
  const via = (replica: Replica, what: string): HttpClient => {
    steps += 1;
    print(`${String(steps).padStart(2)}. ${replica.name.padEnd(13)} ${what}`);
    return clientOf(replica);
  };
  const [write1, write2] = system.writeApis;
  const [read1, read2] = system.readApis;

  const mail = uniqueMail('distributed');
  const person = { name: 'Grace', lastName: 'Hopper', mail, password: 'a long enough password' };

  const asked = await via(write1, `POST /api/user/register (${mail})`).post(
    '/api/user/register',
    person,
  );
  expect(asked.status, asked.text).to.equal(200);

  const received = await eventually(
    `the code mail to ${mail} from the notifier`,
    async () => system.smtp.received.find((m) => m.to.includes(mail)),
    20_000,
    100,
  );
  steps += 1;
  print(
    `${String(steps).padStart(2)}. ${system.notifier.name.padEnd(13)} mailed code ${received.code ?? '?'} over SMTP`,
  );
  expect(received.code).to.match(/^\d{6}$/);

  const created = await via(write2, 'POST /api/user/register with the code').post<JsonRecord>(
    '/api/user/register',
    { ...person, verification: received.code },
  );
  expect(created.status, created.text).to.equal(201);
  const userId = String(created.body.userId);

  const login = await via(write1, 'POST /api/user/login').post<TokenPair>('/api/user/login', {
    mail,
    password: person.password,
  });
  expect(login.status, login.text).to.equal(200);
  const { token } = login.body;

  const me = await via(read2, 'GET /api/user/me (token from write-api #1)').get<JsonRecord>(
    '/api/user/me',
    { token, headers: { 'X-Min-Position': String(created.body.position) } },
  );
  expect(me.status, me.text).to.equal(200);
  expect(me.body).to.include({ userId, mail });

  const deposit = await via(write1, 'POST /api/user/wallet/deposit 250.00').post<WalletAnswer>(
    '/api/user/wallet/deposit',
    { amount: '250.00' },
    { token },
  );
  expect(deposit.status, deposit.text).to.equal(200);
  expect(deposit.body.balances).to.deep.equal({ USD: '250' });

  const buyer = via(
    write2,
    'POST /api/user/wallet/buy 0.001 BTC (rates from the projector via NATS)',
  );
  const buy = await eventually(
    'a buy with fresh rates',
    async () => {
      const answer = await buyer.post<WalletAnswer>(
        '/api/user/wallet/buy',
        { currency: 'BTC', amount: '0.001' },
        { token },
      );
      // 503 until this replica has seen a rate tick; the answer says so.
      return answer.status === 503 ? undefined : answer;
    },
    15_000,
    200,
  );
  expect(buy.status, buy.text).to.equal(200);
  expect(buy.body.balances.BTC).to.equal('0.001');
  const cost = minor(String(buy.body.event.data.cost), 2);
  expect(minor(buy.body.balances.USD ?? '0', 2)).to.equal(minor('250', 2) - cost);

  for (const reader of [read1, read2]) {
    const balance = await via(
      reader,
      'GET /api/user/wallet/balance (X-Min-Position)',
    ).get<Balances>('/api/user/wallet/balance', {
      token,
      headers: { 'X-Min-Position': buy.body.position },
    });
    expect(balance.status, balance.text).to.equal(200);
    expect(balance.body).to.deep.equal(buy.body.balances);

    const history = await via(
      reader,
      'GET /api/user/wallet/history (X-Min-Position)',
    ).get<HistoryPage>('/api/user/wallet/history', {
      token,
      headers: { 'X-Min-Position': buy.body.position },
    });
    expect(history.status, history.text).to.equal(200);
    expect(history.body.entries.map((entry) => [entry.type, entry.id])).to.deep.equal([
      ['buy', buy.body.event.id],
      ['deposit', deposit.body.event.id],
    ]);
  }

  // A read-api produces no rates: what it pushes came from the projector over NATS.
  const wsUrl = `${read2.process.baseUrl.replace(/^http/, 'ws')}/ws/exchange-rates`;
  via(read2, 'WS /ws/exchange-rates: two snapshots');
  const [first, second] = await rateMessages(wsUrl, 2);
  expect(first?.currency).to.equal('USD');
  expect(first?.rates.BTC).to.match(/^\d+(\.\d+)?$/);
  expect(second?.at).to.not.equal(first?.at);

  expect(
    system.smtp.received.filter((m) => m.to.includes(mail)),
    'exactly one code mail',
  ).to.have.length(1);
  return { mail, userId, balances: buy.body.balances, steps };
};
