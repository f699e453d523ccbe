import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Bus } from '../../ports/bus.ts';
import { MAIL_QUEUE } from '../../ports/mail-requests.ts';
import { connectNatsBus } from '../../infra/bus/nats-bus.ts';
import { REPO_ROOT, cleanEnv } from '../support/cambio-process.ts';
import { eventually } from '../support/http-client.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../support/nats-server.ts';
import { mailQueueState } from './mail-queue-state.ts';
import { verificationRequest } from './mail-requests.ts';
import { duplicates, startTestSmtpServer, type TestSmtpServer } from './smtp-test-server.ts';

const WORKER = join(REPO_ROOT, 'test', 'notifier', 'notifier-worker.ts');
const ACK_WAIT_MS = 1_000;

interface Worker {
  child: ChildProcess;
  output: () => string;
  exited: Promise<NodeJS.Signals | number | null>;
}

const startWorker = async (env: Record<string, string>): Promise<Worker> => {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    cwd: REPO_ROOT,
    env: cleanEnv({ ACK_WAIT_MS: String(ACK_WAIT_MS), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const worker = { child, output: () => output, exited };
  await eventually(
    'the notifier worker to start',
    async () => {
      if (output.includes('notifier worker ready')) return true;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the worker exited at start:\n${output}`);
      }
      return undefined;
    },
    20_000,
  );
  return worker;
};

/**
 * The window between recording a sent mail and acking it can only be hit from inside, so a
 * worker kills itself there; a second notifier then gets the unacked request redelivered.
 */
describe('notifier killed after recording a sent mail, before its ack', function () {
  this.timeout(60_000);
  let nats: PrivateNatsServer;
  let bus: Bus;
  let smtp: TestSmtpServer;
  const workers: Worker[] = [];

  before(async function () {
    const reason = natsServerUnavailableReason();
    if (reason !== null) {
      console.log(`      skipping the ack-window tests: ${reason}`);
      this.skip();
    }
    nats = await startPrivateNatsServer();
    bus = await connectNatsBus({
      servers: nats.url,
      logger: pino({ level: 'silent' }),
      queues: [MAIL_QUEUE],
    });
  });

  beforeEach(async function () {
    smtp = await startTestSmtpServer();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') for (const w of workers) console.log(w.output());
    for (const worker of workers.splice(0)) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await smtp?.close();
  });

  after(async function () {
    await bus?.close();
    await nats?.dispose();
  });

  const run = async (deliveryLog: 'nats' | 'memory') => {
    const requests = Array.from({ length: 5 }, () => verificationRequest());
    for (const request of requests) await bus.enqueue(MAIL_QUEUE, request.eventId, { ...request });
    const env = { NATS_URL: nats.url, SMTP_PORT: String(smtp.port), DELIVERY_LOG: deliveryLog };

    const first = await startWorker({ ...env, DIE_AFTER_RECORDING: '3' });
    workers.push(first);
    expect(await first.exited).to.equal('SIGKILL');
    expect(smtp.received, 'mails before the kill').to.have.length(3);

    const second = await startWorker(env);
    workers.push(second);
    await eventually('every request handled and acked', async () => {
      const state = await mailQueueState(nats.url);
      return state.waiting === 0 && state.awaitingAck === 0 ? state : undefined;
    });
    return { requests, second };
  };

  it('the shared delivery log makes the other notifier skip the redelivered mail', async function () {
    const { requests, second } = await run('nats');
    expect(second.output()).to.contain('mail already sent; redelivery skipped');
    expect(duplicates(smtp)).to.deep.equal([]);
    expect(smtp.received.map((mail) => mail.mailId).sort()).to.deep.equal(
      requests.map((request) => request.eventId).sort(),
    );
  });

  it('(control) a log private to each process would have sent that mail twice', async function () {
    const { requests } = await run('memory');
    expect(duplicates(smtp)).to.deep.equal([[requests[2]?.eventId, 2]]);
  });
});
