import { PostgresPersonalDataKeys } from '../../../infra/personal-data-keys/postgres-personal-data-keys.ts';
import { createTestDatabase, postgresOrSkip, type TestDatabase } from '../../support/postgres.ts';
import { personalDataKeysContract } from './personal-data-keys.contract.ts';

describe('PostgresPersonalDataKeys', function () {
  let database: TestDatabase | undefined;

  before(async function () {
    this.timeout(30_000);
    await postgresOrSkip(this, 'key store contract (PostgreSQL)');
    database = await createTestDatabase();
  });

  after(async function () {
    this.timeout(30_000);
    await database?.drop();
  });

  personalDataKeysContract('PostgreSQL', async () => {
    if (!database) throw new Error('no database');
    const keys = new PostgresPersonalDataKeys({ url: database.url });
    return { keys, cleanup: () => keys.close() };
  });
});
