import { expect } from 'chai';
import { pino } from 'pino';
import type { Bus } from '../../ports/bus.ts';
import { MAIL_QUEUE } from '../../ports/mail-requests.ts';
import { connectNatsBus } from '../../infra/bus/nats-bus.ts';
import { CambioProcess } from '../support/cambio-process.ts';
import { eventually } from '../support/http-client.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../support/nats-server.ts';
import { mailQueueState } from './mail-queue-state.ts';
import { verificationRequest } from './mail-requests.ts';
import { duplicates, startTestSmtpServer, type TestSmtpServer } from './smtp-test-server.ts';

const MAILS = 100;
const KILL_AT = 30;
/** The bus's ack wait: a request in flight when its notifier died comes back after it. */
const ACK_WAIT_MS = 30_000;

describe('notifier process killed mid-flow (SIGKILL) and restarted', function () {
  this.timeout(90_000);
  let nats: PrivateNatsServer;
  let bus: Bus;
  let smtp: TestSmtpServer;
  let notifier: CambioProcess | undefined;

  before(async function () {
    const reason = natsServerUnavailableReason();
    if (reason !== null) {
      console.log(`      skipping the notifier crash test: ${reason}`);
      this.skip();
    }
    nats = await startPrivateNatsServer();
    bus = await connectNatsBus({
      servers: nats.url,
      logger: pino({ level: 'silent' }),
      queues: [MAIL_QUEUE],
    });
  });

  after(async function () {
    await notifier?.cleanup();
    await smtp?.close();
    await bus?.close();
    await nats?.dispose();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && notifier) console.log(notifier.tail(60));
  });

  it(`delivers all ${MAILS} pending mails exactly once`, async function () {
    let killed: () => void = () => {};
    const killedAt = new Promise<void>((resolve) => (killed = resolve));
    smtp = await startTestSmtpServer({
      // A slow server, so the notifier always has a mail in hand when the kill comes.
      dataDelayMs: () => 20 + Math.floor(Math.random() * 31),
      onMessageArrived: (arrived) => {
        if (arrived !== KILL_AT) return;
        // The server holds this mail's answer: the notifier dies waiting for it.
        notifier?.kill('SIGKILL');
        killed();
      },
    });
    const requests = Array.from({ length: MAILS }, (_, i) =>
      verificationRequest({ to: `user${i}@example.com`, code: String(100000 + i) }),
    );
    for (const request of requests) await bus.enqueue(MAIL_QUEUE, request.eventId, { ...request });

    const args = ['--role', 'notifier', '--bus', 'nats', '--nats-url', nats.url];
    notifier = await CambioProcess.start({
      args: [...args, '--mail', 'smtp', '--smtp-url', smtp.url],
    });
    await killedAt;
    const exit = await notifier.waitForExit();
    expect(exit.signal).to.equal('SIGKILL');
    const beforeRestart = smtp.received.length;
    // The held mail is never accepted; another connection's mail may still complete while the
    // SIGKILL lands on a busy machine, so one more than the mails before it may be in.
    expect(beforeRestart, 'mails accepted before the kill').to.be.within(KILL_AT - 2, KILL_AT);

    await notifier.restart();
    await eventually(
      `${MAILS} mails (${smtp.received.length} so far)`,
      async () => (smtp.received.length >= MAILS ? true : undefined),
      ACK_WAIT_MS + 30_000,
      100,
    );
    await eventually('the queue to be empty with nothing awaiting an ack', async () => {
      const state = await mailQueueState(nats.url);
      return state.waiting === 0 && state.awaitingAck === 0 ? state : undefined;
    });

    expect(duplicates(smtp), 'mails received twice').to.deep.equal([]);
    expect(smtp.received).to.have.length(MAILS);
    expect(new Set(smtp.received.map((mail) => mail.mailId))).to.deep.equal(
      new Set(requests.map((request) => request.eventId)),
    );
    // The mail the kill interrupted was not accepted, and was sent again after the restart.
    expect(smtp.abandoned).to.equal(1);
    for (const mail of smtp.received) {
      const request = requests.find((r) => r.eventId === mail.mailId);
      expect(mail.to).to.deep.equal([request?.to]);
      expect(mail.code).to.equal(request?.code);
    }
  });
});
