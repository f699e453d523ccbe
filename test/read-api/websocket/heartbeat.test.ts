import { expect } from 'chai';
import WebSocket from 'ws';
import type { Bus } from '../../../ports/bus.ts';
import { connect, eventually, startBus, startReplica, type Replica } from './harness.ts';

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
});
