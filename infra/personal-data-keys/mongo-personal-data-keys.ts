import { randomBytes, randomUUID } from 'node:crypto';
import { Binary, MongoClient, type Collection } from 'mongodb';
import type { PersonalDataKeys, SubjectKey } from '../../ports/personal-data-keys.ts';

interface KeyDocument {
  _id: string; // the subject
  keyId: string;
  key: Binary;
  createdAt: string;
}

/**
 * Personal-data keys in a MongoDB collection (the distributed deployment), shared by every
 * process that writes or reads events. One document per subject, created by an atomic upsert,
 * so concurrent writers agree on one key.
 */
export class MongoPersonalDataKeys implements PersonalDataKeys {
  readonly #client: MongoClient;
  readonly #keys: Collection<KeyDocument>;
  #indexed: Promise<unknown> | undefined;

  constructor(options: { url: string; database: string; collection?: string }) {
    this.#client = new MongoClient(options.url, { serverSelectionTimeoutMS: 5000 });
    this.#keys = this.#client
      .db(options.database)
      .collection<KeyDocument>(options.collection ?? 'personal_data_keys');
  }

  #ready(): Promise<unknown> {
    this.#indexed ??= this.#keys.createIndex({ keyId: 1 }, { unique: true }).catch((error) => {
      this.#indexed = undefined;
      throw error;
    });
    return this.#indexed;
  }

  async keyFor(subject: string): Promise<SubjectKey> {
    await this.#ready();
    const found = await this.#keys.findOneAndUpdate(
      { _id: subject },
      {
        $setOnInsert: {
          keyId: randomUUID(),
          key: new Binary(randomBytes(32)),
          createdAt: new Date().toISOString(),
        },
      },
      { upsert: true, returnDocument: 'after' },
    );
    if (found === null) throw new Error(`no key for ${subject} after an upsert`);
    return { keyId: found.keyId, key: Buffer.from(found.key.buffer) };
  }

  async find(keyId: string): Promise<Buffer | null> {
    await this.#ready();
    const found = await this.#keys.findOne({ keyId });
    return found === null ? null : Buffer.from(found.key.buffer);
  }

  async destroy(subject: string): Promise<string[]> {
    await this.#ready();
    const found = await this.#keys.findOneAndDelete({ _id: subject });
    return found === null ? [] : [found.keyId];
  }

  async ping(): Promise<void> {
    await this.#client.db('admin').command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}
