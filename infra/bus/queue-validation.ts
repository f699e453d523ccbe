/**
 * Queue names become JetStream stream and subject names, which forbid dots, wildcards and
 * spaces; both adapters enforce the same rule so a name that works embedded works on NATS.
 */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function assertQueueName(queue: string): void {
  if (!QUEUE_NAME.test(queue)) {
    throw new Error(`invalid queue name "${queue}": 1-64 of A-Z a-z 0-9 _ -`);
  }
}

export function assertConsumeOptions(options: { maxDeliveries: number }): void {
  if (!Number.isInteger(options.maxDeliveries) || options.maxDeliveries < 1) {
    throw new Error(`maxDeliveries must be a positive integer, got ${options.maxDeliveries}`);
  }
}
