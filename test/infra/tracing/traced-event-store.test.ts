import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SqliteEventStore } from '../../../infra/event-store/sqlite-event-store.ts';
import { tracedEventStore } from '../../../infra/tracing/traced-event-store.ts';

describe('the traced event store', () => {
  let dir: string;
  let store: SqliteEventStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cambio-traced-es-'));
    store = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps the store's change token, so the command handler can still skip catch-up reads", async () => {
    const traced = tracedEventStore(store);
    expect(traced.streamChangeToken).to.be.a('function');
    const before = traced.streamChangeToken?.('wallet-1');
    await traced.append(
      'wallet-1',
      [
        {
          id: randomUUID(),
          type: 'Noted',
          data: {},
          metadata: {
            correlationId: randomUUID(),
            causationId: randomUUID(),
            actor: 'test',
            schemaVersion: 1,
            timestamp: new Date().toISOString(),
          },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    expect(traced.streamChangeToken?.('wallet-1')).to.not.equal(before);
    expect(traced.streamChangeToken?.('wallet-1')).to.equal(store.streamChangeToken('wallet-1'));
  });
});
