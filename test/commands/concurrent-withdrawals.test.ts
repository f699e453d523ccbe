import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CommandHandler } from '../../commands/command-handler.ts';
import { walletAggregate } from '../../commands/aggregates.ts';
import { deposit } from '../../commands/wallet/wallet-commands.ts';
import { walletStreamId } from '../../domain/wallet/index.ts';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { parseReport, spawnChild, type ChildHandle } from '../support/child/child-process.ts';
import { contextFor, walletDeps, withdrawMany, type WithdrawTally } from './withdraw-many.ts';

const WITHDRAW_CHILD = 'test/commands/withdraw-child.ts';

/**
 * 200 withdrawals of 1 USD race for a wallet holding 100 USD. Whatever the interleaving, the
 * wallet must end at exactly 0: 100 accepted, 100 refused for insufficient funds, and exactly
 * 100 withdrawal events, each leaving a distinct balance from 99 down to 0.
 */
describe('commands: concurrent withdrawals from one wallet', function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;
  let store: SqliteEventStore;
  let userId: string;

  beforeEach(async function () {
    dir = mkdtempSync(join(tmpdir(), 'cambio-withdrawals-'));
    file = join(dir, 'events.sqlite');
    store = await SqliteEventStore.open({ file });
    userId = randomUUID();
    const funded = await deposit(
      walletDeps(new CommandHandler(store)),
      userId,
      { amount: '100' },
      contextFor(userId),
    );
    expect(funded.balances).to.deep.equal({ USD: '100' });
  });

  afterEach(async function () {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const combine = (tallies: WithdrawTally[]): WithdrawTally => {
    const total: WithdrawTally = {
      succeeded: 0,
      refused: {},
      balances: [],
      conflicts: 0,
      resent: 0,
    };
    for (const tally of tallies) {
      total.succeeded += tally.succeeded;
      total.balances.push(...tally.balances);
      total.conflicts += tally.conflicts;
      total.resent += tally.resent;
      for (const [code, count] of Object.entries(tally.refused)) {
        total.refused[code] = (total.refused[code] ?? 0) + count;
      }
    }
    return total;
  };

  /** What the log says, read back by a fresh handler with nothing cached. */
  const expectWalletEmptiedExactly = async (tally: WithdrawTally) => {
    expect(tally.succeeded, JSON.stringify(tally.refused)).to.equal(100);
    expect(tally.refused).to.deep.equal({ insufficient_funds: 100 });
    const expectedBalances = Array.from({ length: 100 }, (_, i) => String(99 - i));
    expect([...tally.balances].sort((a, b) => Number(b) - Number(a))).to.deep.equal(
      expectedBalances,
    );

    const events = await store.readStream(walletStreamId(userId));
    const withdrawals = events.filter((event) => event.type === 'FundsWithdrawn');
    expect(withdrawals).to.have.length(100);
    expect(events).to.have.length(101);
    // In log order the balance steps down by one each time: no two withdrawals saw the same one.
    expect(withdrawals.map((event) => event.data.balance)).to.deep.equal(expectedBalances);

    const { state } = await new CommandHandler(store).load(walletAggregate, walletStreamId(userId));
    expect(state.balances.get('USD') ?? 0n).to.equal(0n);
  };

  it('in one process, on one command handler', async function () {
    await expectWalletEmptiedExactly(await withdrawMany(store, userId, 200));
  });

  it('in one process, on two command handlers with their own store connections', async function () {
    const other = await SqliteEventStore.open({ file });
    try {
      const tallies = await Promise.all([
        withdrawMany(store, userId, 100),
        withdrawMany(other, userId, 100),
      ]);
      console.log(
        `      accepted per handler: ${tallies.map((t) => t.succeeded).join(' + ')}, conflicts retried: ${tallies.map((t) => t.conflicts).join(' + ')}, resent after 409: ${tallies.map((t) => t.resent).join(' + ')}`,
      );
      await expectWalletEmptiedExactly(combine(tallies));
    } finally {
      await other.close();
    }
  });

  it('from two OS processes on the same data file', async function () {
    const children: ChildHandle[] = [0, 1].map(() =>
      spawnChild(WITHDRAW_CHILD, ['--file', file, '--user', userId, '--count', '100']),
    );
    try {
      await Promise.all(children.map((child) => child.waitForLine((line) => line === 'ready')));
      for (const child of children) child.send('go');
      const tallies = await Promise.all(
        children.map(async (child) => {
          const line = await child.waitForLine((l) => l.startsWith('tally '));
          const exit = await child.exited;
          expect(exit.code, child.stderr()).to.equal(0);
          return parseReport<WithdrawTally>(line, 'tally');
        }),
      );
      console.log(
        `      accepted per process: ${tallies.map((t) => t.succeeded).join(' + ')}, conflicts retried: ${tallies.map((t) => t.conflicts).join(' + ')}, resent after 409: ${tallies.map((t) => t.resent).join(' + ')}`,
      );
      await expectWalletEmptiedExactly(combine(tallies));
    } finally {
      for (const child of children) child.process.kill('SIGKILL');
    }
  });
});
