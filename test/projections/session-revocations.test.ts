import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { SqliteReadStore } from '../../infra/read-store/sqlite-read-store.ts';
import type { EventToAppend } from '../../ports/event-store.ts';
import {
  followRevocationsInLog,
  followRevocationsInReadStore,
  positionBefore,
  recordRevocationsInReadStore,
} from '../../projections/session-revocations.ts';
import { createRevokedSessions } from '../../infra/auth/revoked-sessions.ts';

const minute = 60_000;
const T0 = Date.parse('2030-01-01T12:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * minute).toISOString();

const event = (
  type: string,
  minutes: number,
  data: Record<string, string> = {},
): EventToAppend => ({
  id: randomUUID(),
  type,
  data: { ...data },
  metadata: {
    correlationId: 'c',
    causationId: 'c',
    actor: 'test',
    schemaVersion: 1,
    timestamp: at(minutes),
  },
});

const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('session revocation feeds', () => {
  let dir: string;
  let events: SqliteEventStore;
  let reads: SqliteReadStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cambio-revocations-'));
    events = new SqliteEventStore({ file: join(dir, 'events.sqlite'), pollIntervalMs: 20 });
    reads = new SqliteReadStore({ file: join(dir, 'read.sqlite') });
    // Minute 0..9 one event each; sessions a (minute 2) and b (minute 8) revoked.
    for (let m = 0; m < 10; m++) {
      const type = m === 2 || m === 8 ? 'SessionRevoked' : 'Other';
      const stream = m === 2 ? 'session-a' : m === 8 ? 'session-b' : `other-${m}`;
      await events.append(stream, [event(type, m, { revokedAt: at(m) })], {
        expectedRevision: 'any',
      });
    }
  });

  afterEach(async () => {
    await events.close();
    await reads.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('bisects the log to the last event older than an instant', async () => {
    expect(await positionBefore(events, new Date(at(0)))).to.equal(0n);
    expect(await positionBefore(events, new Date(at(5)))).to.equal(5n);
    expect(await positionBefore(events, new Date(at(4.5)))).to.equal(5n);
    expect(await positionBefore(events, new Date(at(60)))).to.equal(10n);
  });

  it('follows the log from there: recent revocations count, older ones are not read', async () => {
    const seen: string[] = [];
    const follower = followRevocationsInLog({
      eventStore: events,
      since: () => new Date(at(5)),
      onRevoked: (sessionId) => seen.push(sessionId),
    });
    await follower.start();
    await until(() => seen.length === 1, 'session b');
    await events.append('session-c', [event('SessionRevoked', 11, { revokedAt: at(11) })], {
      expectedRevision: 'no_stream',
    });
    await until(() => seen.length === 2, 'session c');
    await follower.stop();
    expect(seen).to.deep.equal(['b', 'c']);
  });

  it('records revocations in the read store for processes without the log, and they poll them', async () => {
    const recorder = recordRevocationsInReadStore({
      eventStore: events,
      readStore: reads,
      since: () => new Date(at(0)),
    });
    await recorder.prepare();
    await recorder.start();
    const revoked = createRevokedSessions({
      accessTokenTtlSeconds: 900,
      clock: () => T0 + 10 * minute,
    });
    const follower = followRevocationsInReadStore({
      readStore: reads,
      since: () => new Date(at(5)),
      onRevoked: (sessionId, revokedAt) => revoked.revoke(sessionId, revokedAt),
      pollMs: 20,
    });
    await until(() => recorder.position === 10n, 'the recorder');
    await follower.start();
    // Loaded at start: b only (a is older than `since`).
    expect(revoked.isRevoked('b')).to.equal(true);
    expect(revoked.isRevoked('a')).to.equal(false);
    await events.append('session-d', [event('SessionRevoked', 10, { revokedAt: at(10) })], {
      expectedRevision: 'no_stream',
    });
    await until(() => revoked.isRevoked('d'), 'session d by polling');
    await follower.stop();
    await recorder.stop();
  });

  it('forgets a revocation once no access token of the session can be valid', () => {
    let now = T0;
    const revoked = createRevokedSessions({ accessTokenTtlSeconds: 900, clock: () => now });
    const closed: string[] = [];
    revoked.onRevoked((sessionId) => closed.push(sessionId));
    revoked.revoke('s', at(0));
    revoked.revoke('s', at(0));
    expect(closed).to.deep.equal(['s']);
    now = T0 + 15 * minute;
    expect(revoked.isRevoked('s')).to.equal(true);
    now = T0 + 16 * minute + 1;
    expect(revoked.isRevoked('s')).to.equal(false);
    // An old revocation read at start is not worth keeping.
    revoked.revoke('old', at(-60));
    expect(revoked.isRevoked('old')).to.equal(false);
  });
});
