/**
 * Runs one benchmark: `npm run bench -- <name> [options]` runs bench/<name>.ts as its own
 * process (so each benchmark is a plain script and owns its process: memory, limits, exit).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts')
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || !/^[a-z0-9-]+$/.test(name) || !existsSync(`${here}${name}.ts`)) {
  console.error(
    `usage: npm run bench -- <name> [options]\navailable: ${available.join(', ') || '(none)'}`,
  );
  process.exit(2);
}

const child = spawn(process.execPath, [...process.execArgv, `${here}${name}.ts`, ...args], {
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
