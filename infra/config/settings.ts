/**
 * Every setting Cambio reads, declared once: its environment variable, its command-line flag,
 * its default and how it is validated. The CLI, the validation at start and the README's
 * configuration table all come from this list.
 */

export const ROLES = ['all', 'write-api', 'read-api', 'projector', 'notifier'] as const;
export type Role = (typeof ROLES)[number];

export interface Config {
  role: Role;
  host: string;
  port: number;
  dataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  eventStore: 'sqlite' | 'postgres' | 'eventstoredb';
  sqliteSynchronous: 'full' | 'normal';
  postgresUrl: string;
  postgresPoolSize: number;
  eventstoreUrl: string;
  readStore: 'sqlite' | 'mongodb';
  mongodbUrl: string;
  mongodbDatabase: string;
  keyStore: 'sqlite' | 'mongodb' | 'postgres';
  bus: 'in-process' | 'nats';
  natsUrl: string;
  mail: 'file' | 'smtp';
  mailOutboxDir: string;
  smtpUrl: string;
  mailFrom: string;
  rates: 'simulated' | 'coinbase';
  ratesSeed: number;
  ratesTickMs: number;
  coinbaseUrl: string;
  ratesPollMs: number;
  ratesMaxAgeMs: number;
  secret: string;
  jwtIssuer: string;
  jwtAudience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  corsOrigins: string[];
  bodyLimit: string;
  shutdownTimeoutMs: number;
  readWaitMs: number;
  authRateLimitPerMinute: number;
  trustProxy: string | number;
  passwordHashThreads: number;
  passwordHashQueue: number;
  signInMaxFailures: number;
  signInLockSeconds: number;
  verificationMaxGuesses: number;
  verificationLockSeconds: number;
  verificationResendSeconds: number;
  maxDeposit: Record<string, string>;
  maxBalance: Record<string, string>;
  metricsPort: number | null;
  metricsToken: string;
  paymentProvider: 'simulated';
  paymentCallbackSecret: string;
  paymentSimulatedDelayMs: number;
  ratesStartupWaitMs: number;
  commandRateLimitPerMinute: number;
  readRateLimitPerMinute: number;
  anonymousRateLimitPerMinute: number;
  requestDeadlineMs: number;
  websocketConnectionsPerAddress: number;
  compressionThresholdBytes: number;
  leaseTtlMs: number;
  profiling: 'off' | 'on';
}

export interface Setting {
  key: keyof Config;
  env: string;
  flag: string;
  /** Placeholder shown in `--help`, e.g. `<port>`. */
  arg: string;
  description: string;
  /** Raw default (before parsing); a function derives it from other settings. */
  default: string | ((raw: Record<string, string>) => string);
  /** What is allowed, for the error message. */
  allowed: string;
  parse: (raw: string) => unknown;
}

class Invalid extends Error {}

const oneOf =
  <T extends string>(...values: readonly T[]) =>
  (raw: string): T => {
    if (!(values as readonly string[]).includes(raw)) throw new Invalid();
    return raw as T;
  };

const integer =
  (min: number, max: number) =>
  (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new Invalid();
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new Invalid();
    return value;
  };

const nonEmpty = (raw: string): string => {
  if (raw.trim() === '') throw new Invalid();
  return raw;
};

const url =
  (...protocols: string[]) =>
  (raw: string): string => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new Invalid();
    }
    if (!protocols.includes(parsed.protocol)) throw new Invalid();
    return raw;
  };

/** scheme://[user:pass@]host[:port][,host[:port]...][/][?options], as the client parses it. */
const EVENTSTORE_URL =
  /^(esdb|kurrentdb)(\+discover)?:\/\/([^\s@/?#]+@)?[^\s@/?#,]+(,[^\s@/?#,]+)*\/?(\?[^\s#]*)?$/;

const POSITIVE_DECIMAL = /^(?:0|[1-9]\d{0,29})(?:\.\d{1,18})?$/;

/** `1000` → `{ '*': '1000' }`; `USD=1000,BTC=2,*=5` → per currency, `*` for the rest. */
const moneyLimits = (raw: string): Record<string, string> => {
  const limits: Record<string, string> = {};
  const entries = raw.includes('=') ? list(raw) : [`*=${raw.trim()}`];
  for (const entry of entries) {
    const [code = '', amount = ''] = entry.split('=').map((part) => part.trim());
    if (!/^(\*|[A-Z]{3,5})$/.test(code) || !POSITIVE_DECIMAL.test(amount)) throw new Invalid();
    if (/^0(\.0*)?$/.test(amount)) throw new Invalid();
    limits[code] = amount;
  }
  return limits;
};

const list = (raw: string): string[] =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

export const SETTINGS: readonly Setting[] = [
  {
    key: 'role',
    env: 'CAMBIO_ROLE',
    flag: '--role',
    arg: '<role>',
    description: 'Which part of Cambio this process runs; `all` runs every role in one process.',
    default: 'all',
    allowed: ROLES.join(' | '),
    parse: oneOf(...ROLES),
  },
  {
    key: 'host',
    env: 'HOST',
    flag: '--host',
    arg: '<address>',
    description: 'Address the HTTP server listens on.',
    default: '127.0.0.1',
    allowed: 'an IP address or host name',
    parse: nonEmpty,
  },
  {
    key: 'port',
    env: 'PORT',
    flag: '--port',
    arg: '<port>',
    description: 'TCP port of the HTTP server (0 picks a free one).',
    default: '3000',
    allowed: 'an integer from 0 to 65535',
    parse: integer(0, 65535),
  },
  {
    key: 'dataDir',
    env: 'CAMBIO_DATA_DIR',
    flag: '--data-dir',
    arg: '<dir>',
    description: 'Where the embedded deployment keeps its SQLite files, secrets and mail outbox.',
    default: './data',
    allowed: 'a directory path',
    parse: nonEmpty,
  },
  {
    key: 'logLevel',
    env: 'LOG_LEVEL',
    flag: '--log-level',
    arg: '<level>',
    description: 'Minimum level of the JSON logs.',
    default: 'info',
    allowed: 'fatal | error | warn | info | debug | trace | silent',
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  },
  {
    key: 'eventStore',
    env: 'CAMBIO_EVENT_STORE',
    flag: '--event-store',
    arg: '<kind>',
    description:
      'Event store adapter: the embedded SQLite file under the data directory, PostgreSQL (`POSTGRES_URL`), or an EventStoreDB (KurrentDB) server (`EVENTSTORE_URL`); the last two are shared by processes on any number of hosts.',
    default: 'sqlite',
    allowed: 'sqlite | postgres | eventstoredb',
    parse: oneOf('sqlite', 'postgres', 'eventstoredb'),
  },
  {
    key: 'sqliteSynchronous',
    env: 'SQLITE_SYNCHRONOUS',
    flag: '--sqlite-synchronous',
    arg: '<mode>',
    description:
      'SQLite fsync policy for the event store: `full` syncs the WAL on every commit (no acknowledged command is lost on power failure); `normal` only at checkpoints (survives process crashes, not power loss).',
    default: 'full',
    allowed: 'full | normal',
    parse: oneOf('full', 'normal'),
  },
  {
    key: 'postgresUrl',
    env: 'POSTGRES_URL',
    flag: '--postgres-url',
    arg: '<url>',
    description:
      'PostgreSQL (13 or newer) database of the event store, used when the event store is `postgres`; the schema is created on first start.',
    default: 'postgres://postgres@127.0.0.1:5432/cambio',
    allowed: 'a postgres:// or postgresql:// URL',
    parse: url('postgres:', 'postgresql:'),
  },
  {
    key: 'postgresPoolSize',
    env: 'POSTGRES_POOL_SIZE',
    flag: '--postgres-pool-size',
    arg: '<n>',
    description:
      'Most connections one process opens to the PostgreSQL event store (one more listens for new events).',
    default: '10',
    allowed: 'an integer from 1 to 1000',
    parse: integer(1, 1000),
  },
  {
    key: 'eventstoreUrl',
    env: 'EVENTSTORE_URL',
    flag: '--eventstore-url',
    arg: '<url>',
    description:
      'EventStoreDB or KurrentDB connection string, used when the event store is `eventstoredb`, e.g. esdb://eventstore:2113?tls=false (a cluster: esdb+discover://host:2113 or several comma-separated hosts).',
    default: 'esdb://127.0.0.1:2113?tls=false',
    allowed: 'an esdb://, esdb+discover://, kurrentdb:// or kurrentdb+discover:// URL',
    parse: (raw) => {
      if (!EVENTSTORE_URL.test(raw)) throw new Invalid();
      return raw;
    },
  },
  {
    key: 'readStore',
    env: 'CAMBIO_READ_STORE',
    flag: '--read-store',
    arg: '<kind>',
    description: 'Read store adapter for projections.',
    default: 'sqlite',
    allowed: 'sqlite | mongodb',
    parse: oneOf('sqlite', 'mongodb'),
  },
  {
    key: 'mongodbUrl',
    env: 'MONGODB_URL',
    flag: '--mongodb-url',
    arg: '<url>',
    description: 'MongoDB (or FerretDB) connection string, used when the read store is `mongodb`.',
    default: 'mongodb://127.0.0.1:27017',
    allowed: 'a mongodb:// or mongodb+srv:// URL',
    parse: url('mongodb:', 'mongodb+srv:'),
  },
  {
    key: 'mongodbDatabase',
    env: 'MONGODB_DATABASE',
    flag: '--mongodb-database',
    arg: '<name>',
    description: 'Database holding the read models.',
    default: 'cambio',
    allowed: 'a database name',
    parse: nonEmpty,
  },
  {
    key: 'keyStore',
    env: 'CAMBIO_KEY_STORE',
    flag: '--key-store',
    arg: '<kind>',
    description:
      'Where the per-person keys that encrypt personal data in events live (never in the event log): a SQLite file under the data directory (one process or host), or, shared by every process that writes or reads events, the `personal_data_keys` collection of the MongoDB database or the `personal_data_keys` table of the PostgreSQL database at POSTGRES_URL. Default: postgres when CAMBIO_EVENT_STORE is postgres, else sqlite.',
    default: (raw) => (raw.eventStore === 'postgres' ? 'postgres' : 'sqlite'),
    allowed: 'sqlite | mongodb | postgres',
    parse: oneOf('sqlite', 'mongodb', 'postgres'),
  },
  {
    key: 'bus',
    env: 'CAMBIO_BUS',
    flag: '--bus',
    arg: '<kind>',
    description: 'Message bus adapter: in-process (embedded) or NATS with JetStream.',
    default: 'in-process',
    allowed: 'in-process | nats',
    parse: oneOf('in-process', 'nats'),
  },
  {
    key: 'natsUrl',
    env: 'NATS_URL',
    flag: '--nats-url',
    arg: '<url>',
    description: 'NATS server(s), comma-separated, used when the bus is `nats`.',
    default: 'nats://127.0.0.1:4222',
    allowed: 'nats:// URLs, comma-separated',
    parse: (raw) => {
      const urls = list(raw);
      if (urls.length === 0) throw new Invalid();
      urls.forEach(url('nats:', 'tls:'));
      return raw;
    },
  },
  {
    key: 'mail',
    env: 'CAMBIO_MAIL',
    flag: '--mail',
    arg: '<kind>',
    description: 'How the notifier delivers mail: .eml files in the outbox directory, or SMTP.',
    default: 'file',
    allowed: 'file | smtp',
    parse: oneOf('file', 'smtp'),
  },
  {
    key: 'mailOutboxDir',
    env: 'MAIL_OUTBOX_DIR',
    flag: '--mail-outbox-dir',
    arg: '<dir>',
    description: 'Where the file mailer writes one .eml file per mail.',
    default: (raw) => `${raw.dataDir ?? './data'}/outbox`,
    allowed: 'a directory path',
    parse: nonEmpty,
  },
  {
    key: 'smtpUrl',
    env: 'SMTP_URL',
    flag: '--smtp-url',
    arg: '<url>',
    description: 'SMTP server, e.g. smtp://user:pass@mail:587 or smtps://mail:465.',
    default: 'smtp://127.0.0.1:1025',
    allowed: 'an smtp:// or smtps:// URL',
    parse: url('smtp:', 'smtps:'),
  },
  {
    key: 'mailFrom',
    env: 'MAIL_FROM',
    flag: '--mail-from',
    arg: '<address>',
    description: 'Sender of the mails Cambio sends.',
    default: 'Cambio <no-reply@cambio.local>',
    allowed: 'a mail address, optionally with a display name',
    parse: nonEmpty,
  },
  {
    key: 'rates',
    env: 'CAMBIO_RATES',
    flag: '--rates',
    arg: '<kind>',
    description:
      'Exchange-rate source: a simulated market (reproducible from its seed) or Coinbase.',
    default: 'simulated',
    allowed: 'simulated | coinbase',
    parse: oneOf('simulated', 'coinbase'),
  },
  {
    key: 'ratesSeed',
    env: 'RATES_SEED',
    flag: '--rates-seed',
    arg: '<n>',
    description: 'Seed of the simulated market.',
    default: '42',
    allowed: 'an integer from 0 to 4294967295',
    parse: integer(0, 4294967295),
  },
  {
    key: 'ratesTickMs',
    env: 'RATES_TICK_MS',
    flag: '--rates-tick-ms',
    arg: '<ms>',
    description: 'Interval between ticks of the simulated market.',
    default: '1000',
    allowed: 'an integer from 10 to 3600000',
    parse: integer(10, 3_600_000),
  },
  {
    key: 'coinbaseUrl',
    env: 'COINBASE_URL',
    flag: '--coinbase-url',
    arg: '<url>',
    description: 'Base URL of the Coinbase API.',
    default: 'https://api.coinbase.com',
    allowed: 'an http:// or https:// URL',
    parse: url('http:', 'https:'),
  },
  {
    key: 'ratesPollMs',
    env: 'RATES_POLL_MS',
    flag: '--rates-poll-ms',
    arg: '<ms>',
    description: 'Interval between Coinbase polls.',
    default: '10000',
    allowed: 'an integer from 100 to 3600000',
    parse: integer(100, 3_600_000),
  },
  {
    key: 'ratesMaxAgeMs',
    env: 'RATES_MAX_AGE_MS',
    flag: '--rates-max-age-ms',
    arg: '<ms>',
    description: 'Trades are refused (503) when the newest trusted rates are older than this.',
    default: '30000',
    allowed: 'an integer from 100 to 86400000',
    parse: integer(100, 86_400_000),
  },
  {
    key: 'secret',
    env: 'CAMBIO_SECRET',
    flag: '--secret',
    arg: '<secret>',
    description:
      'Server secret from which the access-token signing key (HS256) and the verification-code key are derived. Empty: generated once and kept in <data-dir>/secret.key; processes of one deployment must share it.',
    default: '',
    allowed: 'empty, or at least 32 characters',
    parse: (raw) => {
      if (raw !== '' && raw.length < 32) throw new Invalid();
      return raw;
    },
  },
  {
    key: 'jwtIssuer',
    env: 'JWT_ISSUER',
    flag: '--jwt-issuer',
    arg: '<iss>',
    description: 'Issuer (`iss`) put in and required of access tokens.',
    default: 'cambio',
    allowed: 'a non-empty string',
    parse: nonEmpty,
  },
  {
    key: 'jwtAudience',
    env: 'JWT_AUDIENCE',
    flag: '--jwt-audience',
    arg: '<aud>',
    description: 'Audience (`aud`) put in and required of access tokens.',
    default: 'cambio-api',
    allowed: 'a non-empty string',
    parse: nonEmpty,
  },
  {
    key: 'accessTokenTtlSeconds',
    env: 'ACCESS_TOKEN_TTL_SECONDS',
    flag: '--access-token-ttl-seconds',
    arg: '<s>',
    description: 'Lifetime of an access token.',
    default: '900',
    allowed: 'an integer from 1 to 86400',
    parse: integer(1, 86_400),
  },
  {
    key: 'refreshTokenTtlSeconds',
    env: 'REFRESH_TOKEN_TTL_SECONDS',
    flag: '--refresh-token-ttl-seconds',
    arg: '<s>',
    description: 'Lifetime of a refresh token (each one works once; rotation issues the next).',
    default: '2592000',
    allowed: 'an integer from 60 to 31536000',
    parse: integer(60, 31_536_000),
  },
  {
    key: 'corsOrigins',
    env: 'CORS_ORIGINS',
    flag: '--cors-origins',
    arg: '<origins>',
    description: 'Comma-separated origins allowed by CORS; empty allows none, `*` allows any.',
    default: '',
    allowed: 'a comma-separated list of origins, or *',
    parse: (raw) => {
      const origins = list(raw);
      for (const origin of origins) if (origin !== '*') url('http:', 'https:')(origin);
      return origins;
    },
  },
  {
    key: 'bodyLimit',
    env: 'BODY_LIMIT',
    flag: '--body-limit',
    arg: '<size>',
    description: 'Largest accepted request body; larger ones get 413.',
    default: '16kb',
    allowed: 'a size such as 16kb or 1mb',
    parse: (raw) => {
      if (!/^\d+(b|kb|mb)$/i.test(raw)) throw new Invalid();
      return raw;
    },
  },
  {
    key: 'shutdownTimeoutMs',
    env: 'SHUTDOWN_TIMEOUT_MS',
    flag: '--shutdown-timeout-ms',
    arg: '<ms>',
    description:
      'On SIGTERM/SIGINT, how long in-flight requests may take before connections are cut.',
    default: '10000',
    allowed: 'an integer from 0 to 600000',
    parse: integer(0, 600_000),
  },
  {
    key: 'readWaitMs',
    env: 'READ_WAIT_MS',
    flag: '--read-wait-ms',
    arg: '<ms>',
    description:
      'How long a read with X-Min-Position waits for the projections to catch up before answering 503.',
    default: '2000',
    allowed: 'an integer from 0 to 30000',
    parse: integer(0, 30_000),
  },
  {
    key: 'authRateLimitPerMinute',
    env: 'AUTH_RATE_LIMIT_PER_MINUTE',
    flag: '--auth-rate-limit-per-minute',
    arg: '<n>',
    description:
      'Requests per minute one client address may make to register, login and refresh before getting 429; 0 turns the limit off (behind a proxy, rely on its limits).',
    default: '100',
    allowed: 'an integer from 0 to 1000000',
    parse: integer(0, 1_000_000),
  },
  {
    key: 'trustProxy',
    env: 'TRUST_PROXY',
    flag: '--trust-proxy',
    arg: '<proxies>',
    description:
      'Which proxies in front of Cambio to believe about the client address (X-Forwarded-For), for logs and rate limits: express `trust proxy` names, addresses or subnets, comma-separated, or a hop count.',
    default: 'loopback',
    allowed:
      'loopback, linklocal, uniquelocal, IP addresses or CIDR subnets (comma-separated), or a number of hops',
    parse: (raw) => {
      if (/^\d{1,2}$/.test(raw)) return Number(raw);
      const entries = list(raw);
      const ok = entries.every(
        (entry) =>
          ['loopback', 'linklocal', 'uniquelocal'].includes(entry) ||
          /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(entry),
      );
      if (entries.length === 0 || !ok) throw new Invalid();
      return entries.join(',');
    },
  },
  {
    key: 'passwordHashThreads',
    env: 'PASSWORD_HASH_THREADS',
    flag: '--password-hash-threads',
    arg: '<n>',
    description:
      'Worker threads that hash and check passwords (bcrypt), off the event loop; 0 uses every core but one.',
    default: '0',
    allowed: 'an integer from 0 to 64',
    parse: integer(0, 64),
  },
  {
    key: 'passwordHashQueue',
    env: 'PASSWORD_HASH_QUEUE',
    flag: '--password-hash-queue',
    arg: '<n>',
    description:
      'Password checks that may wait for a hashing thread; when that many wait, sign-ins and registrations get 503 with Retry-After at once.',
    default: '64',
    allowed: 'an integer from 0 to 100000',
    parse: integer(0, 100_000),
  },
  {
    key: 'signInMaxFailures',
    env: 'SIGN_IN_MAX_FAILURES',
    flag: '--sign-in-max-failures',
    arg: '<n>',
    description:
      'Wrong passwords one account accepts within SIGN_IN_LOCK_SECONDS before its sign-in is locked for that long (the owner is mailed), whatever addresses they come from.',
    default: '10',
    allowed: 'an integer from 1 to 1000',
    parse: integer(1, 1000),
  },
  {
    key: 'signInLockSeconds',
    env: 'SIGN_IN_LOCK_SECONDS',
    flag: '--sign-in-lock-seconds',
    arg: '<s>',
    description: 'The window in which wrong passwords are counted, and how long a lock lasts.',
    default: '900',
    allowed: 'an integer from 1 to 604800',
    parse: integer(1, 604_800),
  },
  {
    key: 'verificationMaxGuesses',
    env: 'VERIFICATION_MAX_GUESSES',
    flag: '--verification-max-guesses',
    arg: '<n>',
    description:
      'Wrong verification codes one address accepts within 24 hours, across resends, before it is locked for VERIFICATION_LOCK_SECONDS.',
    default: '10',
    allowed: 'an integer from 1 to 1000',
    parse: integer(1, 1000),
  },
  {
    key: 'verificationLockSeconds',
    env: 'VERIFICATION_LOCK_SECONDS',
    flag: '--verification-lock-seconds',
    arg: '<s>',
    description: 'How long an address that used up its daily verification guesses stays locked.',
    default: '21600',
    allowed: 'an integer from 1 to 604800',
    parse: integer(1, 604_800),
  },
  {
    key: 'verificationResendSeconds',
    env: 'VERIFICATION_RESEND_SECONDS',
    flag: '--verification-resend-seconds',
    arg: '<s>',
    description:
      'How soon after a verification code (or a registration attempt on a taken address) another may be asked for.',
    default: '60',
    allowed: 'an integer from 0 to 3600',
    parse: integer(0, 3600),
  },
  {
    key: 'maxDeposit',
    env: 'MAX_DEPOSIT',
    flag: '--max-deposit',
    arg: '<limits>',
    description:
      'Largest single deposit, in units of the deposited currency: one amount for every currency, or `CUR=amount` pairs, comma-separated (`*=amount` for the rest).',
    default: '1000000',
    allowed: 'a positive decimal, or comma-separated CUR=decimal pairs',
    parse: (raw) => moneyLimits(raw),
  },
  {
    key: 'maxBalance',
    env: 'MAX_BALANCE',
    flag: '--max-balance',
    arg: '<limits>',
    description:
      'Largest balance a wallet may hold in one currency, reached by a deposit or a buy: one amount for every currency, or `CUR=amount` pairs (`*=amount` for the rest).',
    default: '100000000',
    allowed: 'a positive decimal, or comma-separated CUR=decimal pairs',
    parse: (raw) => moneyLimits(raw),
  },
  {
    key: 'metricsPort',
    env: 'METRICS_PORT',
    flag: '--metrics-port',
    arg: '<port>',
    description:
      'Serve /metrics on its own listener on this port (same host) and not on the API port; empty serves it on the API port.',
    default: '',
    allowed: 'empty, or an integer from 0 to 65535',
    parse: (raw) => (raw === '' ? null : integer(0, 65535)(raw)),
  },
  {
    key: 'metricsToken',
    env: 'METRICS_TOKEN',
    flag: '--metrics-token',
    arg: '<token>',
    description:
      'When set, /metrics answers only requests with `Authorization: Bearer <token>` (Prometheus: `authorization.credentials`).',
    default: '',
    allowed: 'empty, or at least 16 characters',
    parse: (raw) => {
      if (raw !== '' && raw.length < 16) throw new Invalid();
      return raw;
    },
  },
  {
    key: 'paymentProvider',
    env: 'PAYMENT_PROVIDER',
    flag: '--payment-provider',
    arg: '<kind>',
    description:
      'Payment provider for deposit intents: a simulated one that pays every checkout and calls back on its own (see README for plugging in a real one).',
    default: 'simulated',
    allowed: 'simulated',
    parse: oneOf('simulated'),
  },
  {
    key: 'paymentCallbackSecret',
    env: 'PAYMENT_CALLBACK_SECRET',
    flag: '--payment-callback-secret',
    arg: '<secret>',
    description:
      "Shared secret of the payment provider's callback signatures (HMAC-SHA256). Empty: derived from the server secret (enough for the simulated provider).",
    default: '',
    allowed: 'empty, or at least 32 characters',
    parse: (raw) => {
      if (raw !== '' && raw.length < 32) throw new Invalid();
      return raw;
    },
  },
  {
    key: 'paymentSimulatedDelayMs',
    env: 'PAYMENT_SIMULATED_DELAY_MS',
    flag: '--payment-simulated-delay-ms',
    arg: '<ms>',
    description: 'How long the simulated payer takes before the simulated provider calls back.',
    default: '1000',
    allowed: 'an integer from 0 to 3600000',
    parse: integer(0, 3_600_000),
  },
  {
    key: 'ratesStartupWaitMs',
    env: 'RATES_STARTUP_WAIT_MS',
    flag: '--rates-startup-wait-ms',
    arg: '<ms>',
    description:
      'A process that runs the rate source waits this long at start for the first trusted rates before it listens (/ready names the rates until they arrive).',
    default: '15000',
    allowed: 'an integer from 0 to 300000',
    parse: integer(0, 300_000),
  },
  {
    key: 'commandRateLimitPerMinute',
    env: 'COMMAND_RATE_LIMIT_PER_MINUTE',
    flag: '--command-rate-limit-per-minute',
    arg: '<n>',
    description:
      'Commands (POST, PUT, DELETE) per minute one signed-in user may send before getting 429; 0 turns the limit off. Shared by every replica over NATS when the bus is nats.',
    default: '600',
    allowed: 'an integer from 0 to 1000000',
    parse: integer(0, 1_000_000),
  },
  {
    key: 'readRateLimitPerMinute',
    env: 'READ_RATE_LIMIT_PER_MINUTE',
    flag: '--read-rate-limit-per-minute',
    arg: '<n>',
    description:
      'Reads (GET) per minute one signed-in user may make before getting 429; 0 turns the limit off. Shared by every replica over NATS when the bus is nats.',
    default: '1200',
    allowed: 'an integer from 0 to 1000000',
    parse: integer(0, 1_000_000),
  },
  {
    key: 'anonymousRateLimitPerMinute',
    env: 'ANONYMOUS_RATE_LIMIT_PER_MINUTE',
    flag: '--anonymous-rate-limit-per-minute',
    arg: '<n>',
    description:
      'Requests per minute one client address may make to routes that need no sign-in (register, login, refresh, exchange rates) before getting 429; 0 turns the limit off. Shared by every replica over NATS when the bus is nats.',
    default: '300',
    allowed: 'an integer from 0 to 1000000',
    parse: integer(0, 1_000_000),
  },
  {
    key: 'requestDeadlineMs',
    env: 'REQUEST_DEADLINE_MS',
    flag: '--request-deadline-ms',
    arg: '<ms>',
    description:
      'A request still unanswered after this long gets 503 problem+json; a command carries on and a retry with its Idempotency-Key gets its one outcome. 0 turns the deadline off.',
    default: '15000',
    allowed: 'an integer from 0 to 600000',
    parse: integer(0, 600_000),
  },
  {
    key: 'websocketConnectionsPerAddress',
    env: 'WEBSOCKET_CONNECTIONS_PER_ADDRESS',
    flag: '--websocket-connections-per-address',
    arg: '<n>',
    description:
      'Open websocket connections one client address may hold on one server; one more is refused with 429 at the upgrade.',
    default: '20',
    allowed: 'an integer from 1 to 100000',
    parse: integer(1, 100_000),
  },
  {
    key: 'compressionThresholdBytes',
    env: 'COMPRESSION_THRESHOLD_BYTES',
    flag: '--compression-threshold-bytes',
    arg: '<bytes>',
    description:
      'Responses at least this large are compressed (br or gzip, as the client accepts); smaller ones are sent as they are.',
    default: '1024',
    allowed: 'an integer from 0 to 10485760',
    parse: integer(0, 10_485_760),
  },
  {
    key: 'leaseTtlMs',
    env: 'PROJECTOR_LEASE_TTL_MS',
    flag: '--projector-lease-ttl-ms',
    arg: '<ms>',
    description:
      'On the NATS bus, projector replicas share a lease in NATS KV so only one projects: a standby takes over this long after the holder stops renewing. Every replica must use the same value.',
    default: '10000',
    allowed: 'an integer from 1000 to 300000',
    parse: integer(1000, 300_000),
  },
  {
    key: 'profiling',
    env: 'PROFILING',
    flag: '--profiling',
    arg: '<off|on>',
    description:
      'Lets admins take a CPU profile (POST /api/admin/profile/cpu?seconds=N) or a heap snapshot (POST /api/admin/profile/heap) of this process.',
    default: 'off',
    allowed: 'off | on',
    parse: oneOf('off', 'on'),
  },
];

export { Invalid as InvalidSettingValue };
