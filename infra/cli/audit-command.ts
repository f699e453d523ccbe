import { Command } from 'commander';
import type { Logger } from 'pino';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exportEvents } from '../../audit/event-export.ts';
import { formatAnchors, parseAnchors, verifyChains } from '../../audit/chain-verification.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { Config } from '../config/settings.ts';
import { createLogger } from '../logging/logger.ts';
import { openEventStore, openReadStore, openStoredEventStore } from '../process/adapters.ts';
import { reconcile } from '../../audit/reconciliation.ts';
import { saveReconciliation } from '../../audit/reconciliation-record.ts';
import { createProgress } from './progress.ts';
import { checkConservation } from '../../audit/conservation.ts';

/** Exit code of an audit that found something wrong (a broken chain, a difference, money not conserved). */
export const EXIT_VIOLATION = 1;

/** The settings the audit commands read (besides the environment). */
const withEventStoreOptions = (command: Command): Command =>
  command
    .option(
      '--data-dir <dir>',
      'data directory of the embedded SQLite files (env: CAMBIO_DATA_DIR)',
    )
    .option('--event-store <kind>', 'sqlite | postgres | eventstoredb (env: CAMBIO_EVENT_STORE)')
    .option('--postgres-url <url>', 'PostgreSQL connection string (env: POSTGRES_URL)')
    .option('--eventstore-url <url>', 'EventStoreDB connection string (env: EVENTSTORE_URL)');

/** Logs would interleave with progress and results; warnings and errors still show. */
const cliLogger = (config: Config): Logger =>
  createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, role: 'cli' });

const withEventStore = async <T>(
  config: Config,
  use: (store: EventStore) => Promise<T>,
): Promise<T> => {
  // The log as stored: chains and exports cover the ciphertext of personal data, no key needed.
  const store = await openStoredEventStore(config, cliLogger(config));
  try {
    return await use(store);
  } finally {
    await store.close();
  }
};

const verify = (configFrom: (command: Command) => Config): Command =>
  withEventStoreOptions(
    new Command('verify')
      .description(
        "Check every stream's hash chain (or one stream's): exit 1 naming each broken stream and revision",
      )
      .option('--stream <id>', 'only this stream')
      .option(
        '--heads',
        'print only each chained stream\'s head ("stream revision hash"), to anchor elsewhere',
      )
      .option('--anchor <file>', 'also check heads printed earlier by --heads against the log'),
  ).action(
    async (options: { stream?: string; heads?: boolean; anchor?: string }, command: Command) => {
      const config = configFrom(command);
      const anchors =
        options.anchor === undefined ? [] : parseAnchors(await readFile(options.anchor, 'utf8'));
      const progress = createProgress('verifying');
      const report = await withEventStore(config, (store) =>
        verifyChains(store, {
          anchors,
          ...(options.stream === undefined ? {} : { streamId: options.stream }),
          onProgress: ({ events, position, head }) =>
            progress.update(position, head, `${events} events`),
        }),
      );
      progress.finish();
      if (options.heads) {
        for (const line of formatAnchors(report.heads)) console.log(line);
        if (report.breaks.length > 0) process.exitCode = EXIT_VIOLATION;
        return;
      }
      console.log(`checked ${report.events} events in ${report.streams} streams`);
      for (const legacy of report.legacy) {
        console.log(
          `legacy ${legacy.streamId}: ${legacy.events} events written before the hash chain ${
            legacy.sealed ? '(sealed by the first hashed event after them)' : '(not sealed yet)'
          }`,
        );
      }
      for (const broken of report.breaks) {
        console.log(`BROKEN ${broken.streamId} revision ${broken.revision}: ${broken.problem}`);
      }
      for (const anchor of report.anchorsBroken) {
        console.log(`ANCHOR ${anchor.streamId} revision ${anchor.revision}: ${anchor.problem}`);
      }
      if (anchors.length > 0) {
        console.log(
          `${anchors.length - report.anchorsBroken.length} of ${anchors.length} anchors hold`,
        );
      }
      const streams = new Set(report.breaks.map((broken) => broken.streamId));
      console.log(
        report.breaks.length === 0
          ? 'every chain is intact'
          : `${report.breaks.length} broken links in ${streams.size} streams: ${[...streams].join(', ')}`,
      );
      if (report.breaks.length > 0 || report.anchorsBroken.length > 0) {
        process.exitCode = EXIT_VIOLATION;
      }
    },
  );

const reconcileCommand = (configFrom: (command: Command) => Config): Command =>
  withEventStoreOptions(
    new Command('reconcile')
      .description(
        'Replay every wallet from the log and compare it with the read models (balances, history entries): exit 1 listing each difference',
      )
      .option('--read-store <kind>', 'sqlite | mongodb (env: CAMBIO_READ_STORE)')
      .option('--mongodb-url <url>', 'MongoDB connection string (env: MONGODB_URL)')
      .option('--mongodb-database <name>', 'database of the read models (env: MONGODB_DATABASE)'),
  ).action(async (_options, command: Command) => {
    const config = configFrom(command);
    const progress = createProgress('reconciling');
    const report = await withEventStore(config, async (eventStore) => {
      const readStore = await openReadStore(config);
      try {
        const result = await reconcile(eventStore, readStore, {
          onProgress: ({ wallets, of }) =>
            progress.update(BigInt(wallets), BigInt(of), `${wallets} of ${of} wallets`),
        });
        await saveReconciliation(readStore, result);
        return result;
      } finally {
        await readStore.close();
      }
    });
    progress.finish();
    for (const difference of report.differences) {
      console.log(
        `DIFFERENCE wallet ${difference.userId} ${difference.kind}: ${difference.detail}`,
      );
    }
    console.log(
      `reconciled ${report.wallets} wallets (${report.events} events) with the read models at position ${report.position}: ${
        report.differences.length === 0
          ? 'no difference'
          : `${report.differences.length} differences in ${new Set(report.differences.map((d) => d.userId)).size} wallets`
      }`,
    );
    if (report.differences.length > 0) process.exitCode = EXIT_VIOLATION;
  });

const exportCommand = (configFrom: (command: Command) => Config): Command =>
  withEventStoreOptions(
    new Command('export')
      .description(
        'Write the log (or one stream) to stdout as NDJSON, one event per line as stored with its hashes; verify it with scripts/verify-export.mjs',
      )
      .option('--stream <id>', 'only this stream'),
  ).action(async (options: { stream?: string }, command: Command) => {
    const config = configFrom(command);
    const progress = createProgress('exporting');
    let lines = 0;
    await withEventStore(config, async (store) => {
      const out = Readable.from(
        exportEvents(store, {
          ...(options.stream === undefined ? {} : { streamId: options.stream }),
          onProgress: ({ events, position, head }) => {
            lines = events;
            progress.update(position, head, `${events} events`);
          },
        }),
      );
      // Respects backpressure: a slow disk or pipe slows the reads instead of filling memory.
      await pipeline(out, process.stdout, { end: false });
    });
    progress.finish(`exported ${lines} events`);
  });

const conservation = (configFrom: (command: Command) => Config): Command =>
  withEventStoreOptions(
    new Command('conservation')
      .description(
        'Per currency: balances + money in flight == deposits - withdrawals + trade flows; every transfer settled at most once (exit 1 on a violation)',
      )
      .option('--json', 'print the whole report as JSON'),
  ).action(async (options: { json?: boolean }, command: Command) => {
    const config = configFrom(command);
    const store = await openEventStore(config, cliLogger(config));
    try {
      const report = await checkConservation(store);
      if (options.json) {
        console.log(JSON.stringify(report, null, 2));
      } else {
        console.log(
          `${report.events} wallet events up to position ${report.position}, ${report.wallets} wallets; transfers: ${report.transfers.pending} pending, ${report.transfers.completed} completed, ${report.transfers.refunded} refunded`,
        );
        for (const [code, t] of Object.entries(report.currencies)) {
          console.log(
            `${code}: balances ${t.balances} + in flight ${t.inFlight} vs deposits ${t.deposits} - withdrawals ${t.withdrawals} + trades ${t.tradeFlows}: difference ${t.difference}`,
          );
        }
        for (const violation of report.violations) console.log(`VIOLATION ${violation}`);
        console.log(
          report.violations.length === 0 ? 'money is conserved' : 'money is NOT conserved',
        );
      }
      if (report.violations.length > 0) process.exitCode = EXIT_VIOLATION;
    } finally {
      await store.close();
    }
  });

/** `cambio audit ...`: checks an auditor runs against the event log and the read models. */
export const auditCommand = (configFrom: (command: Command) => Config): Command => {
  const audit = new Command('audit').description('Check the event log and the read models');
  audit.addCommand(verify(configFrom));
  audit.addCommand(reconcileCommand(configFrom));
  audit.addCommand(exportCommand(configFrom));
  audit.addCommand(conservation(configFrom));
  return audit;
};
