import { expect } from 'chai';
import { connect, type NatsConnection } from 'nats';
import { mkdirSync, rmSync } from 'node:fs';
import { pino } from 'pino';
import {
  connectNatsBus,
  PARKED_HEADERS,
  type NatsBusOptions,
} from '../../../infra/bus/nats-bus.ts';
import type { Bus, QueueMessage } from '../../../ports/bus.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../../support/nats-server.ts';
import { busContract, eventually, uniqueQueue } from './bus.contract.ts';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

describe('NATS bus', function () {
  let server: PrivateNatsServer | undefined;

  before(async function () {
    const reason = natsServerUnavailableReason();
    if (reason) {
      console.warn(`SKIPPING NATS bus tests: ${reason}`);
      this.skip();
    }
    server = await startPrivateNatsServer();
  });

  after(async () => {
    await server?.dispose();
  });

  const options = (extra: Partial<NatsBusOptions> = {}): NatsBusOptions => {
    if (!server) throw new Error('no private nats-server');
    return {
      servers: server.url,
      logger,
      reconnectWaitMs: 100,
      requestTimeoutMs: 2_000,
      ...extra,
    };
  };

  busContract('NATS JetStream', () => connectNatsBus(options()));

  describe('NATS specifics', () => {
    let bus: Bus;
    let nc: NatsConnection;

    beforeEach(async () => {
      bus = await connectNatsBus(options());
      nc = await connect({ servers: options().servers });
    });

    afterEach(async () => {
      await bus.close();
      await nc.close();
    });

    it('puts topics on prefixed core subjects that other processes see', async () => {
      const seen: string[] = [];
      const sub = nc.subscribe('cambio.rates.>', {
        callback: (_error, msg) => seen.push(`${msg.subject} ${msg.string()}`),
      });
      await nc.flush();
      bus.publish('rates.BTC', { BTC: '0.5' });
      await eventually(() => seen.length === 1, 'the raw message');
      expect(seen).to.deep.equal(['cambio.rates.BTC {"BTC":"0.5"}']);
      sub.unsubscribe();

      const received: string[] = [];
      bus.subscribe('balances.>', (data, subject) => received.push(`${subject} ${String(data)}`));
      await new Promise((resolve) => setTimeout(resolve, 50));
      nc.publish('cambio.balances.u7', JSON.stringify('42.00'));
      await eventually(() => received.length === 1, 'the message from another process');
      expect(received).to.deep.equal(['balances.u7 42.00']);
    });

    it('copies a parked message to the <queue>.parked stream with why it was parked', async () => {
      const queue = uniqueQueue('park');
      const parked: QueueMessage[] = [];
      const consumer = await bus.consume(
        queue,
        async () => {
          throw new Error('mailbox\r\nunavailable');
        },
        { maxDeliveries: 2, backoffMs: () => 20, onParked: (m) => void parked.push(m) },
      );
      await bus.enqueue(queue, 'poison-1', { to: 'x@example.com' });
      await eventually(() => parked.length === 1, 'the parked message');
      await consumer.stop();

      const jsm = await nc.jetstreamManager();
      const stored = await jsm.streams.getMessage(`CAMBIO_${queue}_parked`, { seq: 1 });
      expect(stored.subject).to.equal(`cambio-queue.${queue}.parked`);
      expect(stored.json()).to.deep.equal({ to: 'x@example.com' });
      expect(stored.header.get(PARKED_HEADERS.id)).to.equal('poison-1');
      expect(stored.header.get(PARKED_HEADERS.deliveries)).to.equal('2');
      expect(stored.header.get(PARKED_HEADERS.error)).to.equal('Error: mailbox unavailable');

      // The work queue no longer holds it: it was terminated, not left for redelivery.
      const info = await jsm.streams.info(`CAMBIO_${queue}`);
      expect(info.state.messages).to.equal(0);
    });

    it('creates the queue streams idempotently, also from several processes', async () => {
      const queue = uniqueQueue('setup');
      const other = await connectNatsBus(options({ queues: [queue] }));
      const third = await connectNatsBus(options({ queues: [queue] }));
      await bus.enqueue(queue, 'a', 1);
      await other.enqueue(queue, 'a', 1);
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info(`CAMBIO_${queue}`);
      expect(info.config.retention).to.equal('workqueue');
      expect(info.config.duplicate_window).to.equal(120_000_000_000);
      expect(info.state.messages).to.equal(1);
      await other.close();
      await third.close();
    });
  });

  describe('when the NATS server goes away and comes back', function () {
    this.timeout(60_000);

    it('reports down, refuses enqueue within the timeout, then delivers every message', async () => {
      if (!server) throw new Error('no private nats-server');
      const bus = await connectNatsBus(options({ requestTimeoutMs: 1_000 }));
      const queue = uniqueQueue('outage');
      const handled = new Map<string, number>();
      let paused = false;
      const consumer = await bus.consume(
        queue,
        async (message) => {
          while (paused) await new Promise((resolve) => setTimeout(resolve, 20));
          handled.set(message.id, (handled.get(message.id) ?? 0) + 1);
        },
        { maxDeliveries: 5, backoffMs: () => 100 },
      );

      const enqueueWithRetry = (id: string) => enqueueUntilAccepted(bus, queue, id);

      for (let i = 0; i < 10; i++) await enqueueWithRetry(`before-${i}`);
      await eventually(() => handled.size === 10, 'messages before the outage');
      expect(bus.health().up).to.equal(true);

      // A backlog waits in the stream (one message in flight) while the server goes down.
      paused = true;
      for (let i = 0; i < 10; i++) await enqueueWithRetry(`backlog-${i}`);
      await server.stop();
      await eventually(() => !bus.health().up, 'health to report down');
      expect(bus.health().detail).to.match(/disconnected/);

      const started = Date.now();
      let refusal: unknown;
      try {
        await bus.enqueue(queue, 'during-outage', {});
      } catch (error) {
        refusal = error;
      }
      expect(refusal, 'enqueue while down rejects').to.be.instanceOf(Error);
      expect(Date.now() - started, 'rejected promptly, not hung').to.be.below(5_000);

      const duringOutage = Array.from({ length: 10 }, (_, i) => enqueueWithRetry(`during-${i}`));
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await server.start();
      await eventually(() => bus.health().up, 'health to report up again', 20_000);
      paused = false;
      await Promise.all(duringOutage);
      for (let i = 0; i < 10; i++) await enqueueWithRetry(`after-${i}`);

      await eventually(() => handled.size === 40, 'every message after recovery', 30_000);
      // At least once: an ack lost in the outage may cause one redelivery, never a loss.
      for (const [id, count] of handled) expect(count, id).to.be.at.least(1);
      await consumer.stop();
      await bus.close();
    });

    // Runs last: it wipes every stream on the private server.
    it('recreates its streams and consumer when the server returns with an empty store', async () => {
      if (!server) throw new Error('no private nats-server');
      const bus = await connectNatsBus(options({ requestTimeoutMs: 1_000 }));
      const queue = uniqueQueue('wiped');
      const handled = new Set<string>();
      const consumer = await bus.consume(queue, async (message) => void handled.add(message.id), {
        maxDeliveries: 5,
        backoffMs: () => 100,
      });
      await enqueueUntilAccepted(bus, queue, 'before');
      await eventually(() => handled.has('before'), 'the message before the wipe');

      await server.stop();
      rmSync(server.storeDir, { recursive: true, force: true });
      mkdirSync(server.storeDir);
      await server.start();
      await eventually(() => bus.health().up, 'health to report up again', 20_000);

      const ids = Array.from({ length: 5 }, (_, i) => `after-${i}`);
      for (const id of ids) await enqueueUntilAccepted(bus, queue, id);
      await eventually(() => ids.every((id) => handled.has(id)), 'messages after the wipe', 30_000);
      await consumer.stop();
      await bus.close();
    });
  });
});

/** A producer that retries, as the reaction subscribers do. */
async function enqueueUntilAccepted(bus: Bus, queue: string, id: string): Promise<void> {
  for (;;) {
    try {
      await bus.enqueue(queue, id, { id });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
