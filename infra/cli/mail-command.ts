import { Command } from 'commander';
import { connect, type NatsConnection } from 'nats';
import { MAIL_QUEUE } from '../../ports/mail-requests.ts';
import type { Config } from '../config/settings.ts';
import { deliveryLogFile } from '../delivery-log/open-delivery-log.ts';
import { configFrom as configFromCommand, EXIT_BAD_CONFIG } from './config-from-command.ts';
import {
  listParked,
  parkedMatches,
  replayParked,
  type ParkedMail,
} from '../delivery-log/nats-parked-mail.ts';

type Print = (line: string) => void;

const EXIT_FAILED = 1;
const REQUEST_TIMEOUT_MS = 5_000;

/** Why the embedded deployment has nothing to list or replay from outside its process. */
export const inProcessParkedMailNotice = (dataDir: string): string[] => [
  'The bus is in-process (the embedded deployment): queued and parked mail lives only inside',
  'the running cambio process, so there is nothing this command can list or replay.',
  "That process logs each parked request ('mail request parked…', with its id and error) and",
  `records mail refused for good in ${deliveryLogFile(dataDir)} (table parked_mail);`,
  'a user whose code mail was parked gets a new one by registering again.',
  'For a NATS deployment, run this command with --bus nats (CAMBIO_BUS=nats) and --nats-url.',
];

/** One line per parked request: id, recipient, deliveries, when, error. */
export const formatParked = (parked: readonly ParkedMail[]): string[] => {
  const rows = [
    ['id', 'to', 'deliveries', 'parked at', 'error'],
    ...parked.map((mail) => [
      mail.id,
      mail.to ?? '?',
      String(mail.deliveries),
      mail.parkedAt.toISOString(),
      mail.error,
    ]),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
};

const parkedJson = (mail: ParkedMail) => ({ ...mail, parkedAt: mail.parkedAt.toISOString() });

const withNats = async <T>(config: Config, use: (nc: NatsConnection) => Promise<T>): Promise<T> => {
  const servers = config.natsUrl.split(',').map((url) => url.trim());
  const nc = await connect({
    servers,
    name: 'cambio-cli',
    timeout: REQUEST_TIMEOUT_MS,
    maxReconnectAttempts: 0,
  }).catch((error: unknown) => {
    throw new Error(`cannot reach NATS at ${servers.join(', ')}: ${String(error)}`, {
      cause: error,
    });
  });
  try {
    return await use(nc);
  } finally {
    await nc.close();
  }
};

/** `cambio mail parked`; returns the exit code. */
export const showParkedMail = async (
  config: Config,
  options: { json?: boolean },
  print: Print,
): Promise<number> => {
  if (config.bus !== 'nats') {
    for (const line of inProcessParkedMailNotice(config.dataDir)) print(line);
    return EXIT_FAILED;
  }
  const parked = await withNats(config, (nc) => listParked(nc, MAIL_QUEUE, REQUEST_TIMEOUT_MS));
  if (options.json) {
    print(JSON.stringify(parked.map(parkedJson), null, 2));
  } else if (parked.length === 0) {
    print('no parked mail');
  } else {
    for (const line of formatParked(parked)) print(line);
    print(`${parked.length} parked; replay with: cambio mail replay <id> | --all`);
  }
  return 0;
};

/** `cambio mail replay <id> | --all`; returns the exit code. */
export const replayParkedMail = async (
  config: Config,
  target: { id?: string; all?: boolean },
  print: Print,
): Promise<number> => {
  if ((target.id === undefined) === !target.all) {
    print('name one parked id, or --all (not both)');
    return EXIT_BAD_CONFIG;
  }
  if (config.bus !== 'nats') {
    for (const line of inProcessParkedMailNotice(config.dataDir)) print(line);
    return EXIT_FAILED;
  }
  const { id } = target;
  const replayed = await withNats(config, (nc) =>
    replayParked(
      nc,
      MAIL_QUEUE,
      (mail) => id === undefined || parkedMatches(mail, id),
      REQUEST_TIMEOUT_MS,
    ),
  );
  if (replayed.length === 0) {
    print(id === undefined ? 'no parked mail to replay' : `no parked mail with id ${id}`);
    return id === undefined ? 0 : EXIT_FAILED;
  }
  for (const mail of replayed) print(`replayed ${mail.id} (to ${mail.to ?? '?'})`);
  print(`${replayed.length} parked mail request(s) back on the queue`);
  return 0;
};

/** The settings the mail commands read; the rest of the configuration is not needed. */
const withBusOptions = (command: Command): Command =>
  command
    .option('--bus <kind>', 'message bus: in-process | nats (env: CAMBIO_BUS)')
    .option('--nats-url <url>', 'NATS server(s), comma-separated (env: NATS_URL)')
    .option('--data-dir <dir>', 'data directory of the embedded deployment (env: CAMBIO_DATA_DIR)');

/**
 * `cambio mail parked` and `cambio mail replay <id>|--all`: what operators do with mail the
 * notifier could not deliver. Parked mail lives in the NATS bus (the queue's parked stream);
 * the embedded in-process bus keeps it inside its own process, and the commands say so.
 */
export const mailCommand = (
  configFrom: (command: Command) => Config = configFromCommand,
  print: Print = (line) => console.log(line),
): Command => {
  const mail = new Command('mail').description(
    'See and replay mail requests the notifier parked (refused for good, or out of retries)',
  );

  withBusOptions(
    mail
      .command('parked')
      .description('List parked mail requests: id, recipient, deliveries, when, error')
      .option('--json', 'print JSON instead of a table'),
  ).action(async (options: { json?: boolean }, command: Command) => {
    process.exitCode = await showParkedMail(configFrom(command), options, print);
  });

  withBusOptions(
    mail
      .command('replay')
      .description('Put parked mail requests back on the queue for the notifier')
      .argument('[id]', 'the parked request (its id or its mail id)')
      .option('--all', 'replay every parked request'),
  ).action(async (id: string | undefined, options: { all?: boolean }, command: Command) => {
    process.exitCode = await replayParkedMail(
      configFrom(command),
      { ...(id === undefined ? {} : { id }), ...(options.all ? { all: true } : {}) },
      print,
    );
  });

  return mail;
};
