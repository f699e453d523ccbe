/**
 * SIGKILL while many deposits on one wallet are being batched (decided in turn, written in one
 * append): every deposit the server acknowledged is in the event log afterwards, with the
 * balance it answered, and the log's balances chain without a gap.
 */
import { expect } from 'chai';
import { embeddedFiles } from '../../infra/process/adapters.ts';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';
import { CambioProcess } from '../support/cambio-process.ts';
import {
  httpClient,
  registerAndLogin,
  toMinor,
  type HttpClient,
  type WalletAnswer,
} from '../support/http-client.ts';

const CLIENTS = 48;
const KILL_AFTER_ACKS = 300;

interface Ack {
  eventId: string;
  balance: string;
  position: string;
}

describe('e2e: SIGKILL under batched deposits on one wallet', function () {
  this.timeout(120_000);
  let cambio: CambioProcess;
  let client: HttpClient;

  before(async function () {
    cambio = await CambioProcess.start();
    client = httpClient(() => cambio.baseUrl);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(40));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  it('loses no acknowledged deposit, and the restarted server continues from the log', async function () {
    const user = await registerAndLogin(client, cambio.outboxDir);
    const acks: Ack[] = [];
    let killed = false;
    const depositor = async (n: number) => {
      // Amounts differ per client so that a misplaced event would break the balance chain.
      const amount = `${n + 1}.01`;
      while (!killed) {
        try {
          const response = await client.post<WalletAnswer>(
            '/api/user/wallet/deposit',
            { amount },
            { token: user.token },
          );
          if (response.status !== 200) throw new Error(`${response.status}: ${response.text}`);
          acks.push({
            eventId: response.body.event.id,
            balance: response.body.balances.USD!,
            position: response.body.position,
          });
          if (acks.length >= KILL_AFTER_ACKS && !killed) {
            killed = true;
            cambio.kill('SIGKILL');
          }
        } catch (error) {
          if (!killed) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => depositor(n)));
    expect(await cambio.waitForExit()).to.deep.equal({ code: null, signal: 'SIGKILL' });

    // Several commands answered with one append's position: the kill hit batched appends.
    const perPosition = new Map<string, number>();
    for (const ack of acks) perPosition.set(ack.position, (perPosition.get(ack.position) ?? 0) + 1);
    expect(Math.max(...perPosition.values()), 'commands sharing one append').to.be.greaterThan(1);

    const store = await SqliteEventStore.open({ file: embeddedFiles(cambio.dataDir).eventStore });
    let wallet: RecordedEvent[];
    try {
      const [first] = (await store.readAll({ maxCount: 100_000 })).filter(
        (event) => event.type === 'FundsDeposited',
      );
      wallet = await store.readStream(first!.streamId);
    } finally {
      await store.close();
    }

    const stored = new Map(wallet.map((event) => [event.id, event]));
    for (const ack of acks) {
      const event = stored.get(ack.eventId);
      expect(event, `acknowledged deposit ${ack.eventId}`).to.not.equal(undefined);
      expect(event!.data.balance).to.equal(ack.balance);
    }
    let balance = 0n;
    wallet.forEach((event, index) => {
      expect(event.revision).to.equal(BigInt(index));
      balance += toMinor(String(event.data.amount), 2);
      expect(toMinor(String(event.data.balance), 2), `balance at revision ${index}`).to.equal(
        balance,
      );
    });
    expect(wallet.length).to.be.at.least(acks.length);

    await cambio.restart();
    const after = await client.post<WalletAnswer>(
      '/api/user/wallet/deposit',
      { amount: '0.01' },
      { token: user.token },
    );
    expect(after.status, after.text).to.equal(200);
    expect(toMinor(after.body.balances.USD!, 2)).to.equal(balance + 1n);
  });
});
