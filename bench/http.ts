/**
 * Command throughput benchmark: an authenticated, fsynced deposit against a bare express route.
 *
 *   npm run bench -- http          (or: node --import tsx bench/http.ts)
 *   options: --duration 6 --rounds 3 --connections 64 --wallets 64
 *            --scenarios bare,spread,hot --log-level warn --synchronous full
 *            --profile [dir]   writes a .cpuprofile of the Cambio server (all rounds) and prints
 *                              its top functions by self time
 *            --compare <checkout>[,<checkout>]   also runs the deposit scenarios against the
 *                              server of another checkout (e.g. a worktree of an older commit),
 *                              alternating with this one's in the same run: before/after tables
 *            --summarise <file.cpuprofile> [--window <from µs> <to µs>]   prints that summary
 *                              for an existing profile (the window: monotonic clock)
 *
 * Two servers run as child processes, both started before the first round:
 * - bare: express with one `GET /hello` route and nothing else (the ceiling of this machine);
 * - cambio: the real embedded server (`bin/cambio.js start`, every role in one process, SQLite
 *   event store with the given fsync policy, projector, reactions, notifier).
 * The deposit scenarios send `POST /api/user/wallet/deposit` with a bearer token per wallet:
 * "spread" gives each connection its own wallet (connection i uses wallet i mod --wallets),
 * "hot" sends every connection's deposits to one wallet. Tokens are signed with the key the
 * server derives from CAMBIO_SECRET, so the server verifies them exactly as it verifies a
 * logged-in user's token.
 *
 * Rounds alternate the scenarios (bare, spread, hot, bare, ...) so that a neighbour's load on
 * this shared machine hits all of them alike; the summary gives medians over the rounds and
 * each deposit scenario's ratio to the bare route of the same rounds. CPU µs per request is
 * the server process's user+system CPU time (/proc) over the round divided by its requests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import express from 'express';
import { signAccessToken } from '../infra/auth/access-tokens.ts';
import { loadKeys } from '../infra/auth/secrets.ts';

const BARE_FLAG = '--http-bench-bare-server';
const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CLOCK_TICKS_PER_SECOND = 100;
const WARMUP_SECONDS = 2;

type Scenario = 'bare' | 'spread' | 'hot';

interface Options {
  duration: number;
  rounds: number;
  connections: number;
  wallets: number;
  scenarios: Scenario[];
  logLevel: string;
  synchronous: string;
  profileDir: string | undefined;
  /** Other checkouts whose servers run the deposit scenarios beside this one's. */
  compare: string[];
}

interface Round {
  name: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  cpuMicrosPerRequest: number;
}

// --- the bare server child ----------------------------------------------------------------

const runBareServer = () => {
  const app = express();
  app.disable('x-powered-by');
  app.get('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => {
    process.send?.('ready');
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
};

// --- the benchmark ------------------------------------------------------------------------

const parseOptions = (args: string[]): Options => {
  const value = (name: string, fallback: string): string => {
    const index = args.indexOf(`--${name}`);
    const next = index >= 0 ? args[index + 1] : undefined;
    return next !== undefined && !next.startsWith('--') ? next : fallback;
  };
  const profileIndex = args.indexOf('--profile');
  const scenarios = value('scenarios', 'bare,spread,hot').split(',') as Scenario[];
  for (const scenario of scenarios) {
    if (!['bare', 'spread', 'hot'].includes(scenario)) throw new Error(`unknown ${scenario}`);
  }
  return {
    duration: Number(value('duration', '6')),
    rounds: Number(value('rounds', '3')),
    connections: Number(value('connections', '64')),
    wallets: Number(value('wallets', '64')),
    scenarios,
    logLevel: value('log-level', 'warn'),
    synchronous: value('synchronous', 'full'),
    profileDir:
      profileIndex < 0 ? undefined : resolve(value('profile', join(REPO_ROOT, 'bench-profiles'))),
    compare: value('compare', '')
      .split(',')
      .filter((dir) => dir !== '')
      .map((dir) => resolve(dir)),
  };
};

const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error()),
      );
    });
  });

const waitUntilHealthy = async (url: string, child: ChildProcess, output: () => string) => {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not healthy in 60 s:\n${output()}`);
};

/** User+system CPU time of a process, in microseconds (all its threads). */
const cpuMicros = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
};

const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The profile's functions by self time, and its share per package / source folder. */
/** Microseconds on the monotonic clock, which V8 profiles use too and every process shares. */
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Summarises the samples taken within [from, to] (monotonic µs; the measured rounds, so that
 * start-up and shutdown do not count).
 */
const summariseProfile = (file: string, from = 0, to = Infinity): string => {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at >= from && at <= to) self.set(id, (self.get(id) ?? 0) + delta);
  });
  // Shares of busy time: idle is what the machine left to others, not a cost.
  const idleIds = new Set(
    profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id),
  );
  for (const id of idleIds) self.delete(id);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const where = (url: string): string => {
    const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (modules) return modules[1]!;
    if (url.startsWith('node:')) return url;
    const local = url.replace(/^file:\/\//, '').replace(`${REPO_ROOT}/`, '');
    return local === '' ? '(native/vm)' : local.split('/').slice(0, 2).join('/');
  };
  const functions = new Map<string, number>();
  const places = new Map<string, number>();
  for (const [id, micros] of self) {
    const { callFrame } = byId.get(id)!;
    const name = `${callFrame.functionName || '(anonymous)'} ${where(callFrame.url)}:${callFrame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
    const place = callFrame.url === '' ? callFrame.functionName : where(callFrame.url);
    places.set(place, (places.get(place) ?? 0) + micros);
  }
  // Inclusive: a sample counts once for every package or folder on its stack.
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  const inclusive = new Map<string, number>();
  for (const [id, micros] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const { url } = byId.get(at)!.callFrame;
      if (url !== '') seen.add(where(url));
    }
    for (const place of seen) inclusive.set(place, (inclusive.get(place) ?? 0) + micros);
  }
  const top = (map: Map<string, number>, count: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, micros]) => `  ${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}`)
      .join('\n');
  return `${(total / 1e6).toFixed(1)} s busy; top functions by share of busy self time:\n${top(functions, 25)}\nself time by package or source folder:\n${top(places, 20)}\ninclusive time (on the stack) by package or source folder:\n${top(inclusive, 30)}`;
};

interface CambioServer {
  /** '' for this checkout, else the compared checkout's folder name. */
  label: string;
  child: ChildProcess;
  port: number;
  spreadTokens: string[];
  hotToken: string;
  output: () => string;
}

/** Starts the real embedded server of the checkout at `root` on a fresh data directory. */
const startCambio = async (
  root: string,
  label: string,
  options: Options,
  dataDirs: string[],
): Promise<CambioServer> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cambio-bench-http-'));
  dataDirs.push(dataDir);
  const secret = randomBytes(32).toString('base64url');
  const port = await freePort();
  const profileArgs =
    options.profileDir && label === ''
      ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`]
      : [];
  const child = spawn(
    process.execPath,
    [...profileArgs, join(root, 'bin', 'cambio.js'), 'start', '--port', String(port)],
    {
      cwd: root,
      env: {
        ...process.env,
        CAMBIO_DATA_DIR: dataDir,
        CAMBIO_SECRET: secret,
        SQLITE_SYNCHRONOUS: options.synchronous,
        LOG_LEVEL: options.logLevel,
        AUTH_RATE_LIMIT_PER_MINUTE: '0',
        // One benchmark user sends hundreds of commands a second: the per-user limit stays on
        // (its cost is part of a command's) but set where it never trips.
        COMMAND_RATE_LIMIT_PER_MINUTE: '1000000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  await waitUntilHealthy(`http://127.0.0.1:${port}/health`, child, () => output);
  const settings = {
    key: createSecretKey(loadKeys(secret, dataDir).accessToken),
    issuer: 'cambio',
    audience: 'cambio-api',
    ttlSeconds: 3600,
  };
  const tokenOf = (userId: string) =>
    signAccessToken(settings, { userId, sessionId: randomUUID(), roles: [] });
  return {
    label,
    child,
    port,
    spreadTokens: Array.from({ length: options.wallets }, () => tokenOf(randomUUID())),
    hotToken: tokenOf(randomUUID()),
    output: () => output,
  };
};

const main = async () => {
  const options = parseOptions(process.argv.slice(2));
  const barePort = await freePort();
  const window = { from: 0, to: Infinity };
  const dataDirs: string[] = [];
  const children: ChildProcess[] = [];

  const bare = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), BARE_FLAG],
    {
      env: { ...process.env, PORT: String(barePort) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  children.push(bare);
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
  const profilesBefore = new Set(options.profileDir ? readdirSync(options.profileDir) : []);

  try {
    await waitUntilHealthy(`http://127.0.0.1:${barePort}/hello`, bare, () => '');
    const servers: CambioServer[] = [];
    for (const [root, label] of [
      [REPO_ROOT, ''],
      ...options.compare.map((dir) => [dir, basename(dir)]),
    ] as const) {
      const server = await startCambio(root, label, options, dataDirs);
      children.push(server.child);
      servers.push(server);
    }

    /** A round's name: the scenario, and which checkout unless it is this one. */
    interface Target {
      name: string;
      scenario: Scenario;
      pid: number;
      options: autocannon.Options;
    }
    const targets: Target[] = options.scenarios.flatMap((scenario): Target[] => {
      if (scenario === 'bare') {
        return [
          {
            name: 'bare',
            scenario,
            pid: bare.pid!,
            options: { url: `http://127.0.0.1:${barePort}/hello` },
          },
        ];
      }
      return servers.map((server) => {
        let nextWallet = 0;
        return {
          name: server.label === '' ? scenario : `${scenario}@${server.label}`,
          scenario,
          pid: server.child.pid!,
          options: {
            url: `http://127.0.0.1:${server.port}/api/user/wallet/deposit`,
            method: 'POST',
            body: '{"amount":"1.25"}',
            requests: [
              {
                // Each connection keeps one token (context is per connection).
                setupRequest: (request, context: { token?: string }) => {
                  context.token ??=
                    scenario === 'hot'
                      ? server.hotToken
                      : server.spreadTokens[nextWallet++ % server.spreadTokens.length]!;
                  return {
                    ...request,
                    headers: {
                      'content-type': 'application/json',
                      authorization: `Bearer ${context.token}`,
                    },
                  };
                },
              },
            ],
          },
        };
      });
    });

    const runRound = async (target: Target, seconds: number): Promise<Round> => {
      const cpuBefore = cpuMicros(target.pid);
      const result = await autocannon({
        ...target.options,
        connections: options.connections,
        duration: seconds,
      });
      const cpu = cpuMicros(target.pid) - cpuBefore;
      const requests = result.requests.total;
      return {
        name: target.name,
        requests,
        rps: requests / seconds,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
        cpuMicrosPerRequest: requests > 0 ? cpu / requests : NaN,
      };
    };

    console.log(
      `http bench: ${options.connections} connections, ${options.rounds} rounds of ${options.duration} s, ` +
        `${options.wallets} wallets spread, SQLITE_SYNCHRONOUS=${options.synchronous}, LOG_LEVEL=${options.logLevel}, ` +
        `${availableParallelism()} cores, load ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}` +
        (options.compare.length ? `, compared with ${options.compare.join(', ')}` : ''),
    );
    for (const target of targets) await runRound(target, WARMUP_SECONDS);

    const rounds: Round[] = [];
    const width = Math.max(...targets.map((t) => t.name.length));
    window.from = monotonicMicros();
    for (let round = 1; round <= options.rounds; round++) {
      for (const target of targets) {
        const result = await runRound(target, options.duration);
        rounds.push(result);
        console.log(
          `round ${round} ${target.name.padEnd(width)} ${result.rps.toFixed(0).padStart(6)} req/s  ` +
            `p50 ${String(result.p50).padStart(4)} ms  p99 ${String(result.p99).padStart(4)} ms  ` +
            `${result.cpuMicrosPerRequest.toFixed(0).padStart(5)} µs CPU/req` +
            (result.errors || result.non2xx
              ? `  errors ${result.errors} non-2xx ${result.non2xx}`
              : ''),
        );
      }
    }
    window.to = monotonicMicros();

    const of = (name: string) => rounds.filter((r) => r.name === name);
    const bareRps = median(of('bare').map((r) => r.rps));
    console.log(
      `\n${'scenario'.padEnd(width)}  req/s (median)  p50 ms  p99 ms  CPU µs/req  ratio to bare`,
    );
    for (const { name } of targets) {
      const rs = of(name);
      const rps = median(rs.map((r) => r.rps));
      const ratio = options.scenarios.includes('bare') ? (rps / bareRps).toFixed(2) : '-';
      console.log(
        `${name.padEnd(width)}  ${rps.toFixed(0).padStart(14)}  ${median(rs.map((r) => r.p50))
          .toFixed(0)
          .padStart(6)}  ${median(rs.map((r) => r.p99))
          .toFixed(0)
          .padStart(6)}  ${median(rs.map((r) => r.cpuMicrosPerRequest))
          .toFixed(0)
          .padStart(10)}  ${ratio.padStart(13)}`,
      );
    }
    const failures = rounds.reduce((sum, r) => sum + r.errors + r.non2xx, 0);
    if (failures > 0) console.log(`\nWARNING: ${failures} failed requests (errors or non-2xx)`);
  } finally {
    await Promise.all(children.map(stopChild));
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  }
  if (options.profileDir) {
    // One profile per thread (tsx runs a loader thread); the main thread's is the largest.
    const written = readdirSync(options.profileDir)
      .filter((file) => file.endsWith('.cpuprofile') && !profilesBefore.has(file))
      .map((file) => join(options.profileDir!, file))
      .sort((a, b) => statSync(b).size - statSync(a).size);
    if (written[0] === undefined) {
      console.log('\nno profile written (server did not exit cleanly?)');
    } else {
      console.log(`\nprofile of the Cambio server's main thread: ${written[0]}`);
      console.log(
        `(samples of the measured rounds only: --summarise ${written[0]} --window ${window.from} ${window.to})`,
      );
      console.log(summariseProfile(written[0], window.from, window.to));
    }
  }
};

const summariseIndex = process.argv.indexOf('--summarise');
if (process.argv.includes(BARE_FLAG)) runBareServer();
else if (summariseIndex > 0) {
  const windowIndex = process.argv.indexOf('--window');
  const [from, to] =
    windowIndex > 0 ? process.argv.slice(windowIndex + 1, windowIndex + 3).map(Number) : [];
  console.log(summariseProfile(process.argv[summariseIndex + 1]!, from, to));
} else await main();
