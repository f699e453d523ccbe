/**
 * Load scenario in the seed API's spirit: many newcomers register, verify their e-mail, log in,
 * then deposit, buy, sell and read their balance and history over and over while each holds a
 * websocket on its wallet and the rates. Thresholds on errors and latency decide the exit code.
 *
 *   npm run load                                   embedded: starts `cambio start` on a temp dir
 *   npm run load -- --url http://127.0.0.1:3000 --mailpit http://127.0.0.1:8025   (compose)
 *   options: --users 40  --sign-in-concurrency 4  --duration 20 (s, trading stage)
 *            --outbox <dir> (codes from a file outbox instead of Mailpit)
 *            --max-p99-ms 1000  --max-sign-in-p99-ms 3000  --max-error-rate 0
 *
 * The HTTP load comes from autocannon (the repo's benchmark tool): each stage is one run, every
 * connection plays one user. Codes come from the file outbox (embedded) or Mailpit's API.
 * Exit 0: every threshold held; 1: one failed (listed); 3: could not run.
 */
import autocannon from 'autocannon';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { CambioProcess } from '../test/support/cambio-process.ts';
import { readOutbox } from '../test/support/http-client.ts';

export interface Thresholds {
  /** Highest p99 latency of a trading-stage request. */
  maxP99Ms: number;
  /** Highest p99 of register, verify and login (bcrypt makes them slower by design). */
  maxSignInP99Ms: number;
  /** Highest share of non-2xx answers, errors and timeouts, across every stage. */
  maxErrorRate: number;
}

export interface LoadOptions {
  baseUrl: string;
  users: number;
  /**
   * Newcomers signing up at once. Password hashing takes ~100 ms of CPU by design, so a burst of
   * all users at once only measures the queue; real sign-ups arrive spread out.
   */
  signInConcurrency: number;
  durationSeconds: number;
  /** The code mailed to `mail`, waiting for it. */
  verificationCodes: (mails: string[]) => Promise<Map<string, string>>;
  thresholds: Thresholds;
  log?: (line: string) => void;
}

export interface StageReport {
  stage: string;
  requests: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p97_5Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LoadReport {
  stages: StageReport[];
  websockets: { opened: number; droppedEarly: number; walletUpdates: number; rateUpdates: number };
  /** Threshold breaches, one line each; empty when the run passed. */
  failures: string[];
}

const PASSWORD = 'correct horse battery staple';

interface User {
  mail: string;
  token?: string;
}

/** What autocannon keeps per connection: the user it plays. */
interface Connection {
  user?: User;
}

/** One autocannon run of `amount` requests (or for `duration` s) over `connections` connections. */
const stage = async (
  name: string,
  baseUrl: string,
  connections: number,
  requests: autocannon.Request[],
  limit: { amount: number } | { duration: number },
): Promise<StageReport> => {
  const result = await autocannon({
    url: baseUrl,
    connections,
    ...limit,
    requests,
    timeout: 10,
  });
  const errors = result.non2xx + result.errors + result.timeouts;
  return {
    stage: name,
    requests: result.requests.total,
    errors,
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p97_5Ms: result.latency.p97_5,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
  };
};

/** Hands each connection the next user, once; later requests of that connection reuse it. */
const userPerConnection = (users: User[]) => {
  let next = 0;
  return (context: object): User => {
    const connection = context as Connection;
    connection.user ??= users[next++ % users.length] as User;
    return connection.user;
  };
};

const json = (body: unknown) => ({
  method: 'POST' as const,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const authorized = (user: User, request: autocannon.Request): autocannon.Request => ({
  ...request,
  headers: { ...request.headers, authorization: `Bearer ${user.token ?? ''}` },
});

/** A websocket per user on /ws, subscribed to its wallet and the rates, counting what comes. */
const holdWebsockets = async (baseUrl: string, users: User[]) => {
  const counts = { opened: 0, droppedEarly: 0, walletUpdates: 0, rateUpdates: 0 };
  let closing = false;
  const sockets = await Promise.all(
    users.map(
      (user) =>
        new Promise<WebSocket>((resolve, reject) => {
          const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, 'cambio.v1');
          socket.once('open', () => {
            counts.opened++;
            socket.send(JSON.stringify({ op: 'auth', token: user.token }));
            socket.send(JSON.stringify({ op: 'subscribe', channel: 'wallet' }));
            socket.send(JSON.stringify({ op: 'subscribe', channel: 'rates', currencies: ['BTC'] }));
            resolve(socket);
          });
          socket.once('error', reject);
          socket.on('message', (data: Buffer) => {
            const type = (JSON.parse(data.toString()) as { type?: string }).type;
            if (type === 'wallet') counts.walletUpdates++;
            if (type === 'rates') counts.rateUpdates++;
          });
          socket.once('close', () => {
            if (!closing) counts.droppedEarly++;
          });
        }),
    ),
  );
  return {
    counts,
    close: () => {
      closing = true;
      for (const socket of sockets) socket.close(1000);
    },
  };
};

export const runLoadScenario = async (options: LoadOptions): Promise<LoadReport> => {
  const { baseUrl, thresholds } = options;
  const log = options.log ?? (() => {});
  const run = `${Date.now().toString(36)}-${process.pid}`;
  const users: User[] = Array.from({ length: options.users }, (_, index) => ({
    mail: `load-${run}-${index}@example.com`,
  }));
  const person = (user: User) => ({
    name: 'Load',
    lastName: 'Test',
    mail: user.mail,
    password: PASSWORD,
  });
  const stages: StageReport[] = [];
  const once = { amount: users.length };
  const signIn = Math.min(options.signInConcurrency, users.length);

  let nextUser = 0;
  const eachUserOnce = () => users[nextUser++ % users.length] as User;

  log(`register ${users.length} newcomers`);
  nextUser = 0;
  stages.push(
    await stage(
      'register (code mailed)',
      baseUrl,
      signIn,
      [
        {
          path: '/api/user/register',
          ...json({}),
          setupRequest: (request) => ({ ...request, ...json(person(eachUserOnce())) }),
        },
      ],
      once,
    ),
  );
  const codes = await options.verificationCodes(users.map((user) => user.mail));
  log(`verify with the ${codes.size} mailed codes`);
  nextUser = 0;
  stages.push(
    await stage(
      'register with code',
      baseUrl,
      signIn,
      [
        {
          path: '/api/user/register',
          ...json({}),
          setupRequest: (request) => {
            const user = eachUserOnce();
            return { ...request, ...json({ ...person(user), verification: codes.get(user.mail) }) };
          },
        },
      ],
      once,
    ),
  );
  log('log in');
  nextUser = 0;
  stages.push(
    await stage(
      'login',
      baseUrl,
      signIn,
      [
        {
          path: '/api/user/login',
          ...json({}),
          setupRequest: (request, context) => {
            const user = eachUserOnce();
            (context as Connection).user = user;
            return { ...request, ...json({ mail: user.mail, password: PASSWORD }) };
          },
          onResponse: (status, body, context) => {
            const { user } = context as Connection;
            if (status === 200 && user) user.token = (JSON.parse(body) as { token: string }).token;
          },
        },
      ],
      once,
    ),
  );

  const missing = users.filter((user) => user.token === undefined).length;
  const live = await holdWebsockets(
    baseUrl,
    users.filter((user) => user.token !== undefined),
  );
  log(`trade for ${options.durationSeconds} s with ${live.counts.opened} websockets open`);
  const userOf = userPerConnection(users);
  const as = (request: autocannon.Request): autocannon.Request => ({
    ...request,
    setupRequest: (current, context) => authorized(userOf(context), current),
  });
  stages.push(
    await stage(
      'deposit, buy, sell, balance, history',
      baseUrl,
      users.length,
      [
        as({ path: '/api/user/wallet/deposit', ...json({ amount: '100.00' }) }),
        as({ path: '/api/user/wallet/buy', ...json({ currency: 'BTC', amount: '0.0001' }) }),
        as({ path: '/api/user/wallet/sell', ...json({ currency: 'BTC', amount: '0.00005' }) }),
        as({ path: '/api/user/wallet/balance', method: 'GET' }),
        as({ path: '/api/user/wallet/history?limit=20', method: 'GET' }),
      ],
      { duration: options.durationSeconds },
    ),
  );
  live.close();

  const failures: string[] = [];
  if (missing > 0) failures.push(`${missing} users got no token`);
  const total = stages.reduce((sum, report) => sum + report.requests, 0);
  const errors = stages.reduce((sum, report) => sum + report.errors, 0);
  if (errors > thresholds.maxErrorRate * total) {
    failures.push(
      `error rate ${(errors / total).toFixed(4)} > ${thresholds.maxErrorRate} (${errors} of ${total})`,
    );
  }
  for (const report of stages) {
    const limit = report.stage.startsWith('deposit')
      ? thresholds.maxP99Ms
      : thresholds.maxSignInP99Ms;
    if (report.p99Ms > limit)
      failures.push(`${report.stage}: p99 ${report.p99Ms} ms > ${limit} ms`);
  }
  const { counts } = live;
  if (counts.droppedEarly > 0)
    failures.push(`${counts.droppedEarly} websockets dropped during the run`);
  if (counts.walletUpdates < counts.opened) {
    failures.push(
      `${counts.walletUpdates} wallet updates for ${counts.opened} sockets: some saw none`,
    );
  }
  return { stages, websockets: counts, failures };
};

export const formatReport = (report: LoadReport): string[] => [
  'stage                                  requests  errors   req/s   p50 ms  p97.5 ms  p99 ms  max ms',
  ...report.stages.map(
    (s) =>
      `${s.stage.padEnd(38)} ${String(s.requests).padStart(8)} ${String(s.errors).padStart(7)} ${s.rps.toFixed(0).padStart(7)} ${String(s.p50Ms).padStart(8)} ${String(s.p97_5Ms).padStart(9)} ${String(s.p99Ms).padStart(7)} ${String(s.maxMs).padStart(7)}`,
  ),
  `websockets: ${report.websockets.opened} opened, ${report.websockets.droppedEarly} dropped, ` +
    `${report.websockets.walletUpdates} wallet and ${report.websockets.rateUpdates} rate messages`,
  report.failures.length === 0
    ? 'thresholds: all held'
    : `thresholds FAILED:\n  ${report.failures.join('\n  ')}`,
];

/** Codes from the file outbox: every mail's subject carries its code. */
export const outboxCodes = (outboxDir: string) => async (mails: string[]) => {
  const wanted = new Set(mails);
  const codes = new Map<string, string>();
  const deadline = Date.now() + 30_000;
  while (codes.size < wanted.size && Date.now() < deadline) {
    for (const mail of await readOutbox(outboxDir)) {
      if (wanted.has(mail.to) && mail.code !== null) codes.set(mail.to, mail.code);
    }
    if (codes.size < wanted.size) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return codes;
};

/** Codes from Mailpit's API (the compose deployment's mail catcher). */
export const mailpitCodes = (mailpitUrl: string) => async (mails: string[]) => {
  const codes = new Map<string, string>();
  const deadline = Date.now() + 30_000;
  while (codes.size < mails.length && Date.now() < deadline) {
    for (const mail of mails.filter((address) => !codes.has(address))) {
      const response = await fetch(
        `${mailpitUrl}/api/v1/search?query=${encodeURIComponent(`to:"${mail}"`)}`,
      );
      const { messages = [] } = (await response.json()) as { messages?: { Subject: string }[] };
      const code = messages
        .map((message) => /verification code: (\d{6})/.exec(message.Subject)?.[1])
        .find(Boolean);
      if (code !== undefined) codes.set(mail, code);
    }
    if (codes.size < mails.length) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return codes;
};

const main = async (): Promise<number> => {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      mailpit: { type: 'string' },
      outbox: { type: 'string' },
      users: { type: 'string', default: '40' },
      'sign-in-concurrency': { type: 'string', default: '4' },
      duration: { type: 'string', default: '20' },
      'max-p99-ms': { type: 'string', default: '1000' },
      'max-sign-in-p99-ms': { type: 'string', default: '3000' },
      'max-error-rate': { type: 'string', default: '0' },
    },
  });
  const thresholds: Thresholds = {
    maxP99Ms: Number(values['max-p99-ms']),
    maxSignInP99Ms: Number(values['max-sign-in-p99-ms']),
    maxErrorRate: Number(values['max-error-rate']),
  };
  let server: CambioProcess | undefined;
  let baseUrl = values.url;
  let codes;
  if (baseUrl === undefined) {
    server = await CambioProcess.start();
    baseUrl = server.baseUrl;
    codes = outboxCodes(server.outboxDir);
    console.log(`embedded server on ${baseUrl} (data in ${server.dataDir})`);
  } else if (values.mailpit !== undefined) {
    codes = mailpitCodes(values.mailpit);
  } else if (values.outbox !== undefined) {
    codes = outboxCodes(values.outbox);
  } else {
    console.error('with --url, say where the codes are: --mailpit <url> or --outbox <dir>');
    return 3;
  }
  try {
    const report = await runLoadScenario({
      baseUrl,
      users: Number(values.users),
      signInConcurrency: Number(values['sign-in-concurrency']),
      durationSeconds: Number(values.duration),
      verificationCodes: codes,
      thresholds,
      log: (line) => console.log(`- ${line}`),
    });
    for (const line of formatReport(report)) console.log(line);
    return report.failures.length === 0 ? 0 : 1;
  } finally {
    await server?.cleanup();
  }
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exit(await main());
