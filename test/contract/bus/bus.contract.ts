import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Bus, QueueMessage } from '../../../ports/bus.ts';
import type { JsonValue } from '../../../ports/event-store.ts';

/**
 * The bus port's contract: every adapter must pass it. Each test gets a fresh bus and fresh
 * queue names, so adapters that share a server do not see each other's messages.
 */

const WAIT_MS = 10_000;
const FAST_BACKOFF = () => 50;

export async function eventually(
  check: () => boolean,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 20));

export const uniqueQueue = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;

export function busContract(name: string, makeBus: () => Promise<Bus>): void {
  describe(`bus contract: ${name}`, function () {
    let bus: Bus;

    beforeEach(async () => {
      bus = await makeBus();
    });

    afterEach(async () => {
      await bus.close();
    });

    describe('topics', () => {
      it('fans a message out to every matching subscriber, wildcards included', async () => {
        const exact: Array<[JsonValue, string]> = [];
        const wildcard: Array<[JsonValue, string]> = [];
        const other: string[] = [];
        bus.subscribe('rates.USD', (data, subject) => exact.push([data, subject]));
        bus.subscribe('rates.>', (data, subject) => wildcard.push([data, subject]));
        bus.subscribe('balances.>', (_data, subject) => other.push(subject));

        bus.publish('rates', { bare: true });
        bus.publish('rates.BTC', { BTC: '0.0000161' });
        bus.publish('rates.USD', { USD: '1.00' });

        await eventually(() => exact.length === 1 && wildcard.length === 2, 'both subscribers');
        expect(exact).to.deep.equal([[{ USD: '1.00' }, 'rates.USD']]);
        expect(wildcard).to.deep.equal([
          [{ BTC: '0.0000161' }, 'rates.BTC'],
          [{ USD: '1.00' }, 'rates.USD'],
        ]);
        await nextTurn();
        expect(other).to.deep.equal([]);
      });

      it('matches a single token with *', async () => {
        const seen: string[] = [];
        bus.subscribe('balances.*.USD', (_data, subject) => seen.push(subject));
        bus.publish('balances.u1.BTC', 1);
        bus.publish('balances.u1.x.USD', 2);
        bus.publish('balances.u1.USD', 3);
        await eventually(() => seen.length === 1, 'the matching message');
        await nextTurn();
        expect(seen).to.deep.equal(['balances.u1.USD']);
      });

      it('stops delivering to an unsubscribed handler', async () => {
        const gone: JsonValue[] = [];
        const kept: JsonValue[] = [];
        const unsubscribe = bus.subscribe('balances.u1', (data) => gone.push(data));
        bus.subscribe('balances.u1', (data) => kept.push(data));
        bus.publish('balances.u1', 'first');
        await eventually(() => gone.length === 1 && kept.length === 1, 'first message');

        unsubscribe();
        unsubscribe();
        bus.publish('balances.u1', 'second');
        await eventually(() => kept.length === 2, 'second message');
        await nextTurn();
        expect(gone).to.deep.equal(['first']);
        expect(kept).to.deep.equal(['first', 'second']);
      });

      it('keeps delivering when a subscriber throws', async () => {
        const seen: JsonValue[] = [];
        bus.subscribe('rates.ETH', () => {
          throw new Error('subscriber bug');
        });
        bus.subscribe('rates.ETH', (data) => seen.push(data));
        bus.publish('rates.ETH', 1);
        bus.publish('rates.ETH', 2);
        await eventually(() => seen.length === 2, 'both messages');
      });

      it('rejects malformed subjects', () => {
        expect(() => bus.publish('rates..USD', 1)).to.throw(/invalid subject/);
        expect(() => bus.publish('rates.>', 1)).to.throw(/invalid subject/);
        expect(() => bus.subscribe('rates.>.USD', () => {})).to.throw(/invalid subject/);
      });
    });

    describe('queues', () => {
      it('delivers enqueued messages to a consumer, including ones enqueued before it', async () => {
        const queue = uniqueQueue('mail');
        await bus.enqueue(queue, 'm1', { to: 'ana@example.com', n: 1 });
        const received: QueueMessage[] = [];
        const consumer = await bus.consume(
          queue,
          async (message) => {
            received.push(message);
          },
          { maxDeliveries: 3, backoffMs: FAST_BACKOFF },
        );
        await bus.enqueue(queue, 'm2', { to: 'bo@example.com', n: 2, nested: [null, true] });
        await eventually(() => received.length === 2, 'two messages');
        expect(received).to.deep.equal([
          { id: 'm1', data: { to: 'ana@example.com', n: 1 }, deliveryCount: 1 },
          {
            id: 'm2',
            data: { to: 'bo@example.com', n: 2, nested: [null, true] },
            deliveryCount: 1,
          },
        ]);
        await consumer.stop();
      });

      it('delivers the same id once, even when enqueued again after it was handled', async () => {
        const queue = uniqueQueue('dedup');
        await bus.enqueue(queue, 'same', { n: 1 });
        await bus.enqueue(queue, 'same', { n: 2 });
        await bus.enqueue(queue, 'other', { n: 3 });
        const received: QueueMessage[] = [];
        const consumer = await bus.consume(queue, async (message) => void received.push(message), {
          maxDeliveries: 3,
          backoffMs: FAST_BACKOFF,
        });
        await eventually(() => received.some((m) => m.id === 'other'), 'the later message');
        await bus.enqueue(queue, 'same', { n: 4 });
        await bus.enqueue(queue, 'last', { n: 5 });
        await eventually(() => received.some((m) => m.id === 'last'), 'the last message');
        await nextTurn();
        expect(received.map((m) => [m.id, m.data])).to.deep.equal([
          ['same', { n: 1 }],
          ['other', { n: 3 }],
          ['last', { n: 5 }],
        ]);
        await consumer.stop();
      });

      it('redelivers a message whose handler rejected, after the backoff', async () => {
        const queue = uniqueQueue('retry');
        const deliveries: number[] = [];
        const backoffAsked: number[] = [];
        const parked: QueueMessage[] = [];
        const consumer = await bus.consume(
          queue,
          async (message) => {
            deliveries.push(message.deliveryCount);
            if (message.deliveryCount < 3) throw new Error('SMTP down');
          },
          {
            maxDeliveries: 5,
            backoffMs: (count) => {
              backoffAsked.push(count);
              return 30;
            },
            onParked: (message) => void parked.push(message),
          },
        );
        await bus.enqueue(queue, 'flaky', { n: 1 });
        await eventually(() => deliveries.length === 3, 'three deliveries');
        await nextTurn();
        expect(deliveries).to.deep.equal([1, 2, 3]);
        expect(backoffAsked).to.deep.equal([1, 2]);
        expect(parked).to.deep.equal([]);
        await consumer.stop();
      });

      it('parks a message after maxDeliveries failed deliveries and calls onParked', async () => {
        const queue = uniqueQueue('poison');
        const deliveries: Array<[string, number]> = [];
        const parked: Array<[QueueMessage, unknown]> = [];
        const consumer = await bus.consume(
          queue,
          async (message) => {
            deliveries.push([message.id, message.deliveryCount]);
            if (message.id === 'poison') throw new Error('bad address');
          },
          {
            maxDeliveries: 3,
            backoffMs: FAST_BACKOFF,
            onParked: async (message, error) => void parked.push([message, error]),
          },
        );
        await bus.enqueue(queue, 'poison', { to: 'nobody' });
        await eventually(() => parked.length === 1, 'the parked message');
        const [message, error] = parked[0] ?? [];
        expect(message).to.deep.equal({ id: 'poison', data: { to: 'nobody' }, deliveryCount: 3 });
        expect(error).to.be.instanceOf(Error).with.property('message', 'bad address');

        // A later message still flows, and the parked one is not delivered again.
        await bus.enqueue(queue, 'fine', { to: 'someone' });
        await eventually(() => deliveries.some(([id]) => id === 'fine'), 'the next message');
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(deliveries).to.deep.equal([
          ['poison', 1],
          ['poison', 2],
          ['poison', 3],
          ['fine', 1],
        ]);
        expect(parked).to.have.length(1);
        await consumer.stop();
      });

      it('shares a queue between competing consumers, each message handled once', async () => {
        const queue = uniqueQueue('compete');
        const handledBy = new Map<string, string[]>();
        let busy = 0;
        let sawBothBusy = false;
        const worker = (workerName: string) => async (message: QueueMessage) => {
          busy += 1;
          // Hold the first messages until both workers are busy (or a while passed), so the
          // test proves they really run side by side.
          const deadline = Date.now() + 2_000;
          while (!sawBothBusy && busy < 2 && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
          if (busy >= 2) sawBothBusy = true;
          handledBy.set(message.id, [...(handledBy.get(message.id) ?? []), workerName]);
          busy -= 1;
        };
        const options = { maxDeliveries: 3, backoffMs: FAST_BACKOFF };
        const a = await bus.consume(queue, worker('a'), options);
        const b = await bus.consume(queue, worker('b'), options);
        const ids = Array.from({ length: 30 }, (_, i) => `job-${i}`);
        for (const id of ids) await bus.enqueue(queue, id, { id });
        await eventually(() => handledBy.size === ids.length, 'every job');
        await nextTurn();
        expect(sawBothBusy, 'both workers were busy at once').to.equal(true);
        for (const id of ids) expect(handledBy.get(id), id).to.have.length(1);
        const workers = new Set([...handledBy.values()].flat());
        expect([...workers].sort()).to.deep.equal(['a', 'b']);
        await a.stop();
        await b.stop();
      });

      it('gives nothing more to a stopped consumer; another one takes over', async () => {
        const queue = uniqueQueue('handover');
        const first: string[] = [];
        const second: string[] = [];
        const options = { maxDeliveries: 3, backoffMs: FAST_BACKOFF };
        const a = await bus.consume(queue, async (m) => void first.push(m.id), options);
        await bus.enqueue(queue, 'one', 1);
        await eventually(() => first.length === 1, 'the first message');
        await a.stop();
        await bus.enqueue(queue, 'two', 2);
        const b = await bus.consume(queue, async (m) => void second.push(m.id), options);
        await eventually(() => second.length === 1, 'the second message');
        expect(first).to.deep.equal(['one']);
        expect(second).to.deep.equal(['two']);
        await b.stop();
      });

      it('waits for the in-flight handler when a consumer stops', async () => {
        const queue = uniqueQueue('inflight');
        let started = false;
        let finished = false;
        const consumer = await bus.consume(
          queue,
          async () => {
            started = true;
            await new Promise((resolve) => setTimeout(resolve, 150));
            finished = true;
          },
          { maxDeliveries: 3, backoffMs: FAST_BACKOFF },
        );
        await bus.enqueue(queue, 'slow', {});
        await eventually(() => started, 'the handler to start');
        await consumer.stop();
        expect(finished).to.equal(true);
      });

      it('rejects invalid queue names and options', async () => {
        await expectRejection(bus.enqueue('has.dot', 'x', 1), /invalid queue name/);
        await expectRejection(
          bus.consume('ok', async () => {}, { maxDeliveries: 0, backoffMs: FAST_BACKOFF }),
          /maxDeliveries/,
        );
      });
    });

    describe('health and close', () => {
      it('is up while open; close flushes publishes, waits for handlers, then refuses work', async () => {
        expect(bus.health().up).to.equal(true);
        const seen: JsonValue[] = [];
        bus.subscribe('rates.USD', (data) => seen.push(data));
        const queue = uniqueQueue('closing');
        let finished = false;
        let started = false;
        await bus.consume(
          queue,
          async () => {
            started = true;
            await new Promise((resolve) => setTimeout(resolve, 150));
            finished = true;
          },
          { maxDeliveries: 3, backoffMs: FAST_BACKOFF },
        );
        await bus.enqueue(queue, 'in-flight', {});
        await eventually(() => started, 'the handler to start');

        bus.publish('rates.USD', 'last tick');
        await bus.close();
        expect(finished, 'in-flight handler finished').to.equal(true);
        expect(seen).to.deep.equal(['last tick']);
        expect(bus.health().up).to.equal(false);
        await expectRejection(bus.enqueue(queue, 'late', {}), /closed/);
        expect(() => bus.publish('rates.USD', 'ignored')).not.to.throw();
        await bus.close();
      });
    });
  });
}

async function expectRejection(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(String(error instanceof Error ? error.message : error)).to.match(pattern);
    return;
  }
  expect.fail(`expected a rejection matching ${pattern}`);
}
