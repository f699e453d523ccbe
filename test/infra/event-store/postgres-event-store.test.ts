/**
 * What the contract suite cannot show about the PostgreSQL store: transactions that commit
 * out of order, processes migrating the schema at the same moment, an unreachable server.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { WrongExpectedRevisionError, type RecordedEvent } from '../../../ports/event-store.ts';
import { EventStoreUnavailableError } from '../../../infra/event-store/event-store-unavailable-error.ts';
import { PostgresEventStore } from '../../../infra/event-store/postgres-event-store.ts';
import { SCHEMA_VERSION } from '../../../infra/event-store/postgres-schema.ts';
import { testEvent } from '../../support/child/test-events.ts';
import { freePort } from '../../support/nats-server.ts';
import { createTestDatabase, postgresOrSkip, type TestDatabase } from '../../support/postgres.ts';

const waitUntil = async (condition: () => Promise<boolean> | boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('PostgresEventStore', function () {
  this.timeout(30_000);
  let database: TestDatabase;
  const opened: PostgresEventStore[] = [];
  const clients: pg.Client[] = [];

  const open = async () => {
    const store = await PostgresEventStore.open({ url: database.url, pollIntervalMs: 1000 });
    opened.push(store);
    return store;
  };
  const connect = async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    clients.push(client);
    return client;
  };

  before(async function () {
    await postgresOrSkip(this, 'the PostgreSQL event store tests');
  });

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.end().catch(() => {})));
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await database.drop();
  });

  it('a live subscriber sees every event exactly once, in order, when appends commit out of order', async () => {
    const [first, second, follower] = [await open(), await open(), await open()];
    const blocker = await connect();
    const naive = await connect();
    const held = `held-${randomUUID()}`;
    const quick = `quick-${randomUUID()}`;

    const received: RecordedEvent[] = [];
    const subscription = follower.subscribeToAll({ after: await follower.headPosition() });
    const following = (async () => {
      for await (const recorded of subscription) received.push(recorded);
    })();

    // The blocker opens a transaction that writes revision 0 of `held` and stays open.
    await blocker.query('BEGIN');
    await blocker.query(
      `INSERT INTO events (position, id, stream_id, revision, type, data, metadata)
       VALUES ((pg_current_xact_id()::text::bigint << 20) + 1, $1, $2, 0, 'Blocker', '{}', '{}')`,
      [randomUUID(), held],
    );
    // `first` appends to `held`: it takes its transaction id (so its position) now and waits
    // on the blocker's uncommitted row.
    const slowEvent = testEvent('Slow', { n: 1 });
    const slow = first.append(held, [slowEvent], { expectedRevision: 'any' });
    await waitUntil(async () => {
      const { rows } = await naive.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      return rows[0]!.waiting === 1;
    }, 'the first append waits on the blocker');

    // `second` appends later (a higher transaction id, so a higher position) and commits first.
    const fastEvent = testEvent('Fast', { n: 2 });
    const fast = await second.append(quick, [fastEvent], { expectedRevision: 'no_stream' });

    // The hazard is real: a reader going by "position > last seen" would take the fast event
    // now and never look below it again.
    const { rows: visible } = await naive.query<{ id: string }>(
      'SELECT id FROM events WHERE stream_id = ANY($1::text[]) ORDER BY position',
      [[held, quick]],
    );
    expect(visible.map(({ id }) => id)).to.deep.equal([fastEvent.id]);
    // The store's readers hold the fast event back while an older writer is open.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received.filter(({ streamId }) => streamId === quick)).to.deep.equal([]);
    expect((await follower.headPosition()) < fast.position).to.equal(true);

    // The blocker gives up; the first append now lands, below the fast one, and commits last.
    await blocker.query('ROLLBACK');
    const slowResult = await slow;
    expect(slowResult.position < fast.position).to.equal(true);

    await waitUntil(() => received.length >= 2, 'the follower received both events');
    await subscription.close();
    await following;
    expect(received.map(({ id }) => id)).to.deep.equal([slowEvent.id, fastEvent.id]);
    expect(received.map(({ position }) => position)).to.deep.equal([
      slowResult.position,
      fast.position,
    ]);
    expect(await follower.headPosition()).to.equal(fast.position);
  });

  it('decides again an append that lost a race for its revision to another transaction', async () => {
    const store = await open();
    const blocker = await connect();
    const naive = await connect();
    const stream = `raced-${randomUUID()}`;
    await blocker.query('BEGIN');
    await blocker.query(
      `INSERT INTO events (position, id, stream_id, revision, type, data, metadata)
       VALUES ((pg_current_xact_id()::text::bigint << 20) + 1, $1, $2, 0, 'Other', '{}', '{}')`,
      [randomUUID(), stream],
    );
    // Both see an empty stream and write revision 0, then wait on the blocker's row.
    const exact = store.append(stream, [testEvent('Exact', {})], { expectedRevision: 'no_stream' });
    const any = store.append(stream, [testEvent('Any', {})], { expectedRevision: 'any' });
    await waitUntil(async () => {
      const { rows } = await naive.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      return rows[0]!.waiting === 1;
    }, 'the group waits on the blocker');
    await blocker.query('COMMIT');

    const [exactOutcome, anyOutcome] = await Promise.allSettled([exact, any]);
    expect(exactOutcome.status).to.equal('rejected');
    const conflict = (exactOutcome as PromiseRejectedResult).reason as WrongExpectedRevisionError;
    expect(conflict).to.be.instanceOf(WrongExpectedRevisionError);
    expect(conflict.actual).to.equal(0n);
    expect(anyOutcome.status).to.equal('fulfilled');
    expect(
      (anyOutcome as PromiseFulfilledResult<{ nextExpectedRevision: bigint }>).value
        .nextExpectedRevision,
    ).to.equal(1n);
    expect((await store.readStream(stream)).map(({ type }) => type)).to.deep.equal([
      'Other',
      'Any',
    ]);
  });

  it('creates the schema once when several processes open a fresh database together', async () => {
    const stores = await Promise.all(Array.from({ length: 4 }, () => open()));
    await stores[0]!.append('s', [testEvent('One', {})], { expectedRevision: 'no_stream' });
    const client = await connect();
    const { rows } = await client.query<{ version: number }>(
      'SELECT version FROM event_store_schema ORDER BY version',
    );
    expect(rows.map(({ version }) => version)).to.deep.equal(
      Array.from({ length: SCHEMA_VERSION }, (_, index) => index + 1),
    );
    // A later start finds the schema in place and the events still there.
    const later = await open();
    expect(await later.readStream('s')).to.have.length(1);
  });

  it('refuses a database migrated by newer code', async () => {
    await open();
    const client = await connect();
    await client.query('INSERT INTO event_store_schema (version) VALUES ($1)', [
      SCHEMA_VERSION + 1,
    ]);
    let failure: unknown;
    try {
      await open();
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).to.match(/schema version 2; this code knows up to 1/);
  });

  it('rejects with EventStoreUnavailableError when the server cannot be reached', async () => {
    const url = `postgres://postgres@127.0.0.1:${await freePort()}/nothing`;
    let failure: unknown;
    try {
      await PostgresEventStore.open({ url, connectionTimeoutMs: 1000 });
    } catch (error) {
      failure = error;
    }
    expect(failure).to.be.instanceOf(EventStoreUnavailableError);
  });
});
