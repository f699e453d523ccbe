/**
 * What the audit layers cost on the append path: the hash chain (chainedEventStore) and
 * crypto-shredding (personalDataEventStore) in front of the embedded SQLite store, against the
 * bare adapter, in the same run.
 *
 *   npm run bench -- audit-layers            options: --appends 3000 --rounds 3
 *
 * Each variant appends the same sequence, one event per append at the exact expected revision
 * (as the command handler does), round-robin over 50 streams, one append in flight, on a fresh
 * file with synchronous=normal (no fsync per commit, so the layers' own cost is not hidden
 * behind the disk). Two event kinds: a wallet deposit (no personal field: the chain only) and
 * a sign-up (mail, names and password hash encrypted). Variants interleave round by round and
 * the median round is reported, as appends per second and as a ratio to the bare adapter.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chainedEventStore } from '../commands/chained-event-store.ts';
import { personalDataEventStore } from '../commands/personal-data-event-store.ts';
import { SqliteEventStore } from '../infra/event-store/sqlite-event-store.ts';
import { SqlitePersonalDataKeys } from '../infra/personal-data-keys/sqlite-personal-data-keys.ts';
import type { EventStore, EventToAppend, JsonObject } from '../ports/event-store.ts';

const { values } = parseArgs({
  options: {
    appends: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
  },
});
const APPENDS = Number(values.appends);
const ROUNDS = Number(values.rounds);
const STREAMS = 50;

type Variant = 'bare adapter' | 'chain' | 'chain + personal data';
const VARIANTS: Variant[] = ['bare adapter', 'chain', 'chain + personal data'];
type Kind = 'deposit' | 'sign-up';

const eventOf = (kind: Kind, n: number): EventToAppend => {
  const id = randomUUID();
  const metadata = {
    correlationId: id,
    causationId: id,
    actor: 'bench',
    schemaVersion: 1,
    timestamp: new Date().toISOString(),
  };
  const data: JsonObject =
    kind === 'deposit'
      ? { userId: `u${n % STREAMS}`, currency: 'USD', amount: '1', balance: String(n) }
      : {
          mail: `person${n % STREAMS}@example.com`,
          userId: `u${n % STREAMS}`,
          name: 'Ada',
          lastName: 'Lovelace',
          passwordHash: '$2b$10$abcdefghijklmnopqrstuuJ1mZrGm2vS7aP8cJm7dV3l0mQW9yq2',
          registeredAt: metadata.timestamp,
        };
  return { id, type: kind === 'deposit' ? 'FundsDeposited' : 'UserRegistered', data, metadata };
};

const run = async (variant: Variant, kind: Kind): Promise<number> => {
  const dir = await mkdtemp(join(tmpdir(), 'cambio-bench-audit-'));
  const raw = await SqliteEventStore.open({
    file: join(dir, 'events.sqlite'),
    synchronous: 'normal',
  });
  const keys = new SqlitePersonalDataKeys({ file: join(dir, 'keys.sqlite') });
  let store: EventStore = raw;
  if (variant !== 'bare adapter') store = chainedEventStore(raw);
  if (variant === 'chain + personal data') store = personalDataEventStore(store, keys);
  const events = Array.from({ length: APPENDS }, (_, n) => eventOf(kind, n));
  const revisions = new Map<string, bigint>();
  const started = performance.now();
  for (const [n, event] of events.entries()) {
    const stream = `s-${n % STREAMS}`;
    const revision = revisions.get(stream);
    const result = await store.append(stream, [event], {
      expectedRevision: revision === undefined ? 'no_stream' : revision,
    });
    revisions.set(stream, result.nextExpectedRevision);
  }
  const perSecond = APPENDS / ((performance.now() - started) / 1000);
  await store.close();
  await keys.close();
  await rm(dir, { recursive: true, force: true });
  return perSecond;
};

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(
  `audit layers: ${APPENDS} appends x ${ROUNDS} rounds per variant; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const kind of ['deposit', 'sign-up'] as const) {
  const samples = new Map<Variant, number[]>(VARIANTS.map((variant) => [variant, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of VARIANTS) samples.get(variant)!.push(await run(variant, kind));
  }
  const base = median(samples.get('bare adapter')!);
  for (const variant of VARIANTS) {
    const value = median(samples.get(variant)!);
    console.log(
      `${kind.padEnd(8)} ${variant.padEnd(22)} ${value.toFixed(0).padStart(7)} appends/s  ${(value / base).toFixed(2)}x`,
    );
  }
}
