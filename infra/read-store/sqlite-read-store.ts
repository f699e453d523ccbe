import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { JsonObject } from '../../ports/event-store.ts';
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

export interface SqliteReadStoreOptions {
  /** Path of the database file, created with its folder when missing; ':memory:' for tests. */
  file: string;
}

interface Row {
  id: string;
  position: bigint;
  doc: string;
}

type FilterValue = string | number | boolean;

/** Collections are tables with this prefix, so no collection name can clash with `checkpoints`. */
const tableOf = (collection: string): string => `doc_${assertCollectionName(collection)}`;

/** The same expression text in indexes and queries, so SQLite matches them to each other. */
const fieldExpr = (field: string): string => `json_extract(doc, '$.${assertFieldName(field)}')`;

/**
 * json_extract maps JSON true/false to 1/0, so a number filter would also match booleans; the
 * json_type guard keeps equality as strict as MongoDB's while the index serves the lookup.
 */
const typeGuard = (field: string, value: FilterValue): string => {
  const type = `json_type(doc, '$.${field}')`;
  if (typeof value === 'string') return `${type} = 'text'`;
  if (typeof value === 'number') return `${type} IN ('integer', 'real')`;
  return `${type} = '${value ? 'true' : 'false'}'`;
};

const toSqlValue = (value: FilterValue): string | number => {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error(`read store filters take finite numbers, got ${String(value)}`);
  }
  return value;
};

const toStored = <T extends JsonObject>(row: Row): StoredDocument<T> => ({
  id: row.id,
  position: row.position,
  doc: JSON.parse(row.doc) as T,
});

/**
 * The embedded read store: one SQLite file in WAL mode, one table per collection holding
 * (id, position, doc as JSON text), expression indexes on the spec's fields, and a checkpoints
 * table written in the same transaction as the documents.
 */
export class SqliteReadStore implements ReadStore {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #tables = new Set<string>();

  constructor(options: SqliteReadStoreOptions) {
    if (options.file !== ':memory:' && !options.file.startsWith('file:')) {
      mkdirSync(dirname(options.file), { recursive: true });
    }
    this.#db = new Database(options.file);
    this.#db.defaultSafeIntegers(true);
    this.#db.pragma('journal_mode = WAL');
    // WAL with NORMAL may lose the last commits on power loss but never splits a transaction,
    // and documents and checkpoint always commit together, so a lost tail is simply replayed.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL) STRICT',
    );
  }

  async ensureCollection(spec: CollectionSpec): Promise<void> {
    const table = tableOf(spec.name);
    const indexes = spec.indexes.map((fields) => {
      if (fields.length === 0) throw new Error(`empty index on collection ${spec.name}`);
      return fields.map(assertFieldName);
    });
    this.#inTransaction(() => {
      this.#createTable(table);
      for (const fields of indexes) {
        const columns = [...fields.map(fieldExpr), 'position', 'id'].join(', ');
        this.#db.exec(
          `CREATE INDEX IF NOT EXISTS "${table}_by_${fields.join('_')}" ON "${table}" (${columns})`,
        );
      }
    });
  }

  async apply(
    writes: readonly DocumentWrite[],
    checkpoint?: { name: string; position: bigint },
  ): Promise<void> {
    if (checkpoint) assertPosition(checkpoint.position, 'checkpoint');
    const rows = writes.map((write) => ({
      table: tableOf(write.collection),
      id: assertId(write.id),
      position: assertPosition(write.position, 'document'),
      doc: JSON.stringify(write.doc),
    }));
    this.#inTransaction(() => {
      for (const row of rows) {
        if (!this.#hasTable(row.table)) this.#createTable(row.table);
        this.#statement(
          `INSERT INTO "${row.table}" (id, position, doc) VALUES (?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET position = excluded.position, doc = excluded.doc
           WHERE excluded.position > "${row.table}".position`,
        ).run(row.id, row.position, row.doc);
      }
      if (checkpoint) this.#writeCheckpoint(checkpoint.name, checkpoint.position);
    });
  }

  async get<T extends JsonObject = JsonObject>(
    collection: string,
    id: string,
  ): Promise<StoredDocument<T> | null> {
    const table = tableOf(collection);
    if (!this.#hasTable(table)) return null;
    const row = this.#statement(`SELECT id, position, doc FROM "${table}" WHERE id = ?`).get(id) as
      Row | undefined;
    return row ? toStored<T>(row) : null;
  }

  async find<T extends JsonObject = JsonObject>(
    collection: string,
    query: FindQuery,
  ): Promise<StoredDocument<T>[]> {
    const table = tableOf(collection);
    const limit = assertLimit(query.limit);
    if (query.after !== undefined) assertPosition(query.after, 'cursor');
    if (limit === 0 || !this.#hasTable(table)) return [];

    const conditions: string[] = [];
    const params: (string | number | bigint)[] = [];
    for (const [field, value] of Object.entries(query.where ?? {})) {
      conditions.push(`${fieldExpr(field)} = ?`, typeGuard(field, value));
      params.push(toSqlValue(value));
    }
    const desc = query.order === 'desc';
    const direction = desc ? 'DESC' : 'ASC';
    const base = `SELECT id, position, doc FROM "${table}" WHERE ${
      conditions.length > 0 ? conditions.join(' AND ') : '1'
    }`;

    const pageSql =
      `${base}${query.after === undefined ? '' : ` AND position ${desc ? '<' : '>'} ?`}` +
      ` ORDER BY position ${direction}, id ${direction} LIMIT ?`;
    const pageParams = query.after === undefined ? params : [...params, query.after];
    const rows = this.#statement(pageSql).all(...pageParams, limit + 1) as Row[];
    if (rows.length <= limit) return rows.map((row) => toStored<T>(row));

    // The cursor is a position alone, so a page must not end inside a group of documents that
    // share one position (one event writing several documents): the next page would skip the
    // rest of the group. Such a page is extended to the end of the group.
    const page = rows.slice(0, limit);
    const last = page[page.length - 1] as Row;
    const next = rows[limit] as Row;
    if (next.position !== last.position) return page.map((row) => toStored<T>(row));
    const restSql = `${base} AND position = ? AND id ${desc ? '<' : '>'} ? ORDER BY id ${direction}`;
    const rest = this.#statement(restSql).all(...params, last.position, last.id) as Row[];
    return [...page, ...rest].map((row) => toStored<T>(row));
  }

  async drop(collection: string): Promise<void> {
    const table = tableOf(collection);
    this.#db.exec(`DROP TABLE IF EXISTS "${table}"`);
    this.#tables.delete(table);
    this.#statements.clear();
  }

  async getCheckpoint(name: string): Promise<bigint | null> {
    const row = this.#statement('SELECT position FROM checkpoints WHERE name = ?').get(name) as
      { position: bigint } | undefined;
    return row ? row.position : null;
  }

  async setCheckpoint(name: string, position: bigint | null): Promise<void> {
    if (position === null) {
      this.#statement('DELETE FROM checkpoints WHERE name = ?').run(name);
    } else {
      this.#writeCheckpoint(name, assertPosition(position, 'checkpoint'));
    }
  }

  async ping(): Promise<void> {
    this.#statement('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (!this.#db.open) return;
    this.#statements.clear();
    this.#db.close();
  }

  #writeCheckpoint(name: string, position: bigint): void {
    this.#statement(
      `INSERT INTO checkpoints (name, position) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position`,
    ).run(name, position);
  }

  #inTransaction(work: () => void): void {
    try {
      this.#db.transaction(work)();
    } catch (error) {
      // A rolled-back transaction may have created tables that are gone again.
      this.#tables.clear();
      throw error;
    }
  }

  #createTable(table: string): void {
    this.#db.exec(
      `CREATE TABLE IF NOT EXISTS "${table}" (
         id TEXT PRIMARY KEY, position INTEGER NOT NULL, doc TEXT NOT NULL) STRICT;
       CREATE INDEX IF NOT EXISTS "${table}_by_position" ON "${table}" (position, id)`,
    );
    this.#tables.add(table);
  }

  #hasTable(table: string): boolean {
    if (this.#tables.has(table)) return true;
    const found = this.#statement(
      "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?",
    ).get(table);
    if (found) this.#tables.add(table);
    return found !== undefined;
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
