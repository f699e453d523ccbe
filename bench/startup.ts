/**
 * Start time and memory of one `cambio start` (every role, embedded), run through tsx from the
 * sources versus the compiled build (`npm run build`) that the image runs.
 *
 *   npm run bench -- startup            (or: node --import tsx bench/startup.ts)
 *   options: --rounds 5
 *
 * Each round starts every variant once on a fresh data directory, in rotating order, and
 * measures the time from spawn to the first 200 of /health, and the resident set size (VmRSS,
 * and the peak VmHWM) one second after that. "tsx, cold" disables tsx's transform cache, as a
 * container with a fresh /tmp had on every start; "tsx, warm" reuses it, as a checkout does.
 * Ratios are against "tsx, warm" in the same run.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);

interface Variant {
  name: string;
  script: string;
  env: Record<string, string>;
}

interface Sample {
  startMs: number;
  rssMiB: number;
  peakMiB: number;
}

const build = mkdtempSync(join(tmpdir(), 'cambio-startup-bench-'));
console.log(`building into ${build} …`);
execFileSync(
  process.execPath,
  [
    join(ROOT, 'node_modules/typescript/bin/tsc'),
    '-p',
    'tsconfig.build.json',
    '--outDir',
    join(build, 'dist'),
  ],
  { cwd: ROOT, stdio: 'inherit' },
);
copyFileSync(join(ROOT, 'package.json'), join(build, 'package.json'));
symlinkSync(join(ROOT, 'node_modules'), join(build, 'node_modules'));

const variants: Variant[] = [
  { name: 'tsx, cold', script: join(ROOT, 'bin/cambio.js'), env: { TSX_DISABLE_CACHE: '1' } },
  { name: 'tsx, warm', script: join(ROOT, 'bin/cambio.js'), env: {} },
  { name: 'compiled', script: join(build, 'dist/infra/cli/main.js'), env: {} },
];

const statusKiB = (pid: number, field: string): number => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return Number(match?.[1] ?? NaN);
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const measure = async (variant: Variant): Promise<Sample> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cambio-startup-data-'));
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [variant.script, 'start', '--port', '0', '--data-dir', dataDir, '--log-level', 'info'],
    { cwd: ROOT, env: { ...process.env, ...variant.env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        const match = /"port":(\d+)[^\n]*cambio listening/.exec(text);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`${variant.name} exited ${code}`)));
    });
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) break;
      await sleep(5);
    }
    const startMs = performance.now() - started;
    await sleep(1000);
    const pid = child.pid ?? 0;
    return {
      startMs,
      rssMiB: statusKiB(pid, 'VmRSS') / 1024,
      peakMiB: statusKiB(pid, 'VmHWM') / 1024,
    };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
};

const median = (numbers: number[]): number => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
};

const samples = new Map<string, Sample[]>(variants.map((variant) => [variant.name, []]));
try {
  // One unmeasured start warms tsx's cache and the OS page cache for every variant alike.
  for (const variant of variants.filter((v) => v.name !== 'tsx, cold')) await measure(variant);
  for (let round = 0; round < rounds; round++) {
    const order = variants.map((_, index) => variants[(index + round) % variants.length]);
    for (const variant of order) {
      if (variant === undefined) continue;
      const sample = await measure(variant);
      samples.get(variant.name)?.push(sample);
      console.log(
        `round ${round + 1} ${variant.name.padEnd(10)} start ${sample.startMs.toFixed(0)} ms, ` +
          `RSS ${sample.rssMiB.toFixed(1)} MiB (peak ${sample.peakMiB.toFixed(1)})`,
      );
    }
  }
} finally {
  rmSync(build, { recursive: true, force: true });
}

const baseline = samples.get('tsx, warm') ?? [];
const base = {
  start: median(baseline.map((s) => s.startMs)),
  rss: median(baseline.map((s) => s.rssMiB)),
  peak: median(baseline.map((s) => s.peakMiB)),
};
console.log(`\nmedians of ${rounds} rounds (ratio to tsx, warm):`);
console.log('variant     start ms        RSS MiB         peak RSS MiB');
for (const [name, list] of samples) {
  const start = median(list.map((s) => s.startMs));
  const rss = median(list.map((s) => s.rssMiB));
  const peak = median(list.map((s) => s.peakMiB));
  const cell = (value: number, against: number, digits: number) =>
    `${value.toFixed(digits)} (×${(value / against).toFixed(2)})`.padEnd(16);
  console.log(
    `${name.padEnd(12)}${cell(start, base.start, 0)}${cell(rss, base.rss, 1)}${cell(peak, base.peak, 1)}`,
  );
}
