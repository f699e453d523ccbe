import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { CambioProcess, REPO_ROOT, cleanEnv } from '../support/cambio-process.ts';

/** Runs scripts/seed-client.sh to completion against `baseUrl`. */
const runSeedClient = (
  baseUrl: string,
  outbox: string,
): Promise<{ code: number | null; output: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, 'scripts', 'seed-client.sh')], {
      cwd: REPO_ROOT,
      env: cleanEnv({ B: baseUrl, OUTBOX: outbox }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });

describe('e2e: a seed-shaped client script', function () {
  this.timeout(90_000);
  let cambio: CambioProcess;

  before(async function () {
    cambio = await CambioProcess.start({ env: { RATES_TICK_MS: '1000' } });
  });

  after(async function () {
    await cambio?.cleanup();
  });

  it('runs the README walkthrough on the seed fields alone, unchanged, right after start', async function () {
    const { code, output } = await runSeedClient(cambio.baseUrl, cambio.outboxDir);
    expect(code, output).to.equal(0);
    expect(output).to.match(/^deposit: newBalance 100\.1$/m);
    expect(output).to.match(
      /^buy: sold [0-9.]+ USD, bought 0\.001 BTC; Balance \{.*"BTC":"0\.001"/m,
    );
    expect(output).to.match(/^sell: sold 0\.0005 BTC, bought [0-9.]+ USD$/m);
    expect(output).to.match(/^withdraw: newBalance [0-9.]+$/m);
    expect(output).to.match(/^seed client: done$/m);
  });
});
