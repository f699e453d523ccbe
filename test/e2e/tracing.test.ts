import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { embeddedFiles } from '../../infra/process/adapters.ts';
import { CambioProcess } from '../support/cambio-process.ts';
import { httpClient, uniqueMail } from '../support/http-client.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../support/nats-server.ts';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../support/otlp-receiver.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../notifier/smtp-test-server.ts';

/** The spans one registration must leave, child under parent: one trace from HTTP to SMTP. */
const CHAIN = [
  { name: 'POST /api/user/register', kind: 2, parent: 'caller' },
  { name: 'append registration', kind: 3, parent: 'POST /api/user/register' },
  {
    name: 'projection wallet-read-models VerificationCodeIssued',
    kind: 1,
    parent: 'append registration',
  },
  { name: 'mail-requests VerificationCodeIssued', kind: 1, parent: 'append registration' },
  { name: 'send mail', kind: 4, parent: 'mail-requests VerificationCodeIssued' },
  { name: 'process mail', kind: 5, parent: 'send mail' },
  { name: 'mail send', kind: 3, parent: 'process mail' },
] as const;

describe('e2e: one trace from an HTTP command to the SMTP send (OpenTelemetry over OTLP)', function () {
  this.timeout(90_000);
  let nats: PrivateNatsServer | undefined;
  let smtp: TestSmtpServer | undefined;
  let receiver: OtlpReceiver | undefined;
  const servers: CambioProcess[] = [];

  before(async function () {
    const reason = natsServerUnavailableReason();
    if (reason) {
      console.warn(`SKIPPING tracing e2e (it runs the bus on NATS): ${reason}`);
      this.skip();
    }
    [nats, smtp, receiver] = await Promise.all([
      startPrivateNatsServer(),
      startTestSmtpServer(),
      startOtlpReceiver(),
    ]);
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.cleanup()));
    await Promise.all([nats?.dispose(), smtp?.close(), receiver?.close()]);
  });

  const start = async (protocol: string) => {
    // One at a time: servers on one NATS share the projector lease and the mail queue.
    // A clean stop hands the lease over at once.
    for (const server of servers.splice(0)) {
      await server.stop();
      await server.cleanup();
    }
    const server = await CambioProcess.start({
      args: [
        '--bus',
        'nats',
        '--nats-url',
        nats?.url ?? '',
        '--mail',
        'smtp',
        '--smtp-url',
        smtp?.url ?? '',
      ],
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver?.url ?? '',
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    servers.push(server);
    return server;
  };

  /** Registers with a caller's traceparent and returns the trace's spans once the chain is in. */
  const registerTraced = async (server: CambioProcess) => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const mail = uniqueMail('traced');
    const response = await httpClient(server.baseUrl).post(
      '/api/user/register',
      { name: 'Ada', lastName: 'Lovelace', mail, password: 'correct horse battery' },
      { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } },
    );
    expect(response.status, response.text).to.equal(200);
    const ofTrace = (spans: ReceivedSpan[]) => spans.filter((span) => span.traceId === traceId);
    await receiver?.waitFor((spans) =>
      CHAIN.every(({ name }) => ofTrace(spans).some((span) => span.name === name)),
    );
    return { traceId, callerSpanId, mail, spans: ofTrace(receiver?.spans ?? []) };
  };

  const expectChain = (spans: ReceivedSpan[], callerSpanId: string) => {
    const byName = (name: string) => spans.find((span) => span.name === name);
    for (const { name, kind, parent } of CHAIN) {
      const span = byName(name);
      expect(span?.kind, name).to.equal(kind);
      const parentId = parent === 'caller' ? callerSpanId : byName(parent)?.spanId;
      expect(span?.parentSpanId, `${name} is a child of ${parent}`).to.equal(parentId);
      expect(span?.service).to.equal('cambio-all');
    }
  };

  it("http/json: the HTTP span continues the caller's traceparent; append, projector, mail reaction, bus, notifier and SMTP send follow in one trace; logs carry its ids", async () => {
    const server = await start('http/json');
    const { traceId, callerSpanId, mail, spans } = await registerTraced(server);
    expectChain(spans, callerSpanId);
    expect(new Set(spans.map((span) => span.encoding))).to.deep.equal(
      new Set(['application/json']),
    );
    // The mail went out over SMTP, and the notifier's log line is in the same trace.
    expect(smtp?.received.some((received) => received.to.includes(mail))).to.equal(true);
    const notifierLine = server
      .logs()
      .find((line) => line.msg === 'mail sent' && line.trace_id === traceId);
    expect(notifierLine?.span_id, 'the notifier logs inside its span').to.be.a('string');
    expect(spans.map((span) => span.spanId)).to.include(notifierLine?.span_id);
  });

  it('http/protobuf: the same chain arrives protobuf-encoded', async () => {
    const server = await start('http/protobuf');
    const { callerSpanId, spans } = await registerTraced(server);
    expectChain(spans, callerSpanId);
    expect(new Set(spans.map((span) => span.encoding))).to.deep.equal(
      new Set(['application/x-protobuf']),
    );
  });

  it('exports nothing, logs no trace ids and writes no trace into events unless OTEL_* asks for it', async () => {
    const before = receiver?.spans.length ?? 0;
    const plain = await CambioProcess.start();
    servers.push(plain);
    const response = await httpClient(plain.baseUrl).post(
      '/api/user/register',
      {
        name: 'Ada',
        lastName: 'Lovelace',
        mail: uniqueMail('untraced'),
        password: 'correct horse battery',
      },
      {
        headers: {
          traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
        },
      },
    );
    expect(response.status).to.equal(200);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver?.spans.length).to.equal(before);
    expect(plain.logs().some((line) => 'trace_id' in line)).to.equal(false);
    const store = await SqliteEventStore.open({ file: embeddedFiles(plain.dataDir).eventStore });
    try {
      const events = await store.readAll();
      expect(events).to.have.length.above(0);
      expect(events.filter((event) => 'traceparent' in event.metadata)).to.deep.equal([]);
    } finally {
      await store.close();
    }
  });
});
