import { expect } from 'chai';
import { pino } from 'pino';
import { createInProcessBus } from '../../../infra/bus/in-process-bus.ts';
import { busContract, eventually } from './bus.contract.ts';
import type { QueueMessage } from '../../../ports/bus.ts';

const logger = pino({ level: 'silent' });

busContract('in-process', async () => createInProcessBus({ logger }));

describe('in-process bus', () => {
  it('remembers a bounded number of ids: an id forgotten long ago is accepted again', async () => {
    const bus = createInProcessBus({ logger, dedupCapacity: 2 });
    const received: string[] = [];
    await bus.consume('q', async (m: QueueMessage) => void received.push(m.id), {
      maxDeliveries: 1,
      backoffMs: () => 0,
    });
    for (const id of ['a', 'b', 'a', 'c', 'a']) await bus.enqueue('q', id, null);
    await eventually(() => received.length === 4, 'four deliveries');
    expect(received).to.deep.equal(['a', 'b', 'c', 'a']);
    await bus.close();
  });

  it('gives each delivery its own copy of the data', async () => {
    const bus = createInProcessBus({ logger });
    const seen: unknown[] = [];
    const data = { list: [1] };
    await bus.consume(
      'q',
      async (m: QueueMessage) => {
        seen.push(structuredClone(m.data));
        (m.data as { list: number[] }).list.push(99);
        if (m.deliveryCount === 1) throw new Error('again');
      },
      { maxDeliveries: 2, backoffMs: () => 0 },
    );
    await bus.enqueue('q', 'x', data);
    data.list.push(2);
    await eventually(() => seen.length === 2, 'two deliveries');
    expect(seen).to.deep.equal([{ list: [1] }, { list: [1] }]);
    await bus.close();
  });
});
