import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/settings.ts';
import { chainedEventStore } from '../../commands/chained-event-store.ts';
import { personalDataEventStore } from '../../commands/personal-data-event-store.ts';
import type { PersonalDataKeys } from '../../ports/personal-data-keys.ts';
import { SqlitePersonalDataKeys } from '../personal-data-keys/sqlite-personal-data-keys.ts';
import { MongoPersonalDataKeys } from '../personal-data-keys/mongo-personal-data-keys.ts';
import { PostgresPersonalDataKeys } from '../personal-data-keys/postgres-personal-data-keys.ts';
import type { Bus } from '../../ports/bus.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { ReadStore } from '../../ports/read-store.ts';
import type { RateSource } from '../../ports/rate-source.ts';
import { PostgresEventStore } from '../event-store/postgres-event-store.ts';
import { SqliteEventStore } from '../event-store/sqlite-event-store.ts';
import { EventStoreDbEventStore } from '../event-store/eventstoredb-event-store.ts';
import { SqliteReadStore } from '../read-store/sqlite-read-store.ts';
import { MongoReadStore } from '../read-store/mongo-read-store.ts';
import { createInProcessBus } from '../bus/in-process-bus.ts';
import { connectNatsBus } from '../bus/nats-bus.ts';
import { createSimulatedMarket } from '../rates/simulated-market.ts';
import { createCoinbaseRateSource } from '../rates/coinbase-rate-source.ts';
import { RATE_CURRENCIES } from '../rates/currencies.ts';
import { MAIL_QUEUE } from '../../ports/mail-requests.ts';
import type { Mailer } from '../../ports/mailer.ts';
import { createFileOutboxMailer } from '../mail/file-outbox-mailer.ts';
import { createSmtpMailer } from '../mail/smtp-mailer.ts';
import type { Lease } from '../../ports/lease.ts';
import { createLocalLease } from '../lease/local-lease.ts';
import { connectNatsKvLease } from '../lease/nats-kv-lease.ts';

/** Where the embedded deployment keeps its files, all under the data directory. */
export const embeddedFiles = (dataDir: string) => ({
  eventStore: join(dataDir, 'events.sqlite'),
  readStore: join(dataDir, 'read.sqlite'),
  keys: join(dataDir, 'keys.sqlite'),
});

/**
 * The event log as every role and command uses it: the configured adapter behind the hash
 * chain (so every append on every store is chained), behind crypto-shredding (so personal
 * fields are stored encrypted, chained as stored, and read back decrypted or as erased).
 * `stored` is the same log without decryption, for exports and chain checks; closing `events`
 * closes everything.
 */
export const openEventLog = async (
  config: Config,
  logger: Logger,
): Promise<{
  events: ReturnType<typeof personalDataEventStore>;
  stored: EventStore;
  keys: PersonalDataKeys;
}> => {
  const stored = await openStoredEventStore(config, logger);
  const keys = openPersonalDataKeys(config, logger);
  return { events: personalDataEventStore(stored, keys), stored, keys };
};

export const openEventStore = async (config: Config, logger: Logger): Promise<EventStore> =>
  (await openEventLog(config, logger)).events;

/** The log as stored (personal data encrypted), chained on append; needs no key. */
export const openStoredEventStore = async (config: Config, logger: Logger): Promise<EventStore> =>
  chainedEventStore(await openEventStoreAdapter(config, logger));

export const openPersonalDataKeys = (config: Config, logger?: Logger): PersonalDataKeys => {
  switch (config.keyStore) {
    case 'mongodb':
      return new MongoPersonalDataKeys({
        url: config.mongodbUrl,
        database: config.mongodbDatabase,
      });
    case 'postgres':
      return new PostgresPersonalDataKeys({
        url: config.postgresUrl,
        ...(logger ? { logger: logger.child({ component: 'personal-data-keys' }) } : {}),
      });
    case 'sqlite':
      return new SqlitePersonalDataKeys({ file: embeddedFiles(config.dataDir).keys });
  }
};

/** The adapter each port gets, chosen by configuration. */
const openEventStoreAdapter = (config: Config, logger: Logger): Promise<EventStore> => {
  const storeLogger = logger.child({ component: 'event-store' });
  switch (config.eventStore) {
    case 'postgres':
      return PostgresEventStore.open({
        url: config.postgresUrl,
        poolSize: config.postgresPoolSize,
        logger: storeLogger,
      });
    case 'eventstoredb':
      return EventStoreDbEventStore.open({ url: config.eventstoreUrl, logger: storeLogger });
    case 'sqlite':
      return SqliteEventStore.open({
        file: embeddedFiles(config.dataDir).eventStore,
        synchronous: config.sqliteSynchronous,
        logger: storeLogger,
      });
  }
};

export const openReadStore = async (config: Config): Promise<ReadStore> =>
  config.readStore === 'mongodb'
    ? new MongoReadStore({ url: config.mongodbUrl, database: config.mongodbDatabase })
    : new SqliteReadStore({ file: embeddedFiles(config.dataDir).readStore });

export const openBus = (config: Config, logger: Logger): Promise<Bus> =>
  config.bus === 'nats'
    ? connectNatsBus({
        servers: config.natsUrl.split(',').map((url) => url.trim()),
        logger: logger.child({ component: 'bus' }),
        name: `cambio-${config.role}`,
        queues: [MAIL_QUEUE],
      })
    : Promise.resolve(
        createInProcessBus({ logger: logger.child({ component: 'bus' }), acceptWhenHandled: true }),
      );

/** On NATS, replicas of a role share the lease in NATS KV; embedded, the one process holds it. */
export const openLease = (config: Config, logger: Logger, name: string): Promise<Lease> =>
  config.bus === 'nats'
    ? connectNatsKvLease({
        servers: config.natsUrl.split(',').map((url) => url.trim()),
        logger,
        name,
        ttlMs: config.leaseTtlMs,
        connectionName: `cambio-${config.role}-lease`,
      })
    : Promise.resolve(createLocalLease());

export const openRateSource = (config: Config, logger: Logger): RateSource =>
  config.rates === 'coinbase'
    ? createCoinbaseRateSource({
        baseUrl: config.coinbaseUrl,
        intervalMs: config.ratesPollMs,
        timeoutMs: Math.min(10_000, config.ratesPollMs),
        maxMove: '0.2',
        currencies: RATE_CURRENCIES,
        logger: logger.child({ component: 'rates' }),
      })
    : createSimulatedMarket({
        seed: config.ratesSeed,
        tickMs: config.ratesTickMs,
        logger: logger.child({ component: 'rates' }),
      });

/** `smtp://user:pass@host:port` → nodemailer settings; `smtps:` means TLS from the first byte. */
export const openMailer = (config: Config, logger: Logger): Mailer => {
  if (config.mail === 'file') {
    return createFileOutboxMailer({
      directory: config.mailOutboxDir,
      from: config.mailFrom,
      logger,
    });
  }
  const url = new URL(config.smtpUrl);
  const secure = url.protocol === 'smtps:';
  return createSmtpMailer({
    host: url.hostname,
    port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
    secure,
    ...(url.username === ''
      ? {}
      : {
          auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) },
        }),
    from: config.mailFrom,
    logger,
  });
};
