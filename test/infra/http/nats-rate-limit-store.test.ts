import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { pino } from 'pino';
import {
  connectNatsRateLimits,
  type NatsRateLimits,
} from '../../../infra/http/nats-rate-limit-store.ts';
import { HttpProblem } from '../../../infra/http/problem.ts';
import { requestLimits } from '../../../infra/http/request-limits.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../../support/nats-server.ts';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** One API replica: its own NATS connection, an anonymous route limited to `perMinute`. */
const startReplica = async (
  nats: PrivateNatsServer,
  perMinute: number,
): Promise<{ url: string; limits: NatsRateLimits; close: () => Promise<void> }> => {
  const limits = await connectNatsRateLimits({ servers: [nats.url], logger });
  const { anonymous } = requestLimits(
    { commandsPerMinute: 0, readsPerMinute: 0, anonymousPerMinute: perMinute },
    logger,
    (prefix) => limits.store(prefix),
  );
  const app = express();
  if (anonymous) app.use(anonymous);
  app.get('/', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(
    (error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const status = error instanceof HttpProblem ? error.status : 500;
      res.status(status).json({ status });
    },
  );
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    limits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await limits.close();
    },
  };
};

describe('rate limits shared over NATS KV', function () {
  this.timeout(30_000);
  let nats: PrivateNatsServer | undefined;

  before(async function () {
    const reason = natsServerUnavailableReason();
    if (reason) {
      console.warn(`SKIPPING NATS rate-limit tests: ${reason}`);
      this.skip();
    }
    nats = await startPrivateNatsServer();
  });

  after(async () => {
    await nats?.dispose();
  });

  const server = (): PrivateNatsServer => {
    if (!nats) throw new Error('no private nats-server');
    return nats;
  };

  it('two replicas share one allowance: the request over it is refused on either', async function () {
    const [a, b] = [await startReplica(server(), 6), await startReplica(server(), 6)];
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await fetch(i % 2 ? b.url : a.url)).status);
      expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 200, 429, 429]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('counts concurrent hits from both replicas exactly (compare-and-set, no lost update)', async function () {
    const [a, b] = [await startReplica(server(), 1000), await startReplica(server(), 1000)];
    try {
      const stores = [a.limits.store('exact'), b.limits.store('exact')];
      for (const store of stores) store.init?.({ windowMs: 60_000 } as never);
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => stores[i % 2]?.increment('one-client')),
      );
      const counts = results.map((result) => result?.totalHits).sort((x, y) => (x ?? 0) - (y ?? 0));
      expect(counts).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
      expect((await stores[0]?.get?.('one-client'))?.totalHits).to.equal(40);
      await stores[1]?.decrement('one-client');
      expect((await stores[0]?.get?.('one-client'))?.totalHits).to.equal(39);
      await stores[0]?.resetKey('one-client');
      expect((await stores[1]?.increment('one-client'))?.totalHits).to.equal(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('lets requests through when NATS is down, and limits again once it is back', async function () {
    const replica = await startReplica(server(), 2);
    try {
      await server().stop();
      const started = Date.now();
      const during = await Promise.all([
        fetch(replica.url),
        fetch(replica.url),
        fetch(replica.url),
      ]);
      expect(during.map((r) => r.status)).to.deep.equal([200, 200, 200]);
      expect(Date.now() - started).to.be.lessThan(5000);
      await server().start();
      const statuses: number[] = [];
      // The client reconnects after a pause; the restarted server has lost the in-memory bucket.
      for (let i = 0; i < 100 && !statuses.includes(429); i++) {
        statuses.push((await fetch(replica.url)).status);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(statuses).to.include(429);
    } finally {
      await replica.close();
    }
  });
});
