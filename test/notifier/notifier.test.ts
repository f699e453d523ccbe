import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { pino } from 'pino';
import type { Bus, QueueConsumer } from '../../ports/bus.ts';
import type { DeliveryLog } from '../../ports/delivery-log.ts';
import type { Mailer } from '../../ports/mailer.ts';
import { MAIL_QUEUE } from '../../ports/mail-requests.ts';
import { connectNatsBus } from '../../infra/bus/nats-bus.ts';
import { connectNatsDeliveryLog } from '../../infra/delivery-log/nats-delivery-log.ts';
import { listParked, natsQueueNames } from '../../infra/delivery-log/nats-parked-mail.ts';
import { createSmtpMailer } from '../../infra/mail/smtp-mailer.ts';
import { mailHandler, startNotifier, type MailOutcome } from '../../notifier/notifier.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../support/nats-server.ts';
import { eventually } from '../support/http-client.ts';
import { verificationRequest } from './mail-requests.ts';
import { duplicates, startTestSmtpServer, type TestSmtpServer } from './smtp-test-server.ts';

const logger = pino({ level: 'silent' });
const FROM = 'Cambio <no-reply@cambio.example>';

describe('notifier on NATS with a real SMTP server', function () {
  this.timeout(30_000);
  let nats: PrivateNatsServer;
  let nc: NatsConnection;
  let bus: Bus;
  let deliveryLog: DeliveryLog;
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  let consumer: QueueConsumer | undefined;
  let outcomes: MailOutcome[];

  before(async function () {
    const reason = natsServerUnavailableReason();
    if (reason !== null) {
      console.log(`      skipping notifier tests: ${reason}`);
      this.skip();
    }
    nats = await startPrivateNatsServer();
    nc = await connect({ servers: nats.url });
    bus = await connectNatsBus({ servers: nats.url, logger, queues: [MAIL_QUEUE] });
    deliveryLog = await connectNatsDeliveryLog({ servers: nats.url, logger });
  });

  beforeEach(async function () {
    smtp = await startTestSmtpServer();
    mailer = createSmtpMailer({ host: '127.0.0.1', port: smtp.port, from: FROM, logger });
    outcomes = [];
  });

  afterEach(async function () {
    await consumer?.stop();
    consumer = undefined;
    await mailer?.close();
    await smtp?.close();
  });

  after(async function () {
    await deliveryLog?.close();
    await bus?.close();
    await nc?.close();
    await nats?.dispose();
  });

  const start = async (options: { maxDeliveries?: number } = {}) => {
    consumer = await startNotifier({
      bus,
      mailer,
      logger,
      deliveryLog,
      backoffMs: () => 50,
      onOutcome: (outcome) => outcomes.push(outcome),
      ...options,
    });
  };

  const queueState = async () => {
    const jsm = await nc.jetstreamManager();
    const names = natsQueueNames(MAIL_QUEUE);
    const info = await jsm.consumers.info(names.stream, 'workers');
    const stream = await jsm.streams.info(names.stream);
    return { info, messages: stream.state.messages };
  };

  const settled = () =>
    eventually('the queue to be empty and nothing awaiting an ack', async () => {
      const { info, messages } = await queueState();
      return messages === 0 && info.num_ack_pending === 0 ? info : undefined;
    });

  it('renders the verification mail as text and HTML with the code, sends it, and acks it once', async function () {
    const request = verificationRequest({ to: 'ana@example.com', code: '482913' });
    await start();
    const before = (await queueState()).info.delivered.consumer_seq;
    await bus.enqueue(MAIL_QUEUE, request.eventId, { ...request });

    await eventually('the mail at the SMTP server', async () => smtp.received[0]);
    const [mail] = smtp.received;
    expect(mail?.to).to.deep.equal(['ana@example.com']);
    expect(mail?.subject).to.equal('Your Cambio verification code: 482913');
    expect(mail?.text).to.contain('Your verification code is 482913.');
    expect(mail?.html).to.contain('<strong>482913</strong>');
    expect(mail?.html).to.match(/^<!doctype html>/);
    expect(mail?.mailId).to.equal(request.eventId);
    expect(mail?.messageId).to.equal(`<${request.eventId}@cambio.example>`);

    const info = await settled();
    expect(info.delivered.consumer_seq - before, 'deliveries').to.equal(1);
    expect(info.num_redelivered).to.equal(0);
    expect(await deliveryLog.wasSent(request.eventId)).to.equal(true);
    expect(outcomes).to.deep.equal(['sent']);
    expect(smtp.received).to.have.length(1);
  });

  it('skips a request whose mail the delivery log already holds (a redelivery after a crash)', async function () {
    const request = verificationRequest();
    // Another notifier sent it and died before its ack.
    await deliveryLog.recordSent(request.eventId);
    await start();
    await bus.enqueue(MAIL_QUEUE, request.eventId, { ...request });
    await settled();
    await eventually('the outcome', async () => (outcomes.length > 0 ? outcomes : undefined));
    expect(outcomes).to.deep.equal(['duplicate']);
    expect(smtp.received).to.have.length(0);
  });

  it('sends once when two notifiers get the same request one after the other', async function () {
    const message = { id: 'm-1', data: { ...verificationRequest() }, deliveryCount: 1 };
    const first = mailHandler({ bus, mailer, logger, deliveryLog });
    const second = mailHandler({ bus, mailer, logger, deliveryLog });
    await first(message);
    await second({ ...message, deliveryCount: 2 });
    await first({ ...message, deliveryCount: 3 });
    expect(smtp.received).to.have.length(1);
    expect(duplicates(smtp)).to.deep.equal([]);
  });

  it('retries a 4xx answer with backoff and sends the mail once it is accepted', async function () {
    let refusals = 2;
    smtp.rcpt = () => (refusals-- > 0 ? { code: 451, message: 'Mailbox busy, try later' } : null);
    const request = verificationRequest();
    await start();
    await bus.enqueue(MAIL_QUEUE, request.eventId, { ...request });
    await eventually('the mail after two refusals', async () => smtp.received[0]);
    await settled();
    expect(outcomes).to.deep.equal(['failed', 'failed', 'sent']);
    expect(smtp.received).to.have.length(1);
  });

  it('retries when the SMTP server is unreachable, and delivers once it is back', async function () {
    await smtp.close();
    const port = smtp.port;
    const request = verificationRequest();
    await start();
    await bus.enqueue(MAIL_QUEUE, request.eventId, { ...request });
    await eventually('a failed attempt', async () =>
      outcomes.includes('failed') ? true : undefined,
    );
    // Same port, so the mailer's settings still hold.
    smtp = await startTestSmtpServer({ port });
    await eventually('the mail after the outage', async () => smtp.received[0]);
    expect(smtp.received).to.have.length(1);
    expect(outcomes.filter((o) => o === 'sent')).to.have.length(1);
  });

  it('parks a 5xx answer at once, with its error, without retrying', async function () {
    smtp.rcpt = (address) =>
      address === 'nobody@example.com' ? { code: 550, message: 'No such user here' } : null;
    const request = verificationRequest({ to: 'nobody@example.com' });
    await start();
    await bus.enqueue(MAIL_QUEUE, request.eventId, { ...request });
    const parked = await eventually('the parked request', async () =>
      (await listParked(nc, MAIL_QUEUE)).find((p) => p.id === request.eventId),
    );
    expect(parked).to.include({ mailId: request.eventId, to: 'nobody@example.com', deliveries: 1 });
    expect(parked.error).to.contain('550');
    const info = await settled();
    expect(info.num_redelivered).to.equal(0);
    expect(outcomes).to.deep.equal(['parked']);
    expect(smtp.received).to.have.length(0);
    expect(await deliveryLog.wasSent(request.eventId)).to.equal(false);
  });

  it('parks a malformed request at once', async function () {
    const id = randomUUID();
    await start();
    await bus.enqueue(MAIL_QUEUE, id, { kind: 'verification', to: 42 });
    const parked = await eventually('the parked request', async () =>
      (await listParked(nc, MAIL_QUEUE)).find((p) => p.id === id),
    );
    expect(parked.error).to.contain('malformed mail request');
    expect(outcomes).to.deep.equal(['parked']);
  });
});
