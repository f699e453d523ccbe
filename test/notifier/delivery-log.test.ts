import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connect, type NatsConnection } from 'nats';
import { pino } from 'pino';
import type { DeliveryLog } from '../../ports/delivery-log.ts';
import { createMemoryDeliveryLog } from '../../infra/delivery-log/memory-delivery-log.ts';
import { connectNatsDeliveryLog } from '../../infra/delivery-log/nats-delivery-log.ts';
import { listParked } from '../../infra/delivery-log/nats-parked-mail.ts';
import { openSqliteDeliveryLog } from '../../infra/delivery-log/sqlite-delivery-log.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../support/nats-server.ts';
import { deliveryLogContract } from './delivery-log.contract.ts';

const logger = pino({ level: 'silent' });

deliveryLogContract('memory', async () => {
  const log = createMemoryDeliveryLog();
  return {
    open: async () => log,
    parked: async () =>
      log.parked().map((p) => ({
        id: p.message.id,
        deliveries: p.message.deliveryCount,
        error: p.error,
        to: (p.message.data as { to?: string }).to ?? null,
      })),
    durable: false,
  };
});

deliveryLogContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cambio-delivery-log-'));
  const file = join(dir, 'deliveries.sqlite');
  return {
    open: async () => openSqliteDeliveryLog({ file }),
    parked: async () => {
      const db = new Database(file, { readonly: true });
      try {
        const rows = db
          .prepare('SELECT message_id, data, deliveries, error FROM parked_mail')
          .all() as { message_id: string; data: string; deliveries: number; error: string }[];
        return rows.map((row) => ({
          id: row.message_id,
          deliveries: row.deliveries,
          error: row.error,
          to: (JSON.parse(row.data) as { to?: string }).to ?? null,
        }));
      } finally {
        db.close();
      }
    },
    durable: true,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('DeliveryLog on NATS', function () {
  this.timeout(30_000);
  let nats: PrivateNatsServer | undefined;
  let nc: NatsConnection | undefined;
  let bucketCount = 0;

  before(async function () {
    const reason = natsServerUnavailableReason();
    if (reason !== null) {
      console.log(`      skipping NATS delivery log tests: ${reason}`);
      this.skip();
    }
    nats = await startPrivateNatsServer();
    nc = await connect({ servers: nats.url });
  });

  after(async function () {
    await nc?.close();
    await nats?.dispose();
  });

  deliveryLogContract('NATS JetStream KV', async () => {
    const server = nats;
    const connection = nc;
    if (!server || !connection) throw new Error('no NATS server');
    // A bucket and a queue per test, so tests do not see each other's records.
    bucketCount += 1;
    const queue = `mail${bucketCount}`;
    const open = (): Promise<DeliveryLog> =>
      connectNatsDeliveryLog({
        servers: server.url,
        logger,
        bucket: `CAMBIO_test_sent_${bucketCount}`,
        queue,
      });
    // The parked stream belongs to the bus; here it is made the way the bus makes it.
    const jsm = await connection.jetstreamManager();
    await jsm.streams.add({
      name: `CAMBIO_${queue}_parked`,
      subjects: [`cambio-queue.${queue}.parked`],
    });
    return {
      open,
      parked: async () =>
        (await listParked(connection, queue)).map((p) => ({
          id: p.id,
          deliveries: p.deliveries,
          error: p.error,
          to: p.to,
        })),
      durable: true,
    };
  });
});
