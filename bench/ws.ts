/**
 * Websocket fan-out benchmark: tick-to-receipt latency and server memory as clients grow.
 *
 *   npm run bench -- ws            (or: node --import tsx bench/ws.ts)
 *   options: --clients 1000,5000  --ticks 30  --interval-ms 250
 *
 * The server (HTTP + websocket server + in-process bus + latest rates, as a read-api
 * process runs them) is a child process, so its RSS and heap are its own; the clients live
 * in this process. Each tick is a simulated-market snapshot stamped with the monotonic
 * clock (shared by all processes of the machine) just before it is published on the bus; a
 * client's latency is its receipt time minus that stamp, so it covers bus, latest rates,
 * rendering, the server's writes, the kernel and the client process's own queue. Every
 * phase runs in the same invocation as the 1-client baseline, and the table gives ratios.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import WebSocket from 'ws';
import { createInProcessBus } from '../infra/bus/in-process-bus.ts';
import { listen } from '../infra/http/http-server.ts';
import { createMetrics } from '../infra/metrics/metrics.ts';
import { LatestRates } from '../infra/rates/latest-rates.ts';
import { ratesMessageData } from '../infra/rates/rate-feed.ts';
import { createSimulatedMarket } from '../infra/rates/simulated-market.ts';
import { ratesSubject } from '../ports/live-messages.ts';
import { attachWebSocketServer } from '../read-api/websocket/websocket-server.ts';

const SERVER_FLAG = '--ws-bench-server';
/** Extra "currencies" carrying the send stamp (ns, monotonic) and the tick number. */
const SENT_KEY = 'ZZSENTNS';
const SEQ_KEY = 'ZZSEQ';
const CONNECT_CONCURRENCY = 100;
const WARMUP_TICKS = 5;
const DRAIN_WAIT_MS = 5000;

// --- the server child ---------------------------------------------------------------------

type ToServer = { cmd: 'tick'; seq: number } | { cmd: 'stats' } | { cmd: 'stop' };
type FromServer =
  | { kind: 'ready'; port: number; messageBytes: number }
  | {
      kind: 'stats';
      clients: number;
      rss: number;
      heapUsed: number;
      external: number;
      cpuMicros: number;
    };

const runServer = async (): Promise<void> => {
  const send = (message: FromServer) => process.send?.(message);
  const logger = pino({ level: 'warn' });
  const bus = createInProcessBus({ logger });
  const latestRates = new LatestRates({ bus, logger });
  const http = await listen(
    (_req, res) => {
      res.statusCode = 404;
      res.end();
    },
    '127.0.0.1',
    0,
  );
  const live = attachWebSocketServer({
    server: http.server,
    bus,
    latestRates,
    verifyAccessToken: async () => {
      throw new Error('no tokens in this benchmark');
    },
    readWallet: async () => {
      throw new Error('no wallets in this benchmark');
    },
    logger,
    metrics: createMetrics(),
    limits: { maxConnections: 20_000 },
  });
  const market = createSimulatedMarket({ seed: 42, tickMs: 60_000 });
  const tickData = (seq: number) => {
    const data = ratesMessageData(market.tick());
    const rates = data.rates as Record<string, string>;
    rates[SEQ_KEY] = String(seq);
    rates[SENT_KEY] = String(process.hrtime.bigint());
    return data;
  };
  // The first snapshot, so clients get one on connect as in production.
  bus.publish(ratesSubject('USD'), tickData(0));

  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (message: ToServer) => {
    switch (message.cmd) {
      case 'tick':
        bus.publish(ratesSubject('USD'), tickData(message.seq));
        return;
      case 'stats': {
        gc?.();
        const memory = process.memoryUsage();
        const cpu = process.cpuUsage();
        send({
          kind: 'stats',
          clients: live.clientCount(),
          rss: memory.rss,
          heapUsed: memory.heapUsed,
          external: memory.external,
          cpuMicros: cpu.user + cpu.system,
        });
        return;
      }
      case 'stop':
        void (async () => {
          await live.close();
          latestRates.close();
          await http.close(1000);
          await bus.close();
          process.exit(0);
        })();
        return;
    }
  });
  send({
    kind: 'ready',
    port: http.port,
    messageBytes: JSON.stringify({ currency: 'USD', ...tickData(0) }).length,
  });
};

// --- the driver -----------------------------------------------------------------------------

interface Options {
  clients: number[];
  ticks: number;
  intervalMs: number;
}

const parseOptions = (args: string[]): Options => {
  const value = (name: string) => {
    const index = args.indexOf(name);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const positive = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const parsed = Number(text);
    if (!Number.isSafeInteger(parsed) || parsed <= 0) {
      throw new Error(`${name} must be a positive integer, got ${text}`);
    }
    return parsed;
  };
  const clients = (value('--clients') ?? '1000,5000')
    .split(',')
    .map((text) => positive('--clients', text, 0));
  return {
    clients: [1, ...clients.filter((count) => count !== 1)],
    ticks: positive('--ticks', value('--ticks'), 30),
    intervalMs: positive('--interval-ms', value('--interval-ms'), 250),
  };
};

const fdLimits = (): { soft: number; hard: number } => {
  const read = (flag: string) => {
    const out = spawnSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).stdout.trim();
    return out === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(out);
  };
  return { soft: read('-Sn'), hard: read('-Hn') };
};

interface Server {
  child: ChildProcess;
  port: number;
  messageBytes: number;
  request(message: ToServer): void;
  stats(): Promise<Extract<FromServer, { kind: 'stats' }>>;
}

const startServer = async (): Promise<Server> => {
  const child = fork(fileURLToPath(import.meta.url), [SERVER_FLAG], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiters: Array<(message: FromServer) => void> = [];
  child.on('message', (message: FromServer) => waiters.shift()?.(message));
  const nextMessage = () => new Promise<FromServer>((resolve) => waiters.push(resolve));
  const ready = await nextMessage();
  if (ready.kind !== 'ready') throw new Error('the server child did not start');
  return {
    child,
    port: ready.port,
    messageBytes: ready.messageBytes,
    request: (message) => child.send(message),
    async stats() {
      const reply = nextMessage();
      child.send({ cmd: 'stats' } satisfies ToServer);
      const stats = await reply;
      if (stats.kind !== 'stats') throw new Error('unexpected answer from the server child');
      return stats;
    },
  };
};

interface Phase {
  clients: number;
  delivered: number;
  expected: number;
  latenciesMs: number[];
  rss: number;
  heapUsed: number;
  external: number;
  cpuMsPerTick: number;
  clientCpuMsPerTick: number;
  connectMs: number;
}

const markerOf = (text: string, key: string): string | null => {
  const start = text.indexOf(`"${key}":"`);
  if (start < 0) return null;
  const from = start + key.length + 4;
  return text.slice(from, text.indexOf('"', from));
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const runPhase = async (server: Server, count: number, options: Options): Promise<Phase> => {
  const url = `ws://127.0.0.1:${server.port}/ws/exchange-rates`;
  const latencies: number[] = [];
  let measuringFrom = Number.POSITIVE_INFINITY;
  let delivered = 0;
  const sockets: WebSocket[] = [];

  const open = () =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
      ws.on('message', (data) => {
        const text = String(data);
        const seq = Number(markerOf(text, SEQ_KEY));
        if (seq < measuringFrom) return;
        const sent = markerOf(text, SENT_KEY);
        if (sent === null) return;
        latencies.push(Number(process.hrtime.bigint() - BigInt(sent)) / 1e6);
        delivered += 1;
      });
      ws.once('open', () => resolve());
      ws.once('error', reject);
      sockets.push(ws);
    });

  const connectStart = performance.now();
  for (let opened = 0; opened < count; opened += CONNECT_CONCURRENCY) {
    await Promise.all(
      Array.from({ length: Math.min(CONNECT_CONCURRENCY, count - opened) }, () => open()),
    );
  }
  const connectMs = performance.now() - connectStart;

  let seq = 1;
  for (let i = 0; i < WARMUP_TICKS; i++, seq++) {
    server.request({ cmd: 'tick', seq });
    await sleep(options.intervalMs);
  }
  await sleep(200);
  measuringFrom = seq;
  const before = await server.stats();
  const clientCpuBefore = process.cpuUsage();
  for (let i = 0; i < options.ticks; i++, seq++) {
    server.request({ cmd: 'tick', seq });
    await sleep(options.intervalMs);
  }
  const expected = count * options.ticks;
  const deadline = Date.now() + DRAIN_WAIT_MS;
  while (delivered < expected && Date.now() < deadline) await sleep(20);
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const after = await server.stats();

  for (const ws of sockets) ws.terminate();
  while ((await server.stats()).clients > 0) await sleep(50);

  return {
    clients: count,
    delivered,
    expected,
    latenciesMs: latencies,
    rss: after.rss,
    heapUsed: after.heapUsed,
    external: after.external,
    // Includes the stats requests and the bus; the server does nothing else meanwhile.
    cpuMsPerTick: (after.cpuMicros - before.cpuMicros) / 1000 / options.ticks,
    clientCpuMsPerTick: (clientCpu.user + clientCpu.system) / 1000 / options.ticks,
    connectMs,
  };
};

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN);

const MB = 1024 * 1024;

const report = (phases: Phase[], idle: { rss: number; heapUsed: number }): void => {
  const rows = phases.map((phase) => {
    const sorted = [...phase.latenciesMs].sort((a, b) => a - b);
    return {
      phase,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? Number.NaN,
    };
  });
  const base = rows[0];
  if (!base) return;
  const ratio = (value: number, baseline: number) =>
    baseline > 0 ? `${(value / baseline).toFixed(1)}x` : '-';
  const header = [
    'clients',
    'delivered',
    'p50 ms',
    'p99 ms',
    'max ms',
    'RSS MB',
    'heap MB',
    'ext MB',
    'server CPU ms/tick',
    'client CPU ms/tick',
    'connect s',
    'p50 ×',
    'p99 ×',
    'RSS ×',
    'heap ×',
  ];
  const lines = rows.map(({ phase, p50, p99, max }) => [
    String(phase.clients),
    `${((100 * phase.delivered) / phase.expected).toFixed(1)}%`,
    p50.toFixed(2),
    p99.toFixed(2),
    max.toFixed(2),
    (phase.rss / MB).toFixed(1),
    (phase.heapUsed / MB).toFixed(1),
    (phase.external / MB).toFixed(1),
    phase.cpuMsPerTick.toFixed(2),
    phase.clientCpuMsPerTick.toFixed(2),
    (phase.connectMs / 1000).toFixed(1),
    ratio(p50, base.p50),
    ratio(p99, base.p99),
    ratio(phase.rss, base.phase.rss),
    ratio(phase.heapUsed, base.phase.heapUsed),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => (line[i] ?? '').length)),
  );
  const format = (cells: string[]) =>
    cells.map((cell, i) => cell.padStart(widths[i] ?? 0)).join(' | ');
  console.log(format(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('-|-'));
  for (const line of lines) console.log(format(line));
  console.log(
    `idle server before any client: RSS ${(idle.rss / MB).toFixed(1)} MB, heap ${(idle.heapUsed / MB).toFixed(1)} MB` +
      ` (memory is measured after a GC with the clients still connected)`,
  );
  for (const { phase } of rows.slice(1)) {
    const perClient = (phase.heapUsed - base.phase.heapUsed) / (phase.clients - 1);
    const rssPerClient = (phase.rss - base.phase.rss) / (phase.clients - 1);
    console.log(
      `${phase.clients} clients: ≈${(perClient / 1024).toFixed(1)} KiB heap and ≈${(rssPerClient / 1024).toFixed(1)} KiB RSS per extra client`,
    );
  }
};

export const runWsBench = async (args: string[]): Promise<void> => {
  const options = parseOptions(args);
  const limits = fdLimits();
  const largest = Math.max(...options.clients);
  // This process holds one socket per client (the server child holds the other end).
  const needed = largest + 256;
  console.log(`open-file limit: soft ${limits.soft}, hard ${limits.hard}; needed ≈${needed}`);
  if (limits.soft < needed) {
    if (limits.hard >= needed && !process.env.CAMBIO_WS_BENCH_RAISED) {
      console.log(`raising the soft limit to ${limits.hard} and running again`);
      const child = spawn(
        'sh',
        [
          '-c',
          `ulimit -n ${limits.hard} && exec "$0" "$@"`,
          process.execPath,
          ...process.execArgv,
          ...process.argv.slice(1),
        ],
        { stdio: 'inherit', env: { ...process.env, CAMBIO_WS_BENCH_RAISED: '1' } },
      );
      const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
      if (code !== 0) process.exitCode = code;
      return;
    }
    const fit = Math.max(1, limits.soft - 256);
    console.log(`the hard limit is too low: phases capped at ${fit} clients`);
    options.clients = [...new Set(options.clients.map((count) => Math.min(count, fit)))];
  }

  const server = await startServer();
  try {
    console.log(
      `ws bench: ${options.ticks} ticks per phase every ${options.intervalMs} ms, ` +
        `${server.messageBytes} B per tick on /ws/exchange-rates, clients ${options.clients.join(', ')}`,
    );
    const idle = await server.stats();
    const phases: Phase[] = [];
    for (const count of options.clients) {
      const phase = await runPhase(server, count, options);
      console.log(
        `  ${count} clients: connected in ${(phase.connectMs / 1000).toFixed(1)} s, ` +
          `${phase.delivered}/${phase.expected} ticks delivered`,
      );
      phases.push(phase);
    }
    console.log();
    report(phases, idle);
    const [one, five, fifteen] = loadavg().map((load) => load.toFixed(1));
    console.log(
      `machine: ${availableParallelism()} cores, load average ${one} / ${five} / ${fifteen}; ` +
        'when the client CPU per tick nears the tick interval, the clients (one process) are ' +
        'the bottleneck and latency includes their queue',
    );
  } finally {
    server.request({ cmd: 'stop' });
    await new Promise((resolve) => server.child.once('exit', resolve));
  }
};

const isMain =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  if (process.argv.includes(SERVER_FLAG)) {
    await runServer();
  } else {
    await runWsBench(process.argv.slice(2));
  }
}
