import { expect } from 'chai';
import WebSocket from 'ws';
import type { Bus } from '../../../ports/bus.ts';
import {
  connect,
  eventually,
  publishWallet,
  settle,
  startBus,
  startReplica,
  isWalletUpdate,
  walletData,
  type Replica,
} from './harness.ts';

describe('websocket heartbeat', function () {
  let bus: Bus;
  let replica: Replica;

  beforeEach(async () => {
    bus = startBus();
    replica = await startReplica(bus, { limits: { heartbeatMs: 100 } });
  });

  afterEach(async () => {
    await replica.close();
    await bus.close();
  });

  it('cuts a peer that stops answering pings, and keeps one that answers', async () => {
    const dead = await connect(replica.url('/ws/exchange-rates'), { autoPong: false });
    const alive = await connect(replica.url('/ws/exchange-rates'));
    let pings = 0;
    alive.ws.on('ping', () => (pings += 1));

    const { code } = await dead.closed;
    // Terminated, not closed: the server does not wait on a handshake with a dead peer.
    expect(code).to.equal(1006);
    await eventually(() => pings >= 4, 'a few more heartbeats');
    expect(alive.ws.readyState).to.equal(WebSocket.OPEN);
    expect(replica.live.clientCount()).to.equal(1);
    await alive.close();
  });

  it('cuts a peer that keeps sending requests but never answers a ping', async () => {
    const dead = await connect(replica.url('/ws'), { autoPong: false });
    const chatter = setInterval(() => dead.send({ op: 'ping' }), 20);
    try {
      const { code } = await dead.closed;
      expect(code).to.equal(1006);
      expect(dead.messages.filter((m) => m.type === 'pong').length).to.be.greaterThan(0);
    } finally {
      clearInterval(chatter);
    }
    await eventually(() => replica.live.clientCount() === 0, 'the server to forget it');
  });

  it('stops wallet updates when the access token expires, until the client signs in again', async () => {
    await replica.close();
    let expiresAt = new Date(Date.now() + 300);
    replica = await startReplica(bus, {
      limits: { heartbeatMs: 50 },
      verify: async (token) => {
        if (token !== 'token-alice') throw new Error('unknown token');
        return { userId: 'alice', expiresAt };
      },
    });
    const client = await connect(replica.url('/ws'));
    client.send({ op: 'auth', token: 'token-alice', id: 'a' });
    client.send({ op: 'subscribe', channel: 'wallet', id: 'w' });
    await client.next((m) => m.id === 'w', 'subscribed');

    const expired = await client.next((m) => m.code === 'token_expired', 'the expiry');
    expect(expired.type).to.equal('error');
    expect(replica.live.clientStats()[0]).to.include({ userId: null, subscriptions: 0 });
    publishWallet(bus, walletData('alice', 1, '1.00'));
    await settle(100);
    expect(client.messages.filter(isWalletUpdate)).to.deep.equal([]);

    expiresAt = new Date(Date.now() + 60_000);
    client.send({ op: 'auth', token: 'token-alice', id: 'again' });
    client.send({ op: 'subscribe', channel: 'wallet', id: 'w2' });
    await client.next((m) => m.id === 'w2', 'subscribed again');
    publishWallet(bus, walletData('alice', 2, '2.00'));
    await client.next(isWalletUpdate, 'the update after signing in again');
    await client.close();
  });
});
