import {
  Long,
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Filter,
  type MongoClientOptions,
} from 'mongodb';
import type { JsonObject, JsonValue } from '../../ports/event-store.ts';
import type {
  CollectionSpec,
  DocumentWrite,
  FindQuery,
  ReadStore,
  StoredDocument,
} from '../../ports/read-store.ts';
import {
  assertCollectionName,
  assertFieldName,
  assertId,
  assertLimit,
  assertPosition,
} from './validation.ts';

export interface MongoReadStoreOptions {
  url: string;
  database: string;
  /** Merged over the defaults below (e.g. a longer serverSelectionTimeoutMS). */
  clientOptions?: MongoClientOptions;
}

/**
 * A document as stored: the projection's document under `doc`, readable in any MongoDB tool.
 * JSON that BSON servers refuse (FerretDB: arrays in arrays; both: keys that start with '$' or
 * hold '.') is kept exactly as JSON text in `json`, and `doc` then holds only the top-level
 * scalars, so filters and indexes work the same for every document.
 */
interface StoredShape {
  _id: string;
  position: bigint;
  doc: JsonObject;
  json?: string;
}

interface CheckpointShape {
  _id: string;
  position: bigint;
}

/** Collection names start with a letter, so this one cannot clash with a projection's. */
const checkpointsCollection = '_checkpoints';
const duplicateKey = 11000;
/**
 * Guarded writes go in small commands, a few at a time: FerretDB 1.x does the updates of one
 * command one after another, so commands in flight together keep its cores and its backend
 * busy. But it keeps the read of every matched update open until its command ends, each on a
 * pooled connection (100 per database on SQLite, 50 on PostgreSQL), and waits forever for one
 * more; so all of one store's commands together hold well under 50. MongoDB pays a few more
 * round trips.
 */
const guardedWritesPerCommand = 12;
const guardedCommandsInFlight = 3;
const namespaceNotFound = 26;

const asBigInt = (value: unknown): bigint => {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (value instanceof Long) return value.toBigInt();
  throw new Error(`read store: stored position is not an integer: ${String(value)}`);
};

const isStorableAsBson = (value: JsonValue, inArray = false): boolean => {
  if (Array.isArray(value)) return !inArray && value.every((item) => isStorableAsBson(item, true));
  if (value === null || typeof value !== 'object') return true;
  return Object.entries(value).every(
    ([key, item]) =>
      key !== '' &&
      !key.startsWith('$') &&
      !key.includes('.') &&
      !key.includes('\0') &&
      isStorableAsBson(item),
  );
};

const plainField = /^[A-Za-z_][A-Za-z0-9_]*$/;

const toStoredShape = (doc: JsonObject, position: bigint): Omit<StoredShape, '_id'> => {
  if (isStorableAsBson(doc)) return { position, doc };
  const searchable: JsonObject = {};
  for (const [key, value] of Object.entries(doc)) {
    if (plainField.test(key) && ['string', 'number', 'boolean'].includes(typeof value)) {
      searchable[key] = value;
    }
  }
  return { position, doc: searchable, json: JSON.stringify(doc) };
};

const toStored = <T extends JsonObject>(raw: StoredShape): StoredDocument<T> => ({
  id: raw._id,
  position: asBigInt(raw.position),
  doc: (raw.json === undefined ? raw.doc : JSON.parse(raw.json)) as T,
});

/** The highest position per document wins anyway; sending only it saves round trips. */
const latestPerDocument = (writes: readonly DocumentWrite[]): Map<string, DocumentWrite[]> => {
  const latest = new Map<string, Map<string, DocumentWrite>>();
  for (const write of writes) {
    assertCollectionName(write.collection);
    assertId(write.id);
    assertPosition(write.position, 'document');
    let byId = latest.get(write.collection);
    if (!byId) latest.set(write.collection, (byId = new Map()));
    const seen = byId.get(write.id);
    if (!seen || write.position > seen.position) byId.set(write.id, write);
  }
  return new Map([...latest].map(([collection, byId]) => [collection, [...byId.values()]]));
};

/**
 * The indexes (in the batch sent) of the writes refused because their _id exists; rethrows
 * any other failure.
 */
const duplicateKeyIndexes = (error: unknown): number[] => {
  if (!(error instanceof MongoBulkWriteError) || error.writeConcernError) throw error;
  const writeErrors = [error.writeErrors].flat();
  if (writeErrors.length === 0 || writeErrors.some((e) => e.code !== duplicateKey)) throw error;
  return writeErrors.map((e) => e.index);
};

/** Sets the document unless the stored one carries a position >= the write's. */
const guardedUpsert = (write: DocumentWrite): AnyBulkWriteOperation<StoredShape> => ({
  replaceOne: {
    filter: { _id: write.id, position: { $lt: write.position } },
    replacement: toStoredShape(write.doc, write.position),
    upsert: true,
  },
});

/** One command of guarded upserts; documents stored at a newer position are left alone. */
const upsertChunk = async (
  collection: Collection<StoredShape>,
  operations: AnyBulkWriteOperation<StoredShape>[],
  retry = true,
): Promise<void> => {
  if (operations.length === 0) return;
  let duplicates: number[];
  try {
    await collection.bulkWrite(operations, { ordered: false });
    return;
  } catch (error) {
    // A guarded upsert whose filter misses because a newer version is stored turns into an
    // insert of an existing _id: that duplicate-key error means "already up to date".
    duplicates = duplicateKeyIndexes(error);
  }
  // Unless another writer inserted the same new document at the same moment: then this write
  // may be the newer one. Once the document exists the filter decides, so one retry settles it.
  if (retry) {
    const again = duplicates.map((index) => operations[index]).filter((op) => op !== undefined);
    await upsertChunk(collection, again, false);
  }
};

/**
 * The distributed read store on MongoDB (and FerretDB, which stands in for it in tests). It
 * uses no multi-document transactions: every write is guarded by position, so a batch
 * interrupted before its checkpoint moved is simply applied again.
 */
export class MongoReadStore implements ReadStore {
  readonly #client: MongoClient;
  readonly #db: Db;

  constructor(options: MongoReadStoreOptions) {
    this.#client = new MongoClient(options.url, {
      // Positions are int64 and must come back as bigint, never as a lossy number.
      useBigInt64: true,
      serverSelectionTimeoutMS: 5000,
      ...options.clientOptions,
    });
    this.#db = this.#client.db(options.database);
  }

  async ensureCollection(spec: CollectionSpec): Promise<void> {
    const collection = this.#collection(spec.name);
    const indexes = [
      { key: { position: 1, _id: 1 }, name: 'by_position' },
      ...spec.indexes.map((fields) => {
        if (fields.length === 0) throw new Error(`empty index on collection ${spec.name}`);
        // Position and _id close every index so that filtered finds are served in cursor
        // order straight from the index, in both directions, without a sort stage.
        const key: Record<string, 1> = {};
        for (const field of fields) key[`doc.${assertFieldName(field)}`] = 1;
        key.position = 1;
        key._id = 1;
        return { key, name: `by_${fields.join('_')}` };
      }),
    ];
    // Only missing indexes are created, one per command: FerretDB 1.x crashes the connection
    // on a createIndexes that repeats more than one existing index.
    const existing = new Set((await this.#listIndexes(collection)).map((index) => index.name));
    for (const index of indexes) {
      if (!existing.has(index.name)) await collection.createIndex(index.key, { name: index.name });
    }
  }

  async apply(
    writes: readonly DocumentWrite[],
    checkpoint?: { name: string; position: bigint },
  ): Promise<void> {
    if (checkpoint) assertPosition(checkpoint.position, 'checkpoint');
    const groups = latestPerDocument(writes);
    // One collection after another: see guardedWritesPerCommand.
    for (const [name, group] of groups) {
      await this.#insertOrReplace(name, group);
    }
    if (checkpoint) await this.setCheckpoint(checkpoint.name, checkpoint.position);
  }

  async get<T extends JsonObject = JsonObject>(
    collection: string,
    id: string,
  ): Promise<StoredDocument<T> | null> {
    const raw = await this.#collection(collection).findOne({ _id: id });
    return raw ? toStored<T>(raw) : null;
  }

  async find<T extends JsonObject = JsonObject>(
    collection: string,
    query: FindQuery,
  ): Promise<StoredDocument<T>[]> {
    const limit = assertLimit(query.limit);
    if (query.after !== undefined) assertPosition(query.after, 'cursor');
    if (limit === 0) return [];
    const target = this.#collection(collection);
    const where: Record<string, string | number | boolean> = {};
    for (const [field, value] of Object.entries(query.where ?? {})) {
      where[`doc.${assertFieldName(field)}`] = value;
    }
    const desc = query.order === 'desc';
    const direction = desc ? -1 : 1;
    const filter: Filter<StoredShape> =
      query.after === undefined
        ? where
        : { ...where, position: desc ? { $lt: query.after } : { $gt: query.after } };
    const rows = await target
      .find(filter)
      .sort({ position: direction, _id: direction })
      .limit(limit + 1)
      .toArray();
    if (rows.length <= limit) return rows.map((row) => toStored<T>(row));

    // The cursor is a position alone, so a page must not end inside a group of documents that
    // share one position (one event writing several documents): the next page would skip the
    // rest of the group. Such a page is extended to the end of the group.
    const page = rows.slice(0, limit);
    const last = page[page.length - 1] as StoredShape;
    const next = rows[limit] as StoredShape;
    if (asBigInt(next.position) !== asBigInt(last.position)) {
      return page.map((row) => toStored<T>(row));
    }
    const rest = await target
      .find({
        ...where,
        position: last.position,
        _id: desc ? { $lt: last._id } : { $gt: last._id },
      })
      .sort({ position: direction, _id: direction })
      .toArray();
    return [...page, ...rest].map((row) => toStored<T>(row));
  }

  async drop(collection: string): Promise<void> {
    try {
      await this.#collection(collection).drop();
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === namespaceNotFound)) throw error;
    }
  }

  async getCheckpoint(name: string): Promise<bigint | null> {
    const raw = await this.#checkpoints().findOne({ _id: name });
    return raw ? asBigInt(raw.position) : null;
  }

  async setCheckpoint(name: string, position: bigint | null): Promise<void> {
    const checkpoints = this.#checkpoints();
    if (position === null) {
      await checkpoints.deleteOne({ _id: name });
    } else {
      assertPosition(position, 'checkpoint');
      await checkpoints.updateOne({ _id: name }, { $set: { position } }, { upsert: true });
    }
  }

  async ping(): Promise<void> {
    await this.#db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  /**
   * Every write is first tried as a plain insert, and only those whose document already exists
   * go through the position-guarded replace. An insert needs no guard (there is nothing to
   * overwrite), and in a rebuild most writes create documents; a filtered write costs a lookup
   * per document on MongoDB, and on FerretDB 1.x more: a filter with more than `_id` in it
   * reads the whole collection.
   */
  async #insertOrReplace(name: string, writes: readonly DocumentWrite[]): Promise<void> {
    const collection = this.#collection(name);
    const existing = await this.#insertNew(
      collection,
      writes.map((write) => ({ _id: write.id, ...toStoredShape(write.doc, write.position) })),
    );
    const rewrites = existing.map((index) => writes[index]).filter((write) => write !== undefined);
    await this.#upsertGuarded(collection, rewrites.map(guardedUpsert));
  }

  /** Inserts the documents that do not exist yet; returns the indexes of those that do. */
  async #insertNew(collection: Collection<StoredShape>, rows: StoredShape[]): Promise<number[]> {
    if (rows.length === 0) return [];
    try {
      await collection.insertMany(rows, { ordered: false });
      return [];
    } catch (error) {
      return duplicateKeyIndexes(error);
    }
  }

  async #upsertGuarded(
    collection: Collection<StoredShape>,
    operations: AnyBulkWriteOperation<StoredShape>[],
  ): Promise<void> {
    const chunks: AnyBulkWriteOperation<StoredShape>[][] = [];
    for (let start = 0; start < operations.length; start += guardedWritesPerCommand) {
      chunks.push(operations.slice(start, start + guardedWritesPerCommand));
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let chunk = chunks[next++]; chunk; chunk = chunks[next++]) {
        await upsertChunk(collection, chunk);
      }
    };
    await Promise.all(Array.from({ length: guardedCommandsInFlight }, worker));
  }

  async #listIndexes(collection: Collection<StoredShape>): Promise<{ name: string }[]> {
    try {
      return (await collection.listIndexes().toArray()) as { name: string }[];
    } catch (error) {
      if (error instanceof MongoServerError && error.code === namespaceNotFound) return [];
      throw error;
    }
  }

  #collection(name: string): Collection<StoredShape> {
    return this.#db.collection<StoredShape>(assertCollectionName(name));
  }

  #checkpoints(): Collection<CheckpointShape> {
    return this.#db.collection<CheckpointShape>(checkpointsCollection);
  }
}
