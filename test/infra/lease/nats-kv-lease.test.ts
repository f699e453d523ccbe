import { expect } from 'chai';
import { connect, type NatsConnection } from 'nats';
import { pino } from 'pino';
import { connectNatsKvLease } from '../../../infra/lease/nats-kv-lease.ts';
import type { Lease } from '../../../ports/lease.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../../support/nats-server.ts';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const TTL_MS = 1500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('NATS KV lease', function () {
  this.timeout(30_000);
  let server: PrivateNatsServer | undefined;
  let leases: Lease[] = [];
  let bucketNumber = 0;
  let bucket = '';

  before(async function () {
    const reason = natsServerUnavailableReason();
    if (reason) {
      console.warn(`SKIPPING NATS KV lease tests: ${reason}`);
      this.skip();
    }
    server = await startPrivateNatsServer();
  });
  after(async () => {
    await server?.dispose();
  });
  beforeEach(() => {
    bucket = `leases_${++bucketNumber}`;
  });
  afterEach(async () => {
    await Promise.all(leases.map((lease) => lease.release()));
    leases = [];
  });

  const open = async (holder: string, ttlMs = TTL_MS): Promise<Lease> => {
    const lease = await connectNatsKvLease({
      servers: server?.url ?? '',
      logger,
      name: 'projector',
      ttlMs,
      bucket,
      holder,
    });
    leases.push(lease);
    return lease;
  };

  it('lets one holder in; a second waits through many renewals, then takes over when it is released', async () => {
    const first = await open('first');
    const second = await open('second');
    await first.acquire();
    let secondAt = 0;
    const waiting = second.acquire().then(() => (secondAt = Date.now()));
    await sleep(TTL_MS * 2.5);
    expect([first.held(), second.held(), secondAt]).to.deep.equal([true, false, 0]);
    const releasedAt = Date.now();
    await first.release();
    await waiting;
    expect(second.held()).to.equal(true);
    // A release deletes the entry: the standby's next attempt (every TTL/10) gets it.
    expect(secondAt - releasedAt).to.be.below(TTL_MS);
  });

  it('gives the lease up by itself within the TTL when it cannot renew (NATS unreachable)', async () => {
    const first = await open('first');
    await first.acquire();
    let lostAt = 0;
    const reasons: string[] = [];
    first.onLost((reason) => {
      reasons.push(reason);
      lostAt = Date.now();
    });
    await server?.stop();
    const stoppedAt = Date.now();
    try {
      while (lostAt === 0 && Date.now() - stoppedAt < TTL_MS * 3) await sleep(20);
    } finally {
      await server?.start();
    }
    expect(reasons).to.deep.equal([`not renewed within ${TTL_MS} ms`]);
    // Its last confirmed renewal was sent before the server stopped, so its deadline (that
    // send + TTL) falls within the TTL of the stop; 100 ms for a late timer on a busy machine.
    expect(lostAt - stoppedAt).to.be.at.most(TTL_MS + 100);
    expect(first.held()).to.equal(false);
  });

  it('tells a holder it lost the lease when another writer took the key, before any overlap', async () => {
    const first = await open('first');
    await first.acquire();
    const reasons: string[] = [];
    first.onLost((reason) => reasons.push(reason));
    const nc: NatsConnection = await connect({ servers: server?.url ?? '' });
    try {
      const kv = await nc.jetstream().views.kv(bucket);
      await kv.put('projector', new TextEncoder().encode('{"holder":"intruder"}'));
      const deadline = Date.now() + TTL_MS;
      while (reasons.length === 0 && Date.now() < deadline) await sleep(20);
    } finally {
      await nc.close();
    }
    expect(reasons).to.deep.equal(['another holder wrote the lease']);
    expect(first.held()).to.equal(false);
  });

  it('refuses a TTL other than the one the bucket was created with, naming both', async () => {
    await open('first', TTL_MS);
    let error: unknown;
    try {
      await open('second', TTL_MS * 2);
    } catch (caught) {
      error = caught;
    }
    expect(String(error)).to.include(`${TTL_MS} ms, not the configured ${TTL_MS * 2} ms`);
  });
});
