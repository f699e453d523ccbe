import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SqliteReadStore } from '../../../infra/read-store/sqlite-read-store.ts';
import { readStoreContract } from './read-store.contract.ts';

describe('SqliteReadStore', function () {
  let dir: string;
  let files = 0;
  const nextFile = () => {
    const file = join(dir, `read-${++files}.sqlite`);
    return file;
  };
  const fileOf = new WeakMap<object, string>();

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'cambio-read-store-'));
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  readStoreContract(
    'SQLite',
    async () => {
      const file = nextFile();
      const store = new SqliteReadStore({ file });
      fileOf.set(store, file);
      return store;
    },
    {
      // A trigger added through a second connection makes SQLite itself abort the statement
      // in the middle of apply's transaction.
      failWritesOf: async (store, collection, id) => {
        const other = new Database(fileOf.get(store) as string);
        try {
          other.exec(
            `CREATE TRIGGER fail_${id} BEFORE INSERT ON doc_${collection}
             WHEN NEW.id = '${id}' BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END`,
          );
        } finally {
          other.close();
        }
      },
    },
  );

  describe('SQLite specifics', function () {
    let file: string;
    let store: SqliteReadStore;

    beforeEach(async function () {
      file = nextFile();
      store = new SqliteReadStore({ file });
      await store.ensureCollection({
        name: 'accounts',
        indexes: [['owner'], ['owner', 'currency']],
      });
    });

    afterEach(async function () {
      await store.close();
    });

    it('runs in WAL mode and keeps data across reopening', async function () {
      await store.apply(
        [{ collection: 'accounts', id: 'a1', position: 1n, doc: { owner: 'u1' } }],
        {
          name: 'p',
          position: 1n,
        },
      );
      await store.close();
      store = new SqliteReadStore({ file });
      expect((await store.get('accounts', 'a1'))?.doc).to.deep.equal({ owner: 'u1' });
      expect(await store.getCheckpoint('p')).to.equal(1n);
      const raw = new Database(file, { readonly: true });
      try {
        expect(raw.pragma('journal_mode', { simple: true })).to.equal('wal');
      } finally {
        raw.close();
      }
    });

    it('serves filtered and cursor queries from indexes, without a sort step', async function () {
      const raw = new Database(file, { readonly: true });
      const plan = (sql: string, ...params: unknown[]) =>
        (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
          .map((row) => row.detail)
          .join(' | ');
      try {
        const filtered = plan(
          `SELECT id, position, doc FROM "doc_accounts" WHERE json_extract(doc, '$.owner') = ?
           AND json_type(doc, '$.owner') = 'text' AND position > ? ORDER BY position DESC, id DESC LIMIT ?`,
          'u1',
          0,
          10,
        );
        expect(filtered).to.match(/USING INDEX doc_accounts_by_owner/);
        expect(filtered).not.to.match(/TEMP B-TREE/);
        const unfiltered = plan(
          `SELECT id, position, doc FROM "doc_accounts" WHERE 1 AND position > ?
           ORDER BY position ASC, id ASC LIMIT ?`,
          0,
          10,
        );
        expect(unfiltered).to.match(/USING INDEX doc_accounts_by_position/);
        expect(unfiltered).not.to.match(/TEMP B-TREE/);
      } finally {
        raw.close();
      }
    });

    it('forgets a table whose creation was rolled back with its batch', async function () {
      const other = new Database(file);
      other.exec(`CREATE TRIGGER refuse BEFORE INSERT ON doc_accounts
                   BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END`);
      other.close();
      const batch = [
        { collection: 'fresh', id: 'f1', position: 1n, doc: { v: 1 } },
        { collection: 'accounts', id: 'a1', position: 1n, doc: { v: 1 } },
      ];
      let failed = false;
      try {
        await store.apply(batch);
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
      expect(await store.get('fresh', 'f1')).to.equal(null);
      expect(await store.find('fresh', { order: 'asc', limit: 1 })).to.deep.equal([]);
      await store.apply([batch[0] as (typeof batch)[0]]);
      expect((await store.get('fresh', 'f1'))?.doc).to.deep.equal({ v: 1 });
    });

    it('creates the database folder when missing', async function () {
      const nested = new SqliteReadStore({ file: join(dir, 'nested', 'deeper', 'read.sqlite') });
      try {
        await nested.ping();
      } finally {
        await nested.close();
      }
    });

    it('refuses work after close', async function () {
      await store.close();
      let failed = false;
      try {
        await store.ping();
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
    });
  });
});
