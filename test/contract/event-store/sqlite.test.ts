import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../../infra/event-store/sqlite-event-store.ts';
import { eventStoreContract } from './event-store.contract.ts';

eventStoreContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cambio-es-contract-'));
  const store = await SqliteEventStore.open({ file: join(dir, 'events.db'), pollIntervalMs: 20 });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
