import { Argument, Command, InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import type { EventStore } from '../../ports/event-store.ts';
import type { ReadStore } from '../../ports/read-store.ts';
import {
  projectionStatus,
  projectionStatusJson,
  type ProjectionStatus,
} from '../../projections/projection-status.ts';
import type { Projection } from '../../projections/read-model.ts';
import { rebuildProjection, type RebuildResult } from '../../projections/rebuild.ts';
import { PROJECTIONS } from '../../projections/wallet-read-models.ts';
import type { Config } from '../config/settings.ts';
import { createLogger } from '../logging/logger.ts';
import { openEventStore, openReadStore } from '../process/adapters.ts';
import { requireEventStore } from './operator-error.ts';

/** What the projection commands work on: stores the caller opened (and will close). */
export interface ProjectionStores {
  eventStore: EventStore;
  readStore: ReadStore;
}

type Print = (line: string) => void;

const projectionsNamed = (name: string | undefined): readonly Projection[] => {
  if (name === undefined) return PROJECTIONS;
  const found = PROJECTIONS.find((projection) => projection.name === name);
  if (!found) {
    throw new InvalidArgumentError(
      `unknown projection ${JSON.stringify(name)}; known: ${PROJECTIONS.map((p) => p.name).join(', ')}`,
    );
  }
  return [found];
};

const PROGRESS_EVERY_MS = 2000;

/**
 * Rebuilds the named projections (all when `names` is empty) one after the other, printing
 * progress. Aborting `signal` pauses after the batch in hand; running again resumes.
 */
export const rebuildProjections = async (
  stores: ProjectionStores,
  options: {
    projections: readonly Projection[];
    batchSize?: number;
    signal?: AbortSignal;
    print: Print;
    logger?: Logger;
  },
): Promise<RebuildResult[]> => {
  const results: RebuildResult[] = [];
  for (const projection of options.projections) {
    const head = await stores.eventStore.headPosition();
    const started = Date.now();
    let lastPrinted = started;
    options.print(
      `${projection.name}: rebuilding up to position ${head} (and whatever is appended meanwhile)`,
    );
    const result = await rebuildProjection({
      projection,
      ...stores,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      onBatch: ({ generation, position, events }) => {
        const now = Date.now();
        if (now - lastPrinted < PROGRESS_EVERY_MS) return;
        lastPrinted = now;
        const rate = Math.round(events / ((now - started) / 1000));
        options.print(
          `  generation ${generation}: position ${position} of ${head}, ${rate} events/s`,
        );
      },
    });
    const seconds = (Date.now() - started) / 1000;
    options.print(
      result.switched
        ? `${projection.name}: generation ${result.generation} is active (replaced ${result.replaced}) at position ${result.position}; ${result.events} events in ${seconds.toFixed(1)} s${result.resumed ? ' (resumed)' : ''}`
        : `${projection.name}: paused at position ${result.position} of generation ${result.generation}; run the rebuild again to resume`,
    );
    results.push(result);
    if (!result.switched) break;
  }
  return results;
};

/** Reads where every projection stands. */
export const projectionStatuses = async (
  stores: ProjectionStores,
  projections: readonly Projection[] = PROJECTIONS,
): Promise<ProjectionStatus[]> =>
  Promise.all(
    projections.map((projection) =>
      projectionStatus(stores.eventStore, stores.readStore, projection),
    ),
  );

/** One line per projection: name, generation, position, head, lag, rebuild in progress. */
export const formatStatuses = (statuses: readonly ProjectionStatus[]): string[] => {
  const rows = [
    ['projection', 'generation', 'position', 'head', 'lag', 'rebuilding'],
    ...statuses.map((status) => [
      status.projection,
      status.generation === null ? '-' : String(status.generation),
      String(status.position),
      String(status.head),
      String(status.lag),
      status.rebuilding
        ? `generation ${status.rebuilding.generation} at ${status.rebuilding.position} (lag ${status.rebuilding.lag})`
        : '-',
    ]),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
};

const positiveInteger = (raw: string): number => {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError('must be a positive integer');
  }
  return value;
};

/** The settings the projection commands read; the rest of the configuration is not needed. */
const withStoreOptions = (command: Command): Command =>
  command
    .option(
      '--data-dir <dir>',
      'data directory of the embedded SQLite files (env: CAMBIO_DATA_DIR)',
    )
    .option('--read-store <kind>', 'read store: sqlite | mongodb (env: CAMBIO_READ_STORE)')
    .option('--mongodb-url <url>', 'MongoDB connection string (env: MONGODB_URL)')
    .option('--mongodb-database <name>', 'database of the read models (env: MONGODB_DATABASE)')
    .option(
      '--log-level <level>',
      'minimum level of the JSON logs: fatal | error | warn | info | debug | trace | silent (env: LOG_LEVEL)',
    );

/** Info-level logs would interleave with the progress lines; warnings and errors still show. */
const cliLogger = (config: Config): Logger =>
  createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, role: 'cli' });

const withStores = async <T>(
  config: Config,
  logger: Logger,
  use: (stores: ProjectionStores) => Promise<T>,
): Promise<T> => {
  requireEventStore(config);
  const eventStore = await openEventStore(config, logger);
  try {
    const readStore = await openReadStore(config);
    try {
      return await use({ eventStore, readStore });
    } finally {
      await readStore.close();
    }
  } finally {
    await eventStore.close();
  }
};

/**
 * `cambio projections rebuild [name]` and `cambio projections status`. They open the same
 * event store and read store as `cambio start` with the same configuration, and may run while
 * the API serves: a rebuild fills a new generation beside the active one and switches at the
 * end. Ctrl-C pauses a rebuild after the batch in hand; running it again resumes.
 */
export const projectionsCommand = (configFrom: (command: Command) => Config): Command => {
  const projections = new Command('projections').description(
    `Rebuild and inspect the read-model projections (${PROJECTIONS.map((p) => p.name).join(', ')})`,
  );

  withStoreOptions(
    projections
      .command('rebuild')
      .description('Rebuild projections from the start of the log without stopping the API')
      .addArgument(
        new Argument('[name]', 'projection to rebuild (default: all)').choices(
          PROJECTIONS.map((projection) => projection.name),
        ),
      )
      .option('--batch-size <n>', 'events per batch (default: 1000)', positiveInteger),
  ).action(async (name: string | undefined, options: { batchSize?: number }, command: Command) => {
    const selected = projectionsNamed(name);
    const config = configFrom(command);
    const logger = cliLogger(config);
    const stop = new AbortController();
    const pause = () => {
      console.log('pausing after the batch in hand…');
      stop.abort();
    };
    process.once('SIGINT', pause);
    process.once('SIGTERM', pause);
    try {
      const results = await withStores(config, logger, (stores) =>
        rebuildProjections(stores, {
          projections: selected,
          signal: stop.signal,
          print: (line) => console.log(line),
          logger,
          ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        }),
      );
      if (results.some((result) => !result.switched)) process.exitCode = 3;
    } finally {
      process.off('SIGINT', pause);
      process.off('SIGTERM', pause);
    }
  });

  withStoreOptions(
    projections
      .command('status')
      .description(
        'Show each projection: active generation, position, head, lag, rebuilds in progress',
      )
      .option('--json', 'print JSON instead of a table'),
  ).action(async (options: { json?: boolean }, command: Command) => {
    const config = configFrom(command);
    const logger = cliLogger(config);
    const statuses = await withStores(config, logger, (stores) => projectionStatuses(stores));
    if (options.json) console.log(JSON.stringify(statuses.map(projectionStatusJson), null, 2));
    else for (const line of formatStatuses(statuses)) console.log(line);
  });

  return projections;
};
