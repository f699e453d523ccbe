/**
 * 200 concurrent "withdraw 1" commands against a stream holding 100, each doing
 * read → check balance → append at the revision read → retry on conflict. Exactly 100 must
 * land and 100 be refused, whether they run in one process or are split across two.
 */
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parseReport, spawnChild, type ChildHandle } from '../../support/child/child-process.ts';
import { describeEachStore, openStoreAt } from '../../support/event-store-targets.ts';
import {
  balanceOf,
  deposit,
  withdrawConcurrently,
  type WithdrawOutcome,
} from '../../support/child/wallet-withdraw.ts';

const worker = fileURLToPath(new URL('../../support/child/withdraw-worker.ts', import.meta.url));
const wallet = 'wallet-1';

describeEachStore(
  'optimistic concurrency: 200 withdrawals of 1 from a balance of 100',
  (target, kind) => {
    let location: string;
    let children: ChildHandle[] = [];

    beforeEach(async () => {
      location = target().location;
      const store = await openStoreAt(location);
      await deposit(store, wallet, 100n);
      await store.close();
    });

    afterEach(async () => {
      for (const child of children) child.process.kill('SIGKILL');
      await Promise.all(children.map((child) => child.exited));
      children = [];
    });

    const expectExactlyHundredWithdrawn = async () => {
      const store = await openStoreAt(location);
      try {
        const history = await store.readStream(wallet);
        expect(history.filter(({ type }) => type === 'Withdrawn')).to.have.length(100);
        expect(balanceOf(history)).to.equal(0n);
        // Each withdrawal recorded the balance it left, and they count down without a repeat.
        expect(
          history.filter(({ type }) => type === 'Withdrawn').map(({ data }) => data.balanceAfter),
        ).to.deep.equal(Array.from({ length: 100 }, (_, index) => String(99 - index)));
      } finally {
        await store.close();
      }
    };

    // On PostgreSQL, one process's concurrent appends meet in one group commit exactly as on
    // SQLite, which the contract's race test covers; the processes are what is new there.
    if (kind === 'sqlite') {
      it('in one process', async function () {
        this.timeout(120_000);
        const store = await openStoreAt(location);
        let outcome: Record<WithdrawOutcome, number>;
        try {
          outcome = await withdrawConcurrently(store, wallet, 200, 'parent');
        } finally {
          await store.close();
        }
        expect(outcome).to.deep.equal({ succeeded: 100, refused: 100 });
        await expectExactlyHundredWithdrawn();
      });
    }

    it('split across two processes', async function () {
      this.timeout(120_000);
      children = ['left', 'right'].map((actor) =>
        spawnChild(worker, [
          '--store',
          location,
          '--stream',
          wallet,
          '--commands',
          '100',
          '--actor',
          actor,
        ]),
      );
      await Promise.all(children.map((child) => child.waitForLine((line) => line === 'ready')));
      for (const child of children) child.send('go');
      const results = await Promise.all(
        children.map(async (child) =>
          parseReport<Record<WithdrawOutcome, number>>(
            await child.waitForLine((line) => line.startsWith('result ')),
            'result',
          ),
        ),
      );
      const total = results.reduce(
        (sum, result) => ({
          succeeded: sum.succeeded + result.succeeded,
          refused: sum.refused + result.refused,
        }),
        { succeeded: 0, refused: 0 },
      );
      expect(total).to.deep.equal({ succeeded: 100, refused: 100 });
      await expectExactlyHundredWithdrawn();
    });
  },
);
