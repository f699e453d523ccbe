import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { auditWallet } from '../../audit/wallet-audit-report.ts';
import { CommandHandler } from '../../commands/command-handler.ts';
import { deposit, buy, sell, withdraw } from '../../commands/wallet/wallet-commands.ts';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { walletStreamId } from '../../domain/wallet/index.ts';

describe('wallet audit report', () => {
  let dir: string;
  let store: SqliteEventStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cambio-audit-'));
    store = await SqliteEventStore.open({ file: join(dir, 'events.sqlite') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const context = () => ({ actor: 'u1', correlationId: 'c', causationId: 'c', now: new Date() });

  it('replays a wallet from its events alone and finds nothing wrong in honest history', async () => {
    const deps = {
      handler: new CommandHandler(store),
      latestRates: () => ({ rates: { BTC: '0.0000165' }, at: new Date().toISOString() }),
      maxRateAgeMs: 60_000,
    };
    await deposit(deps, 'u1', { amount: '100.10' }, context());
    await buy(deps, 'u1', { currency: 'BTC', amount: '0.001' }, context());
    await sell(deps, 'u1', { currency: 'BTC', amount: '0.0005' }, context());
    const last = await withdraw(deps, 'u1', { amount: '10' }, context());

    const report = await auditWallet(store, 'u1');
    expect(report.events).to.equal(4);
    expect(report.problems).to.deep.equal([]);
    expect(report.balances).to.deep.equal(last.balances);
  });

  it('reports an event whose recorded balance does not follow from the ones before', async () => {
    const meta = {
      correlationId: 'c',
      causationId: 'c',
      actor: 'x',
      schemaVersion: 1,
      timestamp: new Date().toISOString(),
    };
    await store.append(
      walletStreamId('u2'),
      [
        {
          id: crypto.randomUUID(),
          type: 'FundsDeposited',
          data: { userId: 'u2', currency: 'USD', amount: '10', balance: '10' },
          metadata: meta,
        },
        // Forged: a deposit of 5 claiming a balance of 50.
        {
          id: crypto.randomUUID(),
          type: 'FundsDeposited',
          data: { userId: 'u2', currency: 'USD', amount: '5', balance: '50' },
          metadata: meta,
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    const report = await auditWallet(store, 'u2');
    expect(report.problems).to.have.length(1);
    expect(report.problems[0]).to.include({ revision: '1' });
    expect(report.problems[0]?.problem).to.match(/balance 50 should be 15/);
  });
});
