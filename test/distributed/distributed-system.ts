/**
 * The distributed deployment as separate processes on this machine: two write-api, two
 * read-api, one projector and one notifier (`node bin/cambio.js start --role …`), each with
 * its own data directory, so no file is shared between processes. They meet only through
 * servers: the PostgreSQL event store (a fresh database on the machine's PostgreSQL), a
 * MongoDB-compatible read store (FerretDB), a private NATS with JetStream, and an SMTP server
 * in this process. They share CAMBIO_SECRET, so a token signed by one write-api verifies on
 * every replica and the projector derives the same verification codes the write-api issued.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type { Role } from '../../infra/config/settings.ts';
import { CambioProcess } from '../support/cambio-process.ts';
import { findOrStartMongo, type MongoForTests } from '../support/ferretdb.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../support/nats-server.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../notifier/smtp-test-server.ts';
import { createTestDatabase, findPostgres, type TestDatabase } from '../support/postgres.ts';

export interface Replica {
  /** e.g. `write-api #2` */
  name: string;
  role: Role;
  process: CambioProcess;
}

export interface DistributedSystem {
  writeApis: [Replica, Replica];
  readApis: [Replica, Replica];
  projector: Replica;
  notifier: Replica;
  smtp: TestSmtpServer;
  nats: PrivateNatsServer;
  mongo: MongoForTests;
  eventStore: TestDatabase;
  /** What each process keeps in its own data directory, e.g. `write-api #1: (nothing)`. */
  dataDirContents(): string[];
  /** One line per server and process, for the log of a run. */
  describe(): string[];
  stop(): Promise<void>;
}

export type StartResult =
  { started: true; system: DistributedSystem } | { started: false; reason: string };

/** Starts everything, or says why it cannot run here (no nats-server, PostgreSQL, FerretDB). */
export const startDistributedSystem = async (): Promise<StartResult> => {
  const natsMissing = natsServerUnavailableReason();
  if (natsMissing !== null) return { started: false, reason: natsMissing };
  const postgres = await findPostgres();
  if (!postgres.available) return { started: false, reason: postgres.reason };
  const found = await findOrStartMongo();
  if (!found.available) return { started: false, reason: found.reason };
  const mongo = found.server;

  const cleanups: (() => Promise<void>)[] = [() => mongo.stop()];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => {});
  };
  try {
    const nats = await startPrivateNatsServer();
    cleanups.push(() => nats.dispose());
    const smtp = await startTestSmtpServer();
    cleanups.push(() => smtp.close());
    const eventStore = await createTestDatabase();
    cleanups.push(() => eventStore.drop());

    const secret = randomBytes(32).toString('base64url');
    const database = `cambio_distributed_${process.pid}_${Date.now().toString(36)}`;
    const shared = [
      ...['--event-store', 'postgres', '--postgres-url', eventStore.url],
      ...['--bus', 'nats', '--nats-url', nats.url],
      ...['--read-store', 'mongodb', '--mongodb-url', mongo.url, '--mongodb-database', database],
    ];
    const start = async (role: Role, name: string, extra: string[] = []): Promise<Replica> => {
      const cambio = await CambioProcess.start({
        env: { CAMBIO_SECRET: secret, READ_WAIT_MS: '2000' },
        args: ['--role', role, ...shared, ...extra],
      });
      cleanups.push(() => cambio.cleanup());
      return { name, role, process: cambio };
    };

    // The projector first: it creates the event store schema and the read models' collections.
    const projector = await start('projector', 'projector');
    const [write1, write2, read1, read2, notifier] = await Promise.all([
      start('write-api', 'write-api #1'),
      start('write-api', 'write-api #2'),
      start('read-api', 'read-api #1'),
      start('read-api', 'read-api #2'),
      start('notifier', 'notifier', ['--mail', 'smtp', '--smtp-url', smtp.url]),
    ]);
    const replicas = [write1, write2, read1, read2, projector, notifier];
    const system: DistributedSystem = {
      writeApis: [write1, write2],
      readApis: [read1, read2],
      projector,
      notifier,
      smtp,
      nats,
      mongo,
      eventStore,
      dataDirContents: () =>
        replicas.map((r) => {
          const files = readdirSync(r.process.dataDir);
          return `${r.name.padEnd(13)} ${files.length === 0 ? '(nothing)' : files.join(', ')}`;
        }),
      describe: () => [
        `event store: ${postgres.description}, database ${eventStore.name}`,
        `read store:  ${mongo.description}, database ${database}`,
        `bus:         nats-server (JetStream) at ${nats.url}`,
        `mail:        SMTP server (smtp-server, in the test process) at ${smtp.url}`,
        ...replicas.map(
          (r) =>
            `${r.name.padEnd(13)} pid ${String(r.process.pid).padEnd(7)} ${r.process.baseUrl} data ${r.process.dataDir}`,
        ),
      ],
      stop: cleanup,
    };
    return { started: true, system };
  } catch (error) {
    await cleanup();
    throw error;
  }
};
