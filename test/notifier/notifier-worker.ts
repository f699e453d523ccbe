/**
 * A notifier in a child process for the crash tests: the NATS bus, the SMTP mailer and a
 * delivery log (the shared NATS KV bucket, or one in memory), wired as a deployment wires
 * them. With DIE_AFTER_RECORDING=n it SIGKILLs itself right after the n-th sent mail was
 * recorded and before its ack: the one window a test cannot hit from outside by timing.
 *
 * Env: NATS_URL, SMTP_PORT, ACK_WAIT_MS, DELIVERY_LOG (nats | memory), DIE_AFTER_RECORDING.
 */
import { pino } from 'pino';
import type { DeliveryLog } from '../../ports/delivery-log.ts';
import { MAIL_QUEUE } from '../../ports/mail-requests.ts';
import { connectNatsBus } from '../../infra/bus/nats-bus.ts';
import { createMemoryDeliveryLog } from '../../infra/delivery-log/memory-delivery-log.ts';
import { connectNatsDeliveryLog } from '../../infra/delivery-log/nats-delivery-log.ts';
import { createSmtpMailer } from '../../infra/mail/smtp-mailer.ts';
import { startNotifier } from '../../notifier/notifier.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const logger = pino({ level: 'info' });
const natsUrl = env('NATS_URL');
const dieAfter = Number(process.env.DIE_AFTER_RECORDING ?? '0');

const bus = await connectNatsBus({
  servers: natsUrl,
  logger,
  ackWaitMs: Number(env('ACK_WAIT_MS')),
  queues: [MAIL_QUEUE],
});
const shared =
  env('DELIVERY_LOG') === 'nats'
    ? await connectNatsDeliveryLog({ servers: natsUrl, logger })
    : createMemoryDeliveryLog();
let recorded = 0;
const deliveryLog: DeliveryLog = {
  ...shared,
  recordSent: async (mailId) => {
    await shared.recordSent(mailId);
    recorded += 1;
    if (recorded === dieAfter) process.kill(process.pid, 'SIGKILL');
  },
};
const mailer = createSmtpMailer({
  host: '127.0.0.1',
  port: Number(env('SMTP_PORT')),
  from: 'Cambio <no-reply@cambio.example>',
  logger,
});
await startNotifier({ bus, mailer, logger, deliveryLog });
logger.info('notifier worker ready');
