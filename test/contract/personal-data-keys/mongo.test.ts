import { MongoClient } from 'mongodb';
import { MongoPersonalDataKeys } from '../../../infra/personal-data-keys/mongo-personal-data-keys.ts';
import { findOrStartMongo, type MongoForTests } from '../../support/ferretdb.ts';
import { personalDataKeysContract } from './personal-data-keys.contract.ts';

describe('MongoPersonalDataKeys', function () {
  let server: MongoForTests | undefined;
  const database = `cambio_keys_test_${process.pid}_${Date.now().toString(36)}`;

  before(async function () {
    this.timeout(90_000);
    const found = await findOrStartMongo();
    if (!found.available) {
      console.log(`\n  !!! key store contract: MongoDB adapter NOT TESTED: ${found.reason}\n`);
      this.skip();
    }
    server = found.server;
    console.log(`    key store contract: ${server.description}`);
  });

  after(async function () {
    this.timeout(60_000);
    if (!server) return;
    const client = new MongoClient(server.url);
    try {
      await client.db(database).dropDatabase();
    } finally {
      await client.close();
      await server.stop();
    }
  });

  personalDataKeysContract('MongoDB', async () => {
    if (!server) throw new Error('no server');
    const keys = new MongoPersonalDataKeys({ url: server.url, database });
    return { keys, cleanup: () => keys.close() };
  });
});
