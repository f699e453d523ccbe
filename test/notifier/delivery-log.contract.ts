import { expect } from 'chai';
import type { QueueMessage } from '../../ports/bus.ts';
import type { DeliveryLog } from '../../ports/delivery-log.ts';

/** A parked request as an adapter-specific reader sees it. */
export interface ParkedView {
  id: string;
  deliveries: number;
  error: string;
  to: string | null;
}

export interface DeliveryLogFixture {
  open(): Promise<DeliveryLog>;
  /** Reads back what `park` kept, however the adapter keeps it. */
  parked(): Promise<ParkedView[]>;
  /** Whether records outlive the log object (a new `open()` sees them). */
  durable: boolean;
  cleanup?(): Promise<void>;
}

const request = (id: string, to = 'ana@example.com'): QueueMessage => ({
  id,
  data: {
    kind: 'verification',
    eventId: id,
    to,
    code: '123456',
    expiresAt: new Date(Date.now() + 600_000).toISOString(),
  },
  deliveryCount: 1,
});

/** The behaviour every DeliveryLog adapter shares (ports/delivery-log.ts). */
export function deliveryLogContract(name: string, fixture: () => Promise<DeliveryLogFixture>) {
  describe(`DeliveryLog contract: ${name}`, function () {
    let current: DeliveryLogFixture;
    let log: DeliveryLog;

    beforeEach(async function () {
      current = await fixture();
      log = await current.open();
    });

    afterEach(async function () {
      await log?.close();
      await current?.cleanup?.();
    });

    it('knows nothing of a mail it never recorded', async function () {
      expect(await log.wasSent('5d0c5e8e-0b2f-4d43-9f5e-6c1d9b0d8a11')).to.equal(false);
    });

    it('remembers a recorded mail; recording it again changes nothing', async function () {
      const id = '0f8e2b9c-61d4-4c1a-8d3e-2b7c4f9a1e55';
      await log.recordSent(id);
      await log.recordSent(id);
      expect(await log.wasSent(id)).to.equal(true);
      expect(await log.wasSent('another-id')).to.equal(false);
    });

    it('takes any id: spaces, dots, slashes, non-ASCII, long ones', async function () {
      const ids = ['with space', '.leading', 'trailing.', 'a/b', 'ünïcödé', 'x'.repeat(300)];
      for (const id of ids) await log.recordSent(id);
      for (const id of ids) expect(await log.wasSent(id), id).to.equal(true);
      expect(await log.wasSent('with_space')).to.equal(false);
    });

    it('keeps a parked request with its deliveries and error', async function () {
      await log.park(
        { ...request('park-1', 'bob@example.com'), deliveryCount: 3 },
        new Error('550 no such user'),
      );
      const parked = await current.parked();
      expect(parked).to.have.length(1);
      expect(parked[0]).to.include({ id: 'park-1', deliveries: 3, to: 'bob@example.com' });
      expect(parked[0]?.error).to.contain('550 no such user');
    });

    it('a recorded mail outlives the log object when the adapter is durable', async function () {
      if (!current.durable) {
        console.log(`      (${name} keeps nothing across instances by design)`);
        this.skip();
      }
      await log.recordSent('durable-1');
      await log.close();
      log = await current.open();
      expect(await log.wasSent('durable-1')).to.equal(true);
    });
  });
}
