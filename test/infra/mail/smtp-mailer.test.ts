import { expect } from 'chai';
import { createServer, type Socket } from 'node:net';
import { pino } from 'pino';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { createSmtpMailer, type SmtpMailerOptions } from '../../../infra/mail/smtp-mailer.ts';
import type { Mail, Mailer } from '../../../ports/mailer.ts';
import { freePort } from '../../support/nats-server.ts';
import { parseEml } from './parse-eml.ts';

const logger = pino({ level: 'silent' });
const FROM = 'Cambio <no-reply@cambio.example>';

interface Received {
  from: string;
  to: string[];
  raw: string;
  user: string | undefined;
}

interface TestSmtpServer {
  port: number;
  received: Received[];
  close(): Promise<void>;
}

/** A real SMTP server in this process, on a free port, recording what it accepted. */
async function startSmtpServer(options: Partial<SMTPServerOptions> = {}): Promise<TestSmtpServer> {
  const received: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback();
      });
    },
    ...options,
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const mail = (overrides: Partial<Mail> = {}): Mail => ({
  id: '7f0d7c36-9a43-4a0e-b0b4-1f5d2b8c9e01',
  to: 'ana@example.com',
  subject: 'Welcome to Cambio',
  text: 'Hello Ana, your account is ready.',
  html: '<p>Hello Ana, your account is ready.</p>',
  ...overrides,
});

describe('SMTP mailer', () => {
  let server: TestSmtpServer | undefined;
  let mailer: Mailer | undefined;

  const makeMailer = (extra: Partial<SmtpMailerOptions> = {}): Mailer => {
    if (!server) throw new Error('no SMTP server');
    mailer = createSmtpMailer({
      host: '127.0.0.1',
      port: server.port,
      from: FROM,
      logger,
      connectionTimeoutMs: 2_000,
      greetingTimeoutMs: 2_000,
      socketTimeoutMs: 5_000,
      ...extra,
    });
    return mailer;
  };

  afterEach(async () => {
    await mailer?.close();
    await server?.close();
    mailer = undefined;
    server = undefined;
  });

  it('delivers the mail: envelope, headers, text and html, Message-ID from the mail id', async () => {
    server = await startSmtpServer();
    await makeMailer().send(mail());

    expect(server.received).to.have.length(1);
    const [got] = server.received;
    expect(got?.from).to.equal('no-reply@cambio.example');
    expect(got?.to).to.deep.equal(['ana@example.com']);
    const parsed = parseEml(got?.raw ?? '');
    expect(parsed.headers.get('to')).to.equal('ana@example.com');
    expect(parsed.headers.get('from')).to.equal(FROM);
    expect(parsed.headers.get('subject')).to.equal('Welcome to Cambio');
    expect(parsed.headers.get('message-id')).to.equal(
      '<7f0d7c36-9a43-4a0e-b0b4-1f5d2b8c9e01@cambio.example>',
    );
    expect(parsed.headers.get('x-cambio-mail-id')).to.equal('7f0d7c36-9a43-4a0e-b0b4-1f5d2b8c9e01');
    expect(parsed.parts.map((p) => [p.contentType, p.body])).to.deep.equal([
      ['text/plain', 'Hello Ana, your account is ready.'],
      ['text/html', '<p>Hello Ana, your account is ready.</p>'],
    ]);
  });

  it('sends the same Message-ID when the same mail is sent again, so receivers can de-dup', async () => {
    server = await startSmtpServer();
    const smtp = makeMailer();
    await smtp.send(mail({ id: 'resend-1' }));
    await smtp.send(mail({ id: 'resend-1' }));
    const ids = server.received.map((r) => parseEml(r.raw).headers.get('message-id'));
    expect(ids).to.deep.equal(['<resend-1@cambio.example>', '<resend-1@cambio.example>']);
  });

  it('authenticates when credentials are given', async () => {
    server = await startSmtpServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'cambio' && auth.password === 's3cret') {
          callback(null, { user: auth.username });
        } else {
          callback(new Error('Invalid username or password'));
        }
      },
    });
    await makeMailer({ auth: { user: 'cambio', pass: 's3cret' } }).send(mail());
    expect(server.received.map((r) => r.user)).to.deep.equal(['cambio']);
  });

  it('rejects when the server answers 4xx, so the caller retries later', async () => {
    server = await startSmtpServer({
      onRcptTo(_address, _session, callback) {
        callback(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
      },
    });
    let failure: unknown;
    try {
      await makeMailer().send(mail());
    } catch (error) {
      failure = error;
    }
    expect(failure).to.be.instanceOf(Error);
    expect((failure as { responseCode?: number }).responseCode).to.equal(451);
    expect(server.received).to.deep.equal([]);
  });

  it('rejects when the server refuses the message data with 4xx', async () => {
    server = await startSmtpServer({
      onData(stream, _session, callback) {
        stream.on('data', () => {});
        stream.on('end', () =>
          callback(Object.assign(new Error('Queue full'), { responseCode: 452 })),
        );
      },
    });
    let failure: unknown;
    try {
      await makeMailer().send(mail());
    } catch (error) {
      failure = error;
    }
    expect((failure as { responseCode?: number }).responseCode).to.equal(452);
  });

  it('rejects within its timeout when the server accepts but never greets', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    const smtp = createSmtpMailer({
      host: '127.0.0.1',
      port,
      from: FROM,
      logger,
      greetingTimeoutMs: 500,
    });
    mailer = smtp;
    let failure: unknown;
    try {
      await smtp.send(mail());
    } catch (error) {
      failure = error;
    }
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    expect(failure).to.be.instanceOf(Error);
    expect(String(failure)).to.match(/greeting/i);
  });
});
