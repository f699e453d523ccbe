import type { Bus } from '../../ports/bus.ts';
import type { Metrics } from '../metrics/metrics.ts';

/** The first token of a subject (`rates`, `wallets`, `mail`): bounded label cardinality. */
const family = (subject: string): string => subject.split('.', 1)[0] ?? subject;

/** Counts bus traffic by direction and subject family, around any adapter. */
export const meteredBus = (bus: Bus, metrics: Pick<Metrics, 'busMessages'>): Bus => {
  const count = (direction: string, subject: string) =>
    metrics.busMessages.inc({ direction, subject: family(subject) });
  return {
    publish: (subject, data) => {
      bus.publish(subject, data);
      count('published', subject);
    },
    subscribe: (subject, handler) =>
      bus.subscribe(subject, (data, actual) => {
        count('received', actual);
        handler(data, actual);
      }),
    enqueue: async (queue, id, data) => {
      await bus.enqueue(queue, id, data);
      count('enqueued', queue);
    },
    consume: (queue, handler, options) =>
      bus.consume(
        queue,
        async (message) => {
          await handler(message);
          count('consumed', queue);
        },
        {
          ...options,
          onParked: async (message, error) => {
            count('parked', queue);
            await options.onParked?.(message, error);
          },
        },
      ),
    health: () => bus.health(),
    close: () => bus.close(),
  };
};
