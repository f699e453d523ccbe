import { expect } from 'chai';
import { advanceTransfer } from '../../reactions/transfer-process.ts';
import { checkConservation } from '../../audit/conservation.ts';
import { walletAggregate } from '../../commands/aggregates.ts';
import { walletStreamId } from '../../domain/wallet/index.ts';
import { currency, formatAmount, maxMinorUnits } from '../../domain/money/index.ts';
import { openTransferWorld, type TransferWorld } from './transfer-fixtures.ts';

describe('transfer process manager', () => {
  let world: TransferWorld;
  let ada: string;
  let bob: string;
  beforeEach(async () => {
    world = await openTransferWorld();
    ada = await world.register('ada@example.com');
    bob = await world.register('Bob@Example.com');
    await world.fund(ada, '100');
  });
  afterEach(() => world.close());

  const deps = () => ({ handler: world.handler, mailOf: world.mailOf });
  const conserved = async () => {
    const report = await checkConservation(world.store);
    expect(report.violations).to.deep.equal([]);
    return report;
  };

  it('given a transfer sent to an account, credits the recipient, then completes', async () => {
    const { event, sent } = await world.send(ada, 'bob@example.com', '12.5');
    expect((await conserved()).currencies.USD?.inFlight).to.equal('12.5');

    expect(await advanceTransfer(deps(), event, sent)).to.equal('completed');
    expect(await world.types(bob)).to.deep.equal(['TransferReceived']);
    expect(await world.types(ada)).to.deep.equal([
      'FundsDeposited',
      'TransferSent',
      'TransferCompleted',
    ]);
    expect((await world.wallet(bob)).balances.get('USD')).to.equal(1250n);
    const report = await conserved();
    expect(report.currencies.USD?.inFlight).to.equal('0');
    expect(report.transfers).to.deep.equal({ pending: 0, completed: 1, refunded: 0 });
  });

  it('given a transfer to a mail without an account, refunds the sender', async () => {
    const { event, sent } = await world.send(ada, 'nobody@example.com', '12.5');
    expect(await advanceTransfer(deps(), event, sent)).to.equal('refunded');
    const state = await world.wallet(ada);
    expect(state.balances.get('USD')).to.equal(10000n);
    expect(state.sent.get(sent.transferId)?.state).to.equal('refunded');
    expect((await conserved()).transfers.refunded).to.equal(1);
  });

  it('given a recipient whose balance would pass its limit, records the decline and refunds', async () => {
    const usd = currency('USD');
    await world.fund(bob, formatAmount(maxMinorUnits(usd), usd));
    const { event, sent } = await world.send(ada, 'bob@example.com', '1');
    expect(await advanceTransfer(deps(), event, sent)).to.equal('refunded');
    expect(await world.types(bob)).to.deep.equal(['FundsDeposited', 'TransferDeclined']);
    const refunded = (await world.store.readStream(walletStreamId(ada))).at(-1);
    expect(refunded?.data).to.include({ reason: 'recipient_cannot_receive' });
    await conserved();
  });

  it('repeated at any point, records every step once (a crash before the checkpoint moved)', async () => {
    const { event, sent } = await world.send(ada, 'bob@example.com', '12.5');
    // A run that credited and then died before completing:
    await world.handler.handle(
      walletAggregate,
      walletStreamId(bob),
      {
        type: 'ReceiveTransfer',
        userId: bob,
        transferId: sent.transferId,
        from: ada,
        fromMail: 'ada@example.com',
        currency: 'USD',
        amount: 1250n,
      },
      world.context('system'),
    );
    expect((await conserved()).transfers.pending).to.equal(1);
    expect(await advanceTransfer(deps(), event, sent)).to.equal('completed');
    expect(await advanceTransfer(deps(), event, sent)).to.equal('already settled');
    expect(await world.types(bob)).to.deep.equal(['TransferReceived']);
    expect((await world.types(ada)).filter((t) => t === 'TransferCompleted')).to.have.length(1);
    await conserved();
  });

  it('never credits a transfer it refunded, even if the recipient registers later', async () => {
    const { event, sent } = await world.send(ada, 'late@example.com', '5');
    expect(await advanceTransfer(deps(), event, sent)).to.equal('refunded');
    await world.register('late@example.com');
    expect(await advanceTransfer(deps(), event, sent)).to.equal('already settled');
    expect((await conserved()).transfers).to.deep.equal({ pending: 0, completed: 0, refunded: 1 });
  });

  it("retries later when the sender's mail is not known yet, leaving nothing half done", async () => {
    const { event, sent } = await world.send(ada, 'bob@example.com', '1');
    const blind = { handler: world.handler, mailOf: async () => null };
    let failed = false;
    await advanceTransfer(blind, event, sent).catch(() => (failed = true));
    expect(failed).to.equal(true);
    expect(await world.types(bob)).to.deep.equal([]);
    expect(await advanceTransfer(deps(), event, sent)).to.equal('completed');
  });
});

describe('conservation check', () => {
  let world: TransferWorld;
  afterEach(() => world.close());

  it('finds a transfer credited twice: more money out of flight than went in', async () => {
    world = await openTransferWorld();
    const ada = await world.register('ada@example.com');
    const bob = await world.register('bob@example.com');
    await world.fund(ada, '10');
    const { event, sent } = await world.send(ada, 'bob@example.com', '4');
    await advanceTransfer({ handler: world.handler, mailOf: world.mailOf }, event, sent);
    const [received] = await world.store.readStream(walletStreamId(bob));
    // Tampering below the decider: the same credit appended again.
    await world.store.append(
      walletStreamId(bob),
      [{ ...received!, id: crypto.randomUUID(), data: { ...received!.data, balance: '8' } }],
      { expectedRevision: 0n },
    );
    const report = await checkConservation(world.store);
    expect(report.violations).to.include.members([
      `transfer ${sent.transferId}: received 2 times`,
      'USD: negative money in flight',
    ]);
  });
});
