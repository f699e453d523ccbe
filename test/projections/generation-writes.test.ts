import { expect } from 'chai';
import type { JsonObject, RecordedEvent } from '../../ports/event-store.ts';
import { generationWrites } from '../../projections/generations.ts';
import { projectEvent } from '../../projections/read-model.ts';
import { walletReadModels } from '../../projections/wallet-read-models.ts';

const event = (position: bigint, type: string, data: JsonObject): RecordedEvent => ({
  id: `event-${position}`,
  type,
  data,
  metadata: {
    correlationId: 'c',
    causationId: 'c',
    actor: 'u1',
    schemaVersion: 1,
    timestamp: '2026-03-01T10:00:00.000Z',
  },
  streamId: 'wallet-u1',
  revision: position - 1n,
  position,
});

const deposit = (position: bigint, amount: string, balance: string) =>
  event(position, 'FundsDeposited', { userId: 'u1', currency: 'USD', amount, balance });

describe('projections: a batch of writes', () => {
  it('writes each document once, as the last event of the batch left it', () => {
    const batch = [deposit(1n, '10', '10'), deposit(2n, '5', '15'), deposit(3n, '1', '16')];
    const every = batch.flatMap((e) => projectEvent(walletReadModels, e));
    const writes = generationWrites(walletReadModels, batch, 3);

    const keys = writes.map((w) => `${w.collection}/${w.id}`);
    expect(new Set(keys).size, 'one write per document').to.equal(keys.length);
    // Every document the events touch is written, each as the newest event made it.
    const expected = new Map(every.map((w) => [`${w.collection}_g3/${w.id}`, w]));
    expect(writes).to.have.length(expected.size);
    for (const write of writes) {
      const last = expected.get(`${write.collection}/${write.id}`);
      expect(last, write.collection).to.not.equal(undefined);
      expect(write.position).to.equal(last!.position);
      expect(write.doc).to.deep.equal(last!.doc);
    }
    expect(every.length, 'the balance was written three times').to.be.greaterThan(writes.length);
  });
});
