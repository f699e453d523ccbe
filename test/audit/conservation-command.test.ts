import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCambio } from '../support/cambio-process.ts';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { CommandHandler } from '../../commands/command-handler.ts';
import { deposit } from '../../commands/wallet/wallet-commands.ts';
import { walletStreamId } from '../../domain/wallet/index.ts';

describe('cambio audit conservation', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cambio-conservation-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const context = { actor: 'u1', correlationId: 'c', causationId: 'c', now: new Date() };

  it('exits 0 on an honest log and 1 once a balance was tampered with', async () => {
    const store = await SqliteEventStore.open({ file: join(dir, 'events.sqlite') });
    const deps = { handler: new CommandHandler(store), latestRates: () => null, maxRateAgeMs: 1 };
    await deposit(deps, 'u1', { amount: '10' }, context);
    const honest = await runCambio(['audit', 'conservation', '--data-dir', dir]);
    expect(honest.code, honest.stderr).to.equal(0);
    expect(honest.stdout).to.include('USD: balances 10 + in flight 0 vs deposits 10');
    expect(honest.stdout).to.include('money is conserved');

    // Money out of nowhere: a recorded deposit whose amount does not match its balance.
    await store.append(
      walletStreamId('u1'),
      [
        {
          id: randomUUID(),
          type: 'FundsDeposited',
          data: { userId: 'u1', currency: 'USD', amount: '1', balance: '20' },
          metadata: {
            actor: 'u1',
            correlationId: 'c',
            causationId: 'c',
            schemaVersion: 1,
            timestamp: new Date().toISOString(),
          },
        },
      ],
      { expectedRevision: 0n },
    );
    await store.close();
    const broken = await runCambio(['audit', 'conservation', '--data-dir', dir, '--json']);
    expect(broken.code).to.equal(1);
    const report = JSON.parse(broken.stdout) as { violations: string[] };
    expect(report.violations.join('\n')).to.include('USD balance 20 should be 11');
  });
});
