import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { pino } from 'pino';
import type { Bus, QueueConsumer } from '../../ports/bus.ts';
import type { DeliveryLog } from '../../ports/delivery-log.ts';
import type { Mailer } from '../../ports/mailer.ts';
import { MAIL_QUEUE } from '../../ports/mail-requests.ts';
import { connectNatsBus } from '../../infra/bus/nats-bus.ts';
import { mailCommand, replayParkedMail, showParkedMail } from '../../infra/cli/mail-command.ts';
import { loadConfig } from '../../infra/config/load-config.ts';
import { connectNatsDeliveryLog } from '../../infra/delivery-log/nats-delivery-log.ts';
import { listParked } from '../../infra/delivery-log/nats-parked-mail.ts';
import { createSmtpMailer } from '../../infra/mail/smtp-mailer.ts';
import { startNotifier } from '../../notifier/notifier.ts';
import { eventually } from '../support/http-client.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../support/nats-server.ts';
import { verificationRequest } from './mail-requests.ts';
import { startTestSmtpServer, type TestSmtpServer } from './smtp-test-server.ts';

const logger = pino({ level: 'silent' });

describe('cambio mail parked / replay', function () {
  this.timeout(30_000);
  let nats: PrivateNatsServer;
  let nc: NatsConnection;
  let bus: Bus;
  let deliveryLog: DeliveryLog;
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  let notifier: QueueConsumer | undefined;
  let lines: string[];
  const print = (line: string) => lines.push(line);
  const natsConfig = () => loadConfig({ CAMBIO_BUS: 'nats', NATS_URL: nats.url });

  before(async function () {
    const reason = natsServerUnavailableReason();
    if (reason !== null) {
      console.log(`      skipping mail command tests: ${reason}`);
      this.skip();
    }
    nats = await startPrivateNatsServer();
    nc = await connect({ servers: nats.url });
    bus = await connectNatsBus({ servers: nats.url, logger, queues: [MAIL_QUEUE] });
    deliveryLog = await connectNatsDeliveryLog({ servers: nats.url, logger });
    smtp = await startTestSmtpServer();
    mailer = createSmtpMailer({
      host: '127.0.0.1',
      port: smtp.port,
      from: 'Cambio <no-reply@cambio.example>',
      logger,
    });
  });

  beforeEach(() => {
    lines = [];
  });

  afterEach(async () => {
    await notifier?.stop();
    notifier = undefined;
    process.exitCode = undefined;
  });

  after(async function () {
    await mailer?.close();
    await smtp?.close();
    await deliveryLog?.close();
    await bus?.close();
    await nc?.close();
    await nats?.dispose();
  });

  const startNotifierWith = async (maxDeliveries: number) => {
    notifier = await startNotifier({
      bus,
      mailer,
      logger,
      deliveryLog,
      maxDeliveries,
      backoffMs: () => 20,
    });
  };

  it('lists what the notifier refused (5xx) and what the bus parked out of retries', async function () {
    smtp.rcpt = (address) => {
      if (address === 'gone@example.com') return { code: 550, message: 'Mailbox unavailable' };
      if (address === 'busy@example.com') return { code: 452, message: 'Mailbox full' };
      return null;
    };
    const refused = verificationRequest({ to: 'gone@example.com' });
    const exhausted = verificationRequest({ to: 'busy@example.com' });
    await startNotifierWith(2);
    await bus.enqueue(MAIL_QUEUE, refused.eventId, { ...refused });
    await bus.enqueue(MAIL_QUEUE, exhausted.eventId, { ...exhausted });
    await eventually('both requests parked', async () =>
      (await listParked(nc, MAIL_QUEUE)).length === 2 ? true : undefined,
    );

    expect(await showParkedMail(natsConfig(), {}, print)).to.equal(0);
    expect(lines[0]).to.match(/^id\s+to\s+deliveries\s+parked at\s+error$/);
    const gone = lines.find((line) => line.startsWith(refused.eventId));
    expect(gone).to.match(/gone@example\.com\s+1\s+\d{4}-\d\d-\d\dT.*550/);
    const busy = lines.find((line) => line.startsWith(exhausted.eventId));
    expect(busy).to.match(/busy@example\.com\s+2\s+.*452/);
    expect(lines.at(-1)).to.equal('2 parked; replay with: cambio mail replay <id> | --all');

    lines = [];
    await showParkedMail(natsConfig(), { json: true }, print);
    const json = JSON.parse(lines.join('\n')) as { id: string; to: string; deliveries: number }[];
    expect(json.map((p) => [p.id, p.to, p.deliveries])).to.deep.equal([
      [refused.eventId, 'gone@example.com', 1],
      [exhausted.eventId, 'busy@example.com', 2],
    ]);
  });

  it('replays one parked request by id: it is sent once, and no longer parked', async function () {
    smtp.rcpt = () => null;
    const parked = await listParked(nc, MAIL_QUEUE);
    const target = parked.find((p) => p.to === 'gone@example.com');
    if (!target) throw new Error('the previous test parks this request');
    await startNotifierWith(2);

    expect(await replayParkedMail(natsConfig(), { id: target.id }, print)).to.equal(0);
    expect(lines).to.deep.equal([
      `replayed ${target.id} (to gone@example.com)`,
      '1 parked mail request(s) back on the queue',
    ]);
    await eventually('the replayed mail', async () =>
      smtp.received.find((mail) => mail.to[0] === 'gone@example.com'),
    );
    const left = await listParked(nc, MAIL_QUEUE);
    expect(left.map((p) => p.to)).to.deep.equal(['busy@example.com']);
    expect(smtp.received.filter((mail) => mail.mailId === target.mailId)).to.have.length(1);
  });

  it('replays everything with --all through the command line, and says when nothing is parked', async function () {
    await startNotifierWith(2);
    await mailCommand(undefined, print).parseAsync(
      ['replay', '--all', '--bus', 'nats', '--nats-url', nats.url],
      { from: 'user' },
    );
    expect(process.exitCode).to.equal(0);
    expect(lines.at(-1)).to.equal('1 parked mail request(s) back on the queue');
    await eventually('the replayed mail', async () =>
      smtp.received.find((mail) => mail.to[0] === 'busy@example.com'),
    );

    lines = [];
    await mailCommand(undefined, print).parseAsync(
      ['parked', '--bus', 'nats', '--nats-url', nats.url],
      { from: 'user' },
    );
    expect(lines).to.deep.equal(['no parked mail']);
  });

  it('a replayed request that fails again is parked again, and can be replayed again', async function () {
    smtp.rcpt = () => ({ code: 550, message: 'Still no' });
    const request = verificationRequest({ to: 'again@example.com' });
    await startNotifierWith(2);
    await bus.enqueue(MAIL_QUEUE, request.eventId, { ...request });
    await eventually('parked', async () =>
      (await listParked(nc, MAIL_QUEUE)).length ? 1 : undefined,
    );
    await replayParkedMail(natsConfig(), { id: request.eventId }, print);
    const again = await eventually(
      'parked again',
      async () => (await listParked(nc, MAIL_QUEUE))[0],
    );
    expect(again.id).to.not.equal(request.eventId);
    expect(again.mailId).to.equal(request.eventId);

    smtp.rcpt = () => null;
    // The operator may name it by the mail id it had at first.
    expect(await replayParkedMail(natsConfig(), { id: request.eventId }, print)).to.equal(0);
    await eventually('the mail', async () =>
      smtp.received.find((mail) => mail.mailId === request.eventId),
    );
    expect(await listParked(nc, MAIL_QUEUE)).to.deep.equal([]);
  });

  it('says so when the named request is not parked, and when neither an id nor --all is given', async function () {
    expect(await replayParkedMail(natsConfig(), { id: randomUUID() }, print)).to.equal(1);
    expect(lines[0]).to.match(/^no parked mail with id /);
    expect(await replayParkedMail(natsConfig(), {}, print)).to.equal(2);
    expect(await replayParkedMail(natsConfig(), { id: 'x', all: true }, print)).to.equal(2);
  });

  it('explains that the in-process bus keeps parked mail inside its own process', async function () {
    const config = loadConfig({ CAMBIO_DATA_DIR: '/srv/cambio' });
    expect(await showParkedMail(config, {}, print)).to.equal(1);
    expect(lines.join('\n')).to.contain('lives only inside\nthe running cambio process');
    expect(lines.join('\n')).to.contain('/srv/cambio/deliveries.sqlite');
    lines = [];
    expect(await replayParkedMail(config, { all: true }, print)).to.equal(1);
    expect(lines.join(' ')).to.contain('--bus nats');
  });

  it('fails clearly when NATS cannot be reached', async function () {
    const config = loadConfig({ CAMBIO_BUS: 'nats', NATS_URL: 'nats://127.0.0.1:1' });
    let failure: unknown;
    try {
      await showParkedMail(config, {}, print);
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).to.contain('cannot reach NATS at nats://127.0.0.1:1');
  });
});
