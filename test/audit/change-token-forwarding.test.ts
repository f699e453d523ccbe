import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { chainedEventStore } from '../../commands/chained-event-store.ts';
import { personalDataEventStore } from '../../commands/personal-data-event-store.ts';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { SqlitePersonalDataKeys } from '../../infra/personal-data-keys/sqlite-personal-data-keys.ts';
import type { EventStore } from '../../ports/event-store.ts';

const noted = () => ({
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
});

describe('the audit layers over an adapter with stream change tokens', () => {
  let dir: string;
  let adapter: SqliteEventStore;
  let keys: SqlitePersonalDataKeys;
  let layered: EventStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cambio-layers-'));
    adapter = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
    keys = new SqlitePersonalDataKeys({ file: join(dir, 'keys.sqlite') });
    layered = personalDataEventStore(chainedEventStore(adapter), keys);
  });

  afterEach(async () => {
    await layered.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("keep the adapter's change token, so the command handler can still skip catch-up reads", async () => {
    expect(layered.streamChangeToken).to.be.a('function');
    const before = layered.streamChangeToken?.('wallet-1');
    const result = await layered.append('wallet-1', [noted()], { expectedRevision: 'no_stream' });
    const after = layered.streamChangeToken?.('wallet-1');
    expect(after).to.not.equal(before);
    expect(after).to.equal(adapter.streamChangeToken('wallet-1'));
    expect(result.changeToken).to.be.a('string').and.equal(after);
  });

  it('offer no change token over an adapter without one', () => {
    const plain: EventStore = {
      append: (s, e, o) => adapter.append(s, e, o),
      readStream: (s, o) => adapter.readStream(s, o),
      readAll: (o) => adapter.readAll(o),
      subscribeToAll: (o) => adapter.subscribeToAll(o),
      headPosition: () => adapter.headPosition(),
      ping: () => adapter.ping(),
      close: () => adapter.close(),
    };
    expect(personalDataEventStore(chainedEventStore(plain), keys).streamChangeToken).to.equal(
      undefined,
    );
  });
});
