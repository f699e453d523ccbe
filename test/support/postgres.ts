/**
 * The machine's PostgreSQL for tests (127.0.0.1:5432, user postgres, trust auth; or
 * POSTGRES_TEST_URL), with a fresh database per test run so runs never see each other's
 * events. Suites that need it call `postgresOrSkip`: when the server does not answer they
 * print why and skip, except in CI (CI=true), where a missing PostgreSQL is a failure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const ADMIN_URL =
  process.env.POSTGRES_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type PostgresLookup =
  { available: true; description: string } | { available: false; reason: string };

let lookup: Promise<PostgresLookup> | undefined;

/** Whether the server answers, asked once per test run. */
export const findPostgres = (): Promise<PostgresLookup> =>
  (lookup ??= (async (): Promise<PostgresLookup> => {
    const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
      const { hostname, port } = new URL(ADMIN_URL);
      return {
        available: true,
        description: `PostgreSQL ${rows[0]?.server_version} at ${hostname}:${port || 5432}`,
      };
    } catch (error) {
      return { available: false, reason: `${ADMIN_URL} does not answer: ${String(error)}` };
    } finally {
      await client.end().catch(() => {});
    }
  })());

/** In a mocha `before`: skips the suite loudly when PostgreSQL is missing (fails in CI). */
export const postgresOrSkip = async (context: Mocha.Context, suite: string): Promise<void> => {
  const found = await findPostgres();
  if (found.available) {
    console.log(`      ${suite}: ${found.description}`);
    return;
  }
  if (process.env.CI) throw new Error(`${suite} needs PostgreSQL in CI: ${found.reason}`);
  console.log(
    `\n      !!! SKIPPING ${suite}: ${found.reason}\n` +
      '      !!! It needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) or POSTGRES_TEST_URL.\n',
  );
  context.skip();
};

const withAdmin = async <T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
};

export interface TestDatabase {
  /** Connection string of the fresh database. */
  url: string;
  name: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

/** A new, empty database on the server of `adminUrl`, named for the run. */
export const createTestDatabase = async (adminUrl = ADMIN_URL): Promise<TestDatabase> => {
  const name = `cambio_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      withAdmin(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      ).then(() => undefined),
  };
};
