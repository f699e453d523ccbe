import { expect } from 'chai';
import type { Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import type { Bus } from '../../../ports/bus.ts';
import {
  eventually,
  publishRates,
  ratesData,
  settle,
  startBus,
  startReplica,
  type Replica,
} from './harness.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MB = 1024 * 1024;
const TICKS = 4_000;
const BATCH = 100;
/** Currencies per tick, so each tick is a few KiB and an unbounded buffer would show. */
const EXTRA_CURRENCIES = 300;

const extra: Record<string, string> = {};
for (let i = 0; i < EXTRA_CURRENCIES; i++) {
  extra[`C${String(i).padStart(3, '0')}`] = `0.${String(123456789012345 + i * 7919)}`;
}
/** A new snapshot (new time, BTC and ETH move) padded with many more currencies. */
const bigTick = () => ratesData(extra);

const retainedBytes = () => {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
};

const openSocket = (url: string): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });

describe('websocket slow consumers', function () {
  this.timeout(60_000);
  let bus: Bus;
  let replica: Replica;

  beforeEach(async () => {
    bus = startBus();
    // A long heartbeat: this test is about buffering, not about cutting silent peers.
    replica = await startReplica(bus, { limits: { heartbeatMs: 600_000 } });
  });

  afterEach(async () => {
    await replica.close();
    await bus.close();
  });

  it('keeps a never-reading client capped while thousands of ticks go by, and memory flat', async () => {
    const highWaterMark = replica.live.limits.highWaterMarkBytes;
    const stalled = await openSocket(replica.url('/ws/exchange-rates'));
    // The client stops reading: the kernel buffers fill, then the server's send buffer.
    (stalled as unknown as { _socket: Socket })._socket.pause();
    let stalledLastText = '';
    stalled.on('message', (data) => (stalledLastText = String(data)));

    const healthy = await openSocket(replica.url('/ws/exchange-rates'));
    let healthyCount = 0;
    let healthyLastText = '';
    healthy.on('message', (data) => {
      healthyCount += 1;
      healthyLastText = String(data);
    });

    // Warm up (JIT, socket buffers, the kernel's share) before taking the baseline.
    for (let i = 0; i < 300; i++) publishRates(bus, bigTick());
    await settle(200);
    const baseline = retainedBytes();

    let tickBytes = 0;
    let maxBuffered = 0;
    let maxPending = 0;
    let last = bigTick();
    for (let sent = 0; sent < TICKS; sent += BATCH) {
      for (let i = 0; i < BATCH; i++) {
        last = bigTick();
        publishRates(bus, last);
      }
      tickBytes = JSON.stringify({ currency: 'USD', rates: last.rates, at: last.at }).length;
      // Let the bus deliver and the sockets write, as time passing between ticks would.
      await new Promise((resolve) => setImmediate(resolve));
      for (const stats of replica.live.clientStats()) {
        maxBuffered = Math.max(maxBuffered, stats.bufferedAmount);
        maxPending = Math.max(maxPending, stats.pendingMessages);
      }
    }
    await eventually(
      () => healthyLastText.includes(String(last.at)),
      'the healthy client to catch up',
      30_000,
    );
    const after = retainedBytes();

    const stalledStats = replica.live
      .clientStats()
      .reduce((worst, stats) => (stats.conflated > worst.conflated ? stats : worst));
    const growthMb = (after - baseline) / MB;
    const offeredMb = (TICKS * tickBytes) / MB;
    console.log(
      `      ${TICKS} ticks of ${tickBytes} B (${offeredMb.toFixed(1)} MB offered per client): ` +
        `stalled client buffered ≤ ${(maxBuffered / 1024).toFixed(0)} KiB, pending ≤ ${maxPending}, ` +
        `${stalledStats.conflated} conflated; healthy client got ${healthyCount}; ` +
        `heap+external ${(baseline / MB).toFixed(1)} → ${(after / MB).toFixed(1)} MB`,
    );

    // The stalled client was really congested, and its buffer stayed at the mark plus one tick.
    expect(stalledStats.conflated).to.be.greaterThan(TICKS / 2);
    expect(maxBuffered).to.be.at.most(highWaterMark + 2 * tickBytes);
    expect(maxPending).to.be.at.most(1);
    // Unbounded buffering would retain everything offered (tens of MB); a generous bound.
    expect(offeredMb).to.be.greaterThan(30);
    expect(growthMb).to.be.lessThan(16);

    // Once the client reads again, it ends on the newest snapshot, not a stale one.
    (stalled as unknown as { _socket: Socket })._socket.resume();
    await eventually(
      () => stalledLastText.includes(String(last.at)),
      'the stalled client to receive the newest tick',
      30_000,
    );
    stalled.close();
    healthy.close();
  });

  it('closes within its timeout even when a client never answers the close handshake', async () => {
    await replica.close();
    replica = await startReplica(bus, { limits: { heartbeatMs: 600_000, closeTimeoutMs: 200 } });
    const stalled = await openSocket(replica.url('/ws/exchange-rates'));
    (stalled as unknown as { _socket: Socket })._socket.pause();
    const polite = await openSocket(replica.url('/ws/exchange-rates'));
    const politeClosed = new Promise<number>((resolve) => polite.on('close', resolve));
    for (let i = 0; i < 200; i++) publishRates(bus, bigTick());
    await settle(100);

    await replica.live.close();
    expect(replica.live.clientCount()).to.equal(0);
    expect(await politeClosed).to.equal(1001);
    stalled.terminate();
  });
});
