/**
 * Child process for the kill-mid-rebuild test: rebuilds the wallet read models from an event
 * store file into a read store file, pausing after each batch and saying `batch <json>` once
 * the batch has committed, so the parent can SIGKILL it part way.
 *
 * Usage: rebuild-child.ts <events.sqlite> <read.sqlite> <batchSize> <pauseMs>
 */
import { SqliteEventStore } from '../../../infra/event-store/sqlite-event-store.ts';
import { SqliteReadStore } from '../../../infra/read-store/sqlite-read-store.ts';
import { rebuildProjection } from '../../../projections/rebuild.ts';
import { walletReadModels } from '../../../projections/wallet-read-models.ts';
import { report } from '../../support/child/child-process.ts';

const [eventsFile, readFile, batchSize, pauseMs] = process.argv.slice(2);
if (!eventsFile || !readFile || !batchSize || !pauseMs) {
  throw new Error('usage: rebuild-child.ts <events.sqlite> <read.sqlite> <batchSize> <pauseMs>');
}
const eventStore = new SqliteEventStore({ file: eventsFile });
const readStore = new SqliteReadStore({ file: readFile });
const result = await rebuildProjection({
  projection: walletReadModels,
  eventStore,
  readStore,
  batchSize: Number(batchSize),
  onBatch: async ({ generation, position, events }) => {
    report('batch', { generation, position: String(position), events });
    await new Promise((resolve) => setTimeout(resolve, Number(pauseMs)));
  },
});
report('done', { generation: result.generation, position: String(result.position) });
await readStore.close();
await eventStore.close();
