import { expect } from 'chai';
import { connectNatsBus } from '../../../infra/bus/nats-bus.ts';
import { startRateFeed, type RateFeed } from '../../../infra/rates/rate-feed.ts';
import { createSimulatedMarket } from '../../../infra/rates/simulated-market.ts';
import type { Bus } from '../../../ports/bus.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../../support/nats-server.ts';
import {
  connect,
  publishWallet,
  silentLogger,
  startReplica,
  isWalletUpdate,
  walletData,
  type Replica,
  type TestClient,
} from './harness.ts';

/**
 * The distributed deployment's fan-out: the rate feed runs in one process and two read-api
 * replicas, each with its own NATS connection, push its ticks and wallet updates to their
 * own clients.
 */
describe('websocket fan-out across replicas over NATS', function () {
  let nats: PrivateNatsServer | undefined;
  const buses: Bus[] = [];
  const replicas: Replica[] = [];
  const clients: TestClient[] = [];
  let feed: RateFeed | undefined;

  before(async function () {
    const reason = natsServerUnavailableReason();
    if (reason) {
      console.warn(`SKIPPING websocket fan-out over NATS: ${reason}`);
      this.skip();
    }
    nats = await startPrivateNatsServer();
  });

  after(async () => {
    feed?.stop();
    await Promise.all(clients.map((client) => client.close()));
    for (const replica of replicas) await replica.close();
    for (const bus of buses) await bus.close();
    await nats?.dispose();
  });

  const natsBus = async (name: string): Promise<Bus> => {
    if (!nats) throw new Error('no private nats-server');
    const bus = await connectNatsBus({ servers: nats.url, logger: silentLogger, name });
    buses.push(bus);
    return bus;
  };

  it('pushes the feed’s ticks and wallet updates from every replica', async () => {
    const producer = await natsBus('rate-feed');
    const replicaA = await startReplica(await natsBus('replica-a'));
    const replicaB = await startReplica(await natsBus('replica-b'));
    replicas.push(replicaA, replicaB);

    const onA = await connect(replicaA.url('/ws/exchange-rates'));
    const onB = await connect(replicaB.url('/ws'), {
      protocols: ['cambio.v1', 'bearer.token-alice'],
    });
    clients.push(onA, onB);
    onB.send({ op: 'subscribe', channel: 'rates', currencies: ['BTC'], id: 'r' });
    onB.send({ op: 'subscribe', channel: 'wallet', id: 'w' });
    await onB.next((m) => m.id === 'w', 'wallet subscription');

    const market = createSimulatedMarket({ seed: 7 });
    feed = startRateFeed({ source: market, bus: producer, logger: silentLogger, republishMs: 0 });
    const snapshot = market.tick();
    const at = snapshot.at.toISOString();

    const seen = await onA.next((m) => m.at === at, 'the tick on replica A', 10_000);
    expect(seen.rates).to.deep.equal(snapshot.rates);
    const filtered = await onB.next(
      (m) => m.type === 'rates' && m.at === at,
      'the tick on replica B',
      10_000,
    );
    expect(filtered.rates).to.deep.equal({ BTC: snapshot.rates.BTC });

    publishWallet(producer, walletData('alice', 42, '12.34'));
    publishWallet(producer, walletData('bob', 43, '99.00'));
    const update = await onB.next(isWalletUpdate, 'alice’s update', 10_000);
    expect(update).to.deep.include({ userId: 'alice', position: '42' });
  });
});
