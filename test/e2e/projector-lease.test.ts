import { expect } from 'chai';
import { CambioProcess } from '../support/cambio-process.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../support/nats-server.ts';

const TTL_MS = 2000;
const SAMPLE_EVERY_MS = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `cambio_lease_held{lease="projector"}` and whether the projector's gauges exist, from /metrics. */
const projectorState = async (
  cambio: CambioProcess,
): Promise<{ held: boolean; projecting: boolean } | null> => {
  try {
    const text = await (await fetch(`${cambio.baseUrl}/metrics`)).text();
    return {
      held: /^cambio_lease_held\{lease="projector"\} 1$/m.test(text),
      projecting: /^cambio_projection_position\{projection="[^"]+"\} \d+/m.test(text),
    };
  } catch {
    return null;
  }
};

describe('e2e: one active projector among replicas (lease in NATS KV)', function () {
  this.timeout(90_000);
  let nats: PrivateNatsServer | undefined;
  const replicas: CambioProcess[] = [];

  before(async function () {
    const reason = natsServerUnavailableReason();
    if (reason) {
      console.warn(`SKIPPING projector lease e2e: ${reason}`);
      this.skip();
    }
    nats = await startPrivateNatsServer();
  });
  after(async () => {
    await Promise.all(replicas.map((replica) => replica.cleanup()));
    await nats?.dispose();
  });

  const startProjector = (dataDir?: string) =>
    CambioProcess.start({
      args: ['--role', 'projector', '--bus', 'nats', '--nats-url', nats?.url ?? ''],
      env: {
        CAMBIO_SECRET: 'a-test-secret-that-is-long-enough-for-cambio',
        PROJECTOR_LEASE_TTL_MS: String(TTL_MS),
      },
      ...(dataDir === undefined ? {} : { dataDir }),
    });

  it('a second replica stands by, takes over within the TTL after the holder is SIGKILLed, and the two never project at once', async () => {
    const first = await startProjector();
    replicas.push(first);
    await first.waitForLog((line) => line.msg === 'lease acquired');
    const second = await startProjector(first.dataDir);
    replicas.push(second);
    await second.waitForLog((line) => line.msg === 'lease held by a peer; standing by');

    const both: string[] = [];
    const sample = async () => {
      const [a, b] = await Promise.all([projectorState(first), projectorState(second)]);
      if (a?.held && b?.held) both.push(`both hold at ${Date.now()}`);
      if (a?.projecting && b?.projecting) both.push(`both project at ${Date.now()}`);
      return { a, b };
    };

    // Through several renewals the holder keeps it and the standby waits without projecting.
    const standbyUntil = Date.now() + TTL_MS * 2.5;
    while (Date.now() < standbyUntil) {
      const { a, b } = await sample();
      expect(a, 'holder').to.deep.equal({ held: true, projecting: true });
      expect(b, 'standby').to.deep.equal({ held: false, projecting: false });
      await sleep(SAMPLE_EVERY_MS);
    }

    first.kill('SIGKILL');
    const killedAt = Date.now();
    let tookOverAt = 0;
    while (Date.now() - killedAt < TTL_MS * 3) {
      const { b } = await sample();
      if (b?.held && b.projecting) {
        tookOverAt = Date.now();
        break;
      }
      await sleep(SAMPLE_EVERY_MS);
    }
    const takeoverMs = tookOverAt - killedAt;
    console.log(`      takeover ${takeoverMs} ms after SIGKILL (TTL ${TTL_MS} ms)`);
    expect(tookOverAt, `no takeover:\n${second.tail()}`).to.be.above(0);
    // The entry expires TTL after the holder's last renewal (sent at most TTL/3 before the kill);
    // the standby retries every TTL/10; plus one sample.
    expect(takeoverMs).to.be.at.most(TTL_MS + TTL_MS / 10 + SAMPLE_EVERY_MS + 250);
    expect(both).to.deep.equal([]);
  });

  it('hands over at once when the holder stops gracefully (SIGTERM releases the lease)', async () => {
    const [, second] = replicas;
    if (second === undefined) throw new Error('the first test starts the replicas');
    const third = await startProjector(second.dataDir);
    replicas.push(third);
    await third.waitForLog((line) => line.msg === 'lease held by a peer; standing by');
    const stoppedAt = Date.now();
    const exit = await second.stop();
    expect(exit.code, second.tail()).to.equal(0);
    await third.waitForLog((line) => line.msg === 'lease acquired', TTL_MS * 3);
    const handoverMs = Date.now() - stoppedAt;
    console.log(`      handover ${handoverMs} ms after SIGTERM`);
    expect(await projectorState(third)).to.deep.equal({ held: true, projecting: true });
  });

  it('pauses projecting when NATS is gone longer than the TTL, stays up, and resumes when NATS returns', async () => {
    const holder = replicas.at(-1);
    if (holder === undefined) throw new Error('the earlier tests start the replicas');
    expect(await projectorState(holder)).to.deep.include({ held: true });
    const lostBefore = holder.logs().filter((line) => line.msg.startsWith('lease lost')).length;
    const acquiredBefore = holder.logs().filter((line) => line.msg === 'lease acquired').length;
    await nats?.stop();
    try {
      await holder.waitForLog(
        (line) =>
          line.msg.startsWith('lease lost') &&
          holder.logs().filter((l) => l.msg.startsWith('lease lost')).length > lostBefore,
        TTL_MS * 3,
      );
      expect(await projectorState(holder)).to.deep.include({ held: false });
      expect((await fetch(`${holder.baseUrl}/health`)).status).to.equal(200);
    } finally {
      await nats?.start();
    }
    await holder.waitForLog(
      (line) =>
        line.msg === 'lease acquired' &&
        holder.logs().filter((l) => l.msg === 'lease acquired').length > acquiredBefore,
      TTL_MS * 10,
    );
    expect(await projectorState(holder)).to.deep.include({ held: true });
  });
});
