/**
 * A real SMTP server in the test process (the smtp-server package) on a free port, recording
 * every mail it accepted. A mail counts as received only once the server answered 250 on a
 * live connection: a client killed while the server still held the reply did not get its
 * mail accepted, exactly as with a real MTA that honours the protocol.
 */
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { parseEml } from '../infra/mail/parse-eml.ts';
import { freePort } from '../support/nats-server.ts';

export interface ReceivedMail {
  to: string[];
  subject: string;
  messageId: string;
  /** The X-Cambio-Mail-Id header: the id of the event that asked for the mail. */
  mailId: string;
  text: string;
  html: string;
  code: string | null;
  receivedAt: Date;
}

/** What the server answers a recipient: null accepts, an SMTP code and text refuse. */
export type RcptAnswer = { code: number; message: string } | null;

export interface TestSmtpServerOptions {
  /** A given port (to come back where a closed server was); a free one otherwise. */
  port?: number;
  /** Wait this long after receiving the message before answering 250 (a slow server). */
  dataDelayMs?: number | ((to: string[]) => number);
  /** Called when a message arrived in full, before the delayed answer: tests kill clients here. */
  onMessageArrived?: (arrived: number, to: string[]) => void;
  /** Refuse recipients; may be changed later through `rcpt`. */
  rcpt?: (address: string) => RcptAnswer;
}

export interface TestSmtpServer {
  readonly port: number;
  readonly url: string;
  readonly received: ReceivedMail[];
  /** Messages whose client went away before the 250: not accepted. */
  readonly abandoned: number;
  rcpt: (address: string) => RcptAnswer;
  /** Mails received per X-Cambio-Mail-Id; a value above 1 is a duplicate. */
  countsByMailId(): Map<string, number>;
  close(): Promise<void>;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startTestSmtpServer(
  options: TestSmtpServerOptions = {},
): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const closedSessions = new Set<string>();
  let arrived = 0;
  let abandoned = 0;
  const delayOf = (to: string[]): number =>
    typeof options.dataDelayMs === 'function'
      ? options.dataDelayMs(to)
      : (options.dataDelayMs ?? 0);

  const state = { rcpt: options.rcpt ?? ((): RcptAnswer => null) };

  const record = (raw: string) => {
    const parsed = parseEml(raw);
    const part = (type: string) => parsed.parts.find((p) => p.contentType === type)?.body ?? '';
    const subject = parsed.headers.get('subject') ?? '';
    received.push({
      to: (parsed.headers.get('to') ?? '').split(',').map((to) => to.trim()),
      subject,
      messageId: parsed.headers.get('message-id') ?? '',
      mailId: parsed.headers.get('x-cambio-mail-id') ?? '',
      text: part('text/plain'),
      html: part('text/html'),
      code: /verification code: (\d{6})/.exec(subject)?.[1] ?? null,
      receivedAt: new Date(),
    });
  };

  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    // Many concurrent processes may connect; none should be turned away.
    maxClients: 1000,
    // Closing waits this long for clients (pooled connections) before cutting them.
    closeTimeout: 500,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const answer = state.rcpt(address.address);
      if (answer === null) return callback();
      callback(Object.assign(new Error(answer.message), { responseCode: answer.code }));
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', () => {});
      stream.on('end', () => {
        arrived += 1;
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        options.onMessageArrived?.(arrived, to);
        void delay(delayOf(to)).then(() => {
          if (closedSessions.has(session.id)) {
            abandoned += 1;
          } else {
            record(Buffer.concat(chunks).toString('utf8'));
          }
          callback();
        });
      });
    },
    onClose(session) {
      closedSessions.add(session.id);
    },
  });
  server.on('error', () => {
    // A client killed mid-command surfaces here; the connection is gone, nothing to do.
  });
  const port = options.port ?? (await freePort());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    get abandoned() {
      return abandoned;
    },
    get rcpt() {
      return state.rcpt;
    },
    set rcpt(answer) {
      state.rcpt = answer;
    },
    countsByMailId() {
      const counts = new Map<string, number>();
      for (const mail of received) counts.set(mail.mailId, (counts.get(mail.mailId) ?? 0) + 1);
      return counts;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Mail ids received more than once, with their counts. */
export const duplicates = (smtp: TestSmtpServer): [string, number][] =>
  [...smtp.countsByMailId()].filter(([, count]) => count > 1);
