import { expect } from 'chai';
import WebSocket from 'ws';
import type { Bus } from '../../../ports/bus.ts';
import {
  connect,
  eventually,
  isWalletUpdate,
  publishRates,
  publishWallet,
  settle,
  startBus,
  startReplica,
  upgradeStatus,
  walletData,
  type Received,
  type Replica,
  type TestClient,
} from './harness.ts';

const isType = (type: string) => (message: Received) => message.type === type;

describe('websocket: live rates and wallets', function () {
  let bus: Bus;
  let replica: Replica;
  const clients: TestClient[] = [];

  const open = async (path: string, protocols?: string[]) => {
    const client = await connect(replica.url(path), protocols ? { protocols } : {});
    clients.push(client);
    return client;
  };

  /** A /ws client, past its welcome, optionally signed in. */
  const live = async (token?: string) => {
    const client = await open('/ws');
    await client.next(isType('welcome'), 'welcome');
    if (token !== undefined) {
      client.send({ op: 'auth', token, id: 'a' });
      await client.next((m) => m.id === 'a', 'auth reply');
    }
    return client;
  };

  beforeEach(async () => {
    bus = startBus();
    replica = await startReplica(bus);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await replica.close();
    await bus.close();
  });

  describe('/ws/exchange-rates (the seed endpoint)', () => {
    it('sends the latest rates on connect, then every new snapshot', async () => {
      const first = publishRates(bus);
      await eventually(() => replica.latestRates.latest() !== null, 'rates to arrive');
      const client = await open('/ws/exchange-rates');
      const initial = await client.next(() => true, 'the initial snapshot');
      expect(initial).to.deep.equal({ currency: 'USD', rates: first.rates, at: first.at });

      const second = publishRates(bus);
      const pushed = await client.next((m) => m.at === second.at, 'the new snapshot');
      expect(pushed).to.deep.equal({ currency: 'USD', rates: second.rates, at: second.at });
    });

    it('sends nothing until the first rates arrive', async () => {
      const client = await open('/ws/exchange-rates');
      await settle();
      expect(client.messages).to.deep.equal([]);
      const data = publishRates(bus);
      await client.next((m) => m.at === data.at, 'the first snapshot');
    });
  });

  describe('/ws rates channel', () => {
    it('pushes ticks to subscribers, filtered to the currencies asked for', async () => {
      const all = await live();
      const some = await live();
      all.send({ op: 'subscribe', channel: 'rates', id: 1 });
      some.send({ op: 'subscribe', channel: 'rates', currencies: ['ETH', 'BTC'], id: 2 });
      expect(await all.next(isType('subscribed'), 'ack')).to.deep.equal({
        type: 'subscribed',
        id: 1,
        channel: 'rates',
        currencies: null,
      });
      expect(await some.next(isType('subscribed'), 'ack')).to.deep.include({
        currencies: ['BTC', 'ETH'],
      });

      const data = publishRates(bus);
      const rates = data.rates as Record<string, string>;
      expect(await all.next(isType('rates'), 'all rates')).to.deep.equal({
        type: 'rates',
        currency: 'USD',
        rates,
        at: data.at,
      });
      expect(await some.next(isType('rates'), 'some rates')).to.deep.equal({
        type: 'rates',
        currency: 'USD',
        rates: { BTC: rates.BTC, ETH: rates.ETH },
        at: data.at,
      });
    });

    it('sends the latest snapshot on subscribe and stops after unsubscribe', async () => {
      const data = publishRates(bus);
      await eventually(() => replica.latestRates.latest() !== null, 'rates to arrive');
      const client = await live();
      client.send({ op: 'subscribe', channel: 'rates', currencies: ['BTC'] });
      const first = await client.next(isType('rates'), 'the current snapshot');
      expect(first.at).to.equal(data.at);

      client.send({ op: 'unsubscribe', channel: 'rates', id: 'u' });
      await client.next((m) => m.id === 'u', 'unsubscribe ack');
      const count = client.messages.length;
      publishRates(bus);
      await settle(100);
      expect(client.messages.length).to.equal(count);
    });

    it('refuses unknown currencies and malformed requests with error codes', async () => {
      const client = await live();
      client.send({ op: 'subscribe', channel: 'rates', currencies: ['NOPE'], id: 1 });
      client.send({ op: 'subscribe', channel: 'news', id: 2 });
      client.send({ op: 'dance', id: 3 });
      client.ws.send('not json');
      client.send({ op: 'unsubscribe', channel: 'wallet', id: 4 });
      await eventually(() => client.messages.length >= 6, 'five errors');
      const errors = client.messages.filter(isType('error'));
      expect(errors.map((e) => [e.id, e.code])).to.deep.equal([
        [1, 'unknown_currency'],
        [2, 'unknown_channel'],
        [3, 'unknown_op'],
        [undefined, 'bad_message'],
        [4, 'not_subscribed'],
      ]);
      expect(client.ws.readyState).to.equal(WebSocket.OPEN);
    });
  });

  describe('/ws wallet channel', () => {
    it('delivers a user their own updates and never another user’s', async () => {
      const alice = await live('token-alice');
      const bob = await live('token-bob');
      expect(alice.messages.find(isType('authenticated'))).to.include({ userId: 'alice' });
      alice.send({ op: 'subscribe', channel: 'wallet', id: 'w' });
      bob.send({ op: 'subscribe', channel: 'wallet', id: 'w' });
      await alice.next((m) => m.id === 'w', 'alice subscribed');
      await bob.next((m) => m.id === 'w', 'bob subscribed');

      publishWallet(bus, walletData('bob', 10, '5.00'));
      publishWallet(bus, walletData('alice', 11, '7.50'));
      publishWallet(bus, walletData('bob', 12, '6.00'));
      publishWallet(bus, walletData('carol', 13, '1.00'));

      const aliceUpdate = await alice.next(isWalletUpdate, 'alice update');
      expect(aliceUpdate).to.deep.include({ userId: 'alice', position: '11' });
      expect(aliceUpdate.balances).to.deep.equal({ USD: '7.50' });
      expect(aliceUpdate.entry).to.include({ id: 'event-11', type: 'deposit' });
      await bob.next((m) => m.type === 'wallet' && m.position === '12', 'bob second update');
      await settle(100);

      const walletsOf = (client: TestClient) =>
        client.messages.filter(isType('wallet')).map((m) => [m.userId, m.position]);
      // Each first gets its current (here empty) wallet, then its own updates only.
      expect(walletsOf(alice)).to.deep.equal([
        ['alice', '0'],
        ['alice', '11'],
      ]);
      expect(walletsOf(bob)).to.deep.equal([
        ['bob', '0'],
        ['bob', '10'],
        ['bob', '12'],
      ]);
    });

    it('drops a message that names another user than its subject, and stale positions', async () => {
      const alice = await live('token-alice');
      alice.send({ op: 'subscribe', channel: 'wallet', id: 'w' });
      await alice.next((m) => m.id === 'w', 'subscribed');
      // Published on alice's subject but about bob: must not reach alice.
      bus.publish('wallets.alice', walletData('bob', 20, '9.99'));
      publishWallet(bus, walletData('alice', 21, '1.00'));
      publishWallet(bus, walletData('alice', 19, '0.50'));
      publishWallet(bus, walletData('alice', 22, '2.00'));
      await alice.next((m) => m.position === '22', 'the newest update');
      expect(alice.messages.filter(isWalletUpdate).map((m) => m.position)).to.deep.equal([
        '21',
        '22',
      ]);
    });

    it('sends the current wallet right after subscribing, then only newer updates', async () => {
      await replica.close();
      const reads: string[] = [];
      replica = await startReplica(bus, {
        readWallet: async (userId) => {
          reads.push(userId);
          return { balances: { USD: '7.50', BTC: '0.001' }, position: '30' };
        },
      });
      const alice = await live('token-alice');
      alice.send({ op: 'subscribe', channel: 'wallet', id: 'w' });
      await alice.next((m) => m.id === 'w', 'subscribed');
      // A replica whose read models lag may still relay an older update: it is not sent.
      publishWallet(bus, walletData('alice', 25, '1.00'));
      publishWallet(bus, walletData('alice', 31, '8.50'));
      await alice.next((m) => m.position === '31', 'the newer update');

      const afterSubscribed = alice.messages.slice(alice.messages.findIndex((m) => m.id === 'w'));
      expect(afterSubscribed.map((m) => [m.type, m.position])).to.deep.equal([
        ['subscribed', undefined],
        ['wallet', '30'],
        ['wallet', '31'],
      ]);
      expect(afterSubscribed[1]).to.deep.equal({
        type: 'wallet',
        userId: 'alice',
        balances: { USD: '7.50', BTC: '0.001' },
        position: '30',
      });
      expect(reads).to.deep.equal(['alice']);
    });

    it('holds updates that arrive while the wallet is read, and sends the newest after it', async () => {
      await replica.close();
      let release = () => {};
      let reading = false;
      let stored = { balances: { USD: '5.00' }, position: '40' };
      replica = await startReplica(bus, {
        readWallet: async () => {
          reading = true;
          await new Promise<void>((resolve) => (release = resolve));
          return stored;
        },
      });
      const alice = await live('token-alice');
      alice.send({ op: 'subscribe', channel: 'wallet', id: 'w1' });
      await eventually(() => reading, 'the wallet read to start');
      publishWallet(bus, walletData('alice', 41, '6.00'));
      publishWallet(bus, walletData('alice', 42, '7.00'));
      await settle(50);
      expect(alice.messages.filter(isType('wallet'))).to.deep.equal([]);
      release();
      await alice.next((m) => m.position === '42', 'the held update');
      expect(alice.messages.filter(isType('wallet')).map((m) => m.position)).to.deep.equal([
        '40',
        '42',
      ]);

      // Subscribed again, with the read models already past the update that arrives meanwhile.
      alice.send({ op: 'unsubscribe', channel: 'wallet', id: 'u' });
      await alice.next((m) => m.id === 'u', 'unsubscribed');
      reading = false;
      stored = { balances: { USD: '9.00' }, position: '44' };
      alice.send({ op: 'subscribe', channel: 'wallet', id: 'w2' });
      await eventually(() => reading, 'the second wallet read');
      publishWallet(bus, walletData('alice', 43, '8.00'));
      await settle(50);
      release();
      await alice.next((m) => m.position === '44', 'the second state');
      await settle(50);
      expect(alice.messages.filter(isType('wallet')).map((m) => m.position)).to.deep.equal([
        '40',
        '42',
        '44',
      ]);
    });

    it('answers unavailable and follows nothing when the wallet cannot be read', async () => {
      await replica.close();
      replica = await startReplica(bus, {
        readWallet: async () => {
          throw new Error('read store down');
        },
      });
      const alice = await live('token-alice');
      alice.send({ op: 'subscribe', channel: 'wallet', id: 'w' });
      expect(await alice.next((m) => m.id === 'w', 'the answer')).to.deep.include({
        type: 'error',
        code: 'unavailable',
      });
      expect(replica.live.clientStats()[0]?.subscriptions).to.equal(0);
      publishWallet(bus, walletData('alice', 1, '1.00'));
      await settle(100);
      expect(alice.messages.filter(isType('wallet'))).to.deep.equal([]);
    });

    it('refuses a wallet subscription without authentication', async () => {
      const client = await live();
      client.send({ op: 'subscribe', channel: 'wallet', id: 1 });
      expect(await client.next(isType('error'), 'the refusal')).to.deep.include({
        id: 1,
        code: 'auth_required',
      });
      client.send({ op: 'auth', token: 'forged', id: 2 });
      expect(await client.next((m) => m.id === 2, 'auth refusal')).to.deep.include({
        type: 'error',
        code: 'unauthorized',
      });
      publishWallet(bus, walletData('alice', 1, '1.00'));
      await settle(100);
      expect(client.messages.filter(isType('wallet'))).to.deep.equal([]);
    });

    it('keeps a connection to one user: signing in as someone else is refused', async () => {
      const client = await live('token-alice');
      client.send({ op: 'auth', token: 'token-bob', id: 'b' });
      expect(await client.next((m) => m.id === 'b', 'the refusal')).to.deep.include({
        code: 'already_authenticated',
      });
    });

    it('takes the token as a subprotocol and answers with cambio.v1 only', async () => {
      const client = await open('/ws', ['cambio.v1', 'bearer.token-bob']);
      expect(client.ws.protocol).to.equal('cambio.v1');
      expect(await client.next(isType('welcome'), 'welcome')).to.deep.include({ userId: 'bob' });
      client.send({ op: 'subscribe', channel: 'wallet', id: 'w' });
      await client.next((m) => m.id === 'w', 'subscribed');
      publishWallet(bus, walletData('bob', 3, '3.00'));
      await client.next(isWalletUpdate, 'the update');
    });

    it('refuses the upgrade with 401 when the subprotocol token is not valid', async () => {
      expect(await upgradeStatus(replica.url('/ws'), ['cambio.v1', 'bearer.forged'])).to.equal(401);
      expect(replica.live.clientCount()).to.equal(0);
    });
  });

  describe('fan-out across replicas', () => {
    it('pushes ticks and wallet updates published by another process', async () => {
      // Two replicas on one bus; the tick is published by neither of them (as by a rate
      // feed in a third process), yet both push it.
      const other = await startReplica(bus);
      try {
        const here = await open('/ws/exchange-rates');
        const there = await connect(other.url('/ws/exchange-rates'));
        clients.push(there);
        const thereWallet = await connect(other.url('/ws'), {
          protocols: ['cambio.v1', 'bearer.token-alice'],
        });
        clients.push(thereWallet);
        thereWallet.send({ op: 'subscribe', channel: 'wallet', id: 'w' });
        await thereWallet.next((m) => m.id === 'w', 'subscribed');

        const data = publishRates(bus);
        await here.next((m) => m.at === data.at, 'tick on this replica');
        await there.next((m) => m.at === data.at, 'tick on the other replica');
        publishWallet(bus, walletData('alice', 5, '5.00'));
        await thereWallet.next(isWalletUpdate, 'wallet update on the other replica');
      } finally {
        await Promise.all(clients.splice(0).map((client) => client.close()));
        await other.close();
      }
    });
  });

  describe('limits', () => {
    it('refuses connections beyond the maximum with 503 at the upgrade', async () => {
      await replica.close();
      replica = await startReplica(bus, { limits: { maxConnections: 2 } });
      await open('/ws/exchange-rates');
      await open('/ws');
      expect(await upgradeStatus(replica.url('/ws'))).to.equal(503);
      expect(replica.live.clientCount()).to.equal(2);
    });

    it('answers 404 for an unknown websocket path', async () => {
      expect(await upgradeStatus(replica.url('/ws/nothing'))).to.equal(404);
    });

    it('caps subscriptions per connection', async () => {
      await replica.close();
      replica = await startReplica(bus, { limits: { maxSubscriptionsPerConnection: 3 } });
      const client = await live('token-alice');
      client.send({ op: 'subscribe', channel: 'rates', currencies: ['BTC', 'ETH'], id: 1 });
      client.send({ op: 'subscribe', channel: 'wallet', id: 2 });
      client.send({ op: 'subscribe', channel: 'rates', currencies: ['EUR'], id: 3 });
      await eventually(() => client.messages.some((m) => m.id === 3), 'three answers');
      const answer = (id: number) => client.messages.find((m) => m.id === id);
      expect(answer(1)).to.include({ type: 'subscribed' });
      expect(answer(2)).to.include({ type: 'subscribed' });
      expect(answer(3)).to.include({ type: 'error', code: 'too_many_subscriptions' });
      expect(replica.live.clientStats()[0]?.subscriptions).to.equal(3);
    });

    it('closes a connection that sends a message over the size limit with 1009', async () => {
      await replica.close();
      replica = await startReplica(bus, { limits: { maxPayloadBytes: 256 } });
      const client = await live();
      client.send({ op: 'ping', id: 'x'.repeat(300) });
      expect((await client.closed).code).to.equal(1009);
      await eventually(() => replica.live.clientCount() === 0, 'the server to forget it');
    });
  });

  it('counts clients by endpoint in the websocket gauge', async () => {
    await open('/ws/exchange-rates');
    await open('/ws/exchange-rates');
    const client = await live();
    const values = async () =>
      Object.fromEntries(
        (await replica.metrics.websocketClients.get()).values.map((v) => [
          v.labels.endpoint,
          v.value,
        ]),
      );
    expect(await values()).to.deep.equal({ '/ws/exchange-rates': 2, '/ws': 1 });
    await client.close();
    await eventually(() => replica.live.clientCount() === 2, 'the close to be seen');
    expect(await values()).to.deep.include({ '/ws': 0 });
  });

  it('closes every socket with 1001 on close()', async () => {
    const seed = await open('/ws/exchange-rates');
    const client = await live();
    await replica.live.close();
    expect((await seed.closed).code).to.equal(1001);
    expect((await client.closed).code).to.equal(1001);
    expect(replica.live.clientCount()).to.equal(0);
  });
});
