import { expect } from 'chai';
import type { JsonObject } from '../../../ports/event-store.ts';
import type {
  CollectionSpec,
  DocumentWrite,
  FindQuery,
  ReadStore,
  StoredDocument,
} from '../../../ports/read-store.ts';

export interface ReadStoreContractOptions {
  /**
   * For stores whose `apply` is all-or-nothing: make the store itself (not the adapter's input
   * checks) refuse to write document `id` of `collection`, so the contract can check that the
   * rest of the batch and the checkpoint are rolled back with it.
   */
  failWritesOf?: (store: ReadStore, collection: string, id: string) => Promise<void>;
  /**
   * Says why the server cannot keep the newest of several writers racing on one document
   * (one active projector per projection never races); undefined when it can.
   */
  racingWritersUnsupported?: () => string | undefined;
}

const accounts: CollectionSpec = { name: 'accounts', indexes: [['owner'], ['owner', 'currency']] };

const write = (
  id: string,
  position: bigint,
  doc: JsonObject,
  collection = accounts.name,
): DocumentWrite => ({ collection, id, position, doc });

const ids = (documents: StoredDocument[]): string[] => documents.map((d) => d.id);

const rejection = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
};

/** Walks every page of a query the way a client does: the next cursor is the last position. */
const allPages = async (
  store: ReadStore,
  collection: string,
  query: Omit<FindQuery, 'after'>,
): Promise<{ documents: StoredDocument[]; pages: number }> => {
  const documents: StoredDocument[] = [];
  let after: bigint | undefined;
  for (let pages = 1; pages < 1000; pages++) {
    const page = await store.find(collection, after === undefined ? query : { ...query, after });
    documents.push(...page);
    const last = page[page.length - 1];
    if (page.length < query.limit || !last) return { documents, pages };
    after = last.position;
  }
  throw new Error('pagination does not end');
};

/**
 * The behaviour every ReadStore adapter must show. `makeStore` returns a store over fresh, empty
 * storage; the contract closes it after each test.
 */
export const readStoreContract = (
  name: string,
  makeStore: () => Promise<ReadStore>,
  options: ReadStoreContractOptions = {},
): void => {
  describe(`ReadStore contract: ${name}`, function () {
    let store: ReadStore;

    beforeEach(async function () {
      store = await makeStore();
      await store.ensureCollection(accounts);
    });

    afterEach(async function () {
      await store?.close();
    });

    describe('documents', function () {
      it('stores a document and reads it back by id', async function () {
        const doc = { owner: 'u1', currency: 'USD', balance: '64.05' };
        await store.apply([write('a1', 3n, doc)]);
        expect(await store.get('accounts', 'a1')).to.deep.equal({ id: 'a1', position: 3n, doc });
        expect(await store.get('accounts', 'missing')).to.equal(null);
      });

      it('answers empty for a collection that was never created', async function () {
        expect(await store.get('nothing_here', 'a1')).to.equal(null);
        expect(await store.find('nothing_here', { order: 'asc', limit: 10 })).to.deep.equal([]);
      });

      it('creates a collection on first write even without ensureCollection', async function () {
        await store.apply([write('x', 1n, { v: 1 }, 'implicit')]);
        expect((await store.get('implicit', 'x'))?.doc).to.deep.equal({ v: 1 });
      });

      it('round-trips nested JSON, unicode and awkward strings exactly', async function () {
        const doc: JsonObject = {
          name: 'Zoë "the wallet" O\'Brien \\ 🚀',
          empty: '',
          nothing: null,
          yes: true,
          no: false,
          count: 42,
          negative: -7,
          ratio: 0.125,
          amount: '0.000000000000000001',
          big: '123456789012345678901234567890',
          list: [1, 'two', { three: 3 }, [4], null],
          nested: { level1: { level2: { level3: ['deep', { ok: true }] } }, emptyObject: {} },
          multiline: 'line 1\nline 2\ttab\u0000nul',
        };
        await store.apply([write('j1', 1n, doc)]);
        expect((await store.get('accounts', 'j1'))?.doc).to.deep.equal(doc);
        const [found] = await store.find('accounts', { order: 'asc', limit: 5 });
        expect(found?.doc).to.deep.equal(doc);
      });

      it('stores any JSON shape and still finds it by top-level fields', async function () {
        const shapes: JsonObject[] = [
          {
            owner: 'shapes',
            matrix: [
              [1, 2],
              [3, [4, 5]],
            ],
            rows: [{ cells: [[true]] }],
          },
          { owner: 'shapes', 'dotted.key': 1, $dollar: 'x', nested: { 'a.b': { $c: [] } } },
          { owner: 'shapes', '': 'empty key', ' ': 'space key' },
          { owner: 'shapes', plain: { list: [1, { x: [2] }] } },
        ];
        await store.apply(shapes.map((doc, i) => write(`s${i}`, BigInt(i + 1), doc)));
        for (const [i, doc] of shapes.entries()) {
          expect((await store.get('accounts', `s${i}`))?.doc).to.deep.equal(doc);
        }
        const found = await store.find('accounts', {
          where: { owner: 'shapes' },
          order: 'asc',
          limit: 10,
        });
        expect(found.map((d) => d.doc)).to.deep.equal(shapes);
        // Replacing a document of one shape by another leaves nothing of the first behind.
        await store.apply([
          write('s0', 10n, { owner: 'shapes', flat: true }),
          write('s3', 10n, { x: [[1]] }),
        ]);
        expect((await store.get('accounts', 's0'))?.doc).to.deep.equal({
          owner: 'shapes',
          flat: true,
        });
        expect((await store.get('accounts', 's3'))?.doc).to.deep.equal({ x: [[1]] });
        expect(
          ids(
            await store.find('accounts', { where: { owner: 'shapes' }, order: 'asc', limit: 10 }),
          ),
        ).to.deep.equal(['s1', 's2', 's0']);
      });

      it('replaces the whole document on a newer write', async function () {
        await store.apply([write('a1', 1n, { owner: 'u1', extra: 'old' })]);
        await store.apply([write('a1', 2n, { owner: 'u1' })]);
        expect((await store.get('accounts', 'a1'))?.doc).to.deep.equal({ owner: 'u1' });
      });

      it('keeps collections apart', async function () {
        await store.ensureCollection({ name: 'other', indexes: [] });
        await store.apply([
          write('same', 1n, { in: 'accounts' }),
          write('same', 1n, { in: 'other' }, 'other'),
        ]);
        expect((await store.get('accounts', 'same'))?.doc).to.deep.equal({ in: 'accounts' });
        expect((await store.get('other', 'same'))?.doc).to.deep.equal({ in: 'other' });
      });
    });

    describe('position guard', function () {
      it('ignores older and equal positions; a newer one wins', async function () {
        await store.apply([write('a1', 5n, { v: 'five' })]);
        await store.apply([write('a1', 3n, { v: 'three' })]);
        expect(await store.get('accounts', 'a1')).to.deep.equal({
          id: 'a1',
          position: 5n,
          doc: { v: 'five' },
        });
        await store.apply([write('a1', 5n, { v: 'five again' })]);
        expect((await store.get('accounts', 'a1'))?.doc).to.deep.equal({ v: 'five' });
        await store.apply([write('a1', 6n, { v: 'six' })]);
        expect(await store.get('accounts', 'a1')).to.deep.equal({
          id: 'a1',
          position: 6n,
          doc: { v: 'six' },
        });
      });

      it('keeps the highest position when one batch writes a document twice, in any order', async function () {
        await store.apply([write('up', 1n, { v: 1 }), write('up', 2n, { v: 2 })]);
        await store.apply([write('down', 2n, { v: 2 }), write('down', 1n, { v: 1 })]);
        expect(await store.get('accounts', 'up')).to.deep.equal({
          id: 'up',
          position: 2n,
          doc: { v: 2 },
        });
        expect(await store.get('accounts', 'down')).to.deep.equal({
          id: 'down',
          position: 2n,
          doc: { v: 2 },
        });
      });

      it('is idempotent: re-applying a batch, or an older one, changes nothing', async function () {
        const older = [write('a', 1n, { v: 'a1' }), write('b', 2n, { v: 'b2' })];
        const newer = [
          write('a', 3n, { v: 'a3' }),
          write('b', 4n, { v: 'b4' }),
          write('c', 4n, { v: 'c4' }),
        ];
        await store.apply(older, { name: 'p', position: 2n });
        await store.apply(newer, { name: 'p', position: 4n });
        const snapshot = await store.find('accounts', { order: 'asc', limit: 10 });

        await store.apply(newer, { name: 'p', position: 4n });
        expect(await store.find('accounts', { order: 'asc', limit: 10 })).to.deep.equal(snapshot);
        await store.apply(older);
        expect(await store.find('accounts', { order: 'asc', limit: 10 })).to.deep.equal(snapshot);
        expect(ids(snapshot)).to.deep.equal(['a', 'b', 'c']);
        expect(snapshot.map((d) => d.doc.v)).to.deep.equal(['a3', 'b4', 'c4']);
        expect(await store.getCheckpoint('p')).to.equal(4n);
      });

      it('keeps the newest write when writers race on a new document', async function () {
        const unsupported = options.racingWritersUnsupported?.();
        if (unsupported) {
          console.log(`      (${name}: ${unsupported})`);
          this.skip();
        }
        for (let round = 0; round < 5; round++) {
          const positions = [7n, 3n, 10n, 1n, 9n, 5n, 2n, 8n, 6n, 4n];
          await Promise.all(
            positions.map((p) => store.apply([write(`race${round}`, p, { v: Number(p) })])),
          );
          expect(await store.get('accounts', `race${round}`)).to.deep.equal({
            id: `race${round}`,
            position: 10n,
            doc: { v: 10 },
          });
        }
      });

      it('handles positions beyond 2^53 exactly', async function () {
        const p = 2n ** 62n + 1n; // p and p + 1n are the same JS number
        await store.apply([write('big', p + 1n, { v: 'newer' })], {
          name: 'big',
          position: p + 1n,
        });
        await store.apply([write('big', p, { v: 'older' })]);
        expect(await store.get('accounts', 'big')).to.deep.equal({
          id: 'big',
          position: p + 1n,
          doc: { v: 'newer' },
        });
        await store.apply([write('big2', p, { v: 'x' }), write('big3', p + 2n, { v: 'y' })]);
        expect(
          ids(await store.find('accounts', { order: 'asc', after: p, limit: 10 })),
        ).to.deep.equal(['big', 'big3']);
        expect(
          ids(await store.find('accounts', { order: 'desc', after: p + 1n, limit: 10 })),
        ).to.deep.equal(['big2']);
        expect(await store.getCheckpoint('big')).to.equal(p + 1n);
        const max = 2n ** 63n - 1n;
        await store.setCheckpoint('max', max);
        expect(await store.getCheckpoint('max')).to.equal(max);
      });

      it('returns positions as bigint', async function () {
        await store.apply([write('a1', 1n, { v: 1 })], { name: 'p', position: 1n });
        expect(typeof (await store.get('accounts', 'a1'))?.position).to.equal('bigint');
        expect(
          typeof (await store.find('accounts', { order: 'asc', limit: 1 }))[0]?.position,
        ).to.equal('bigint');
        expect(typeof (await store.getCheckpoint('p'))).to.equal('bigint');
      });
    });

    describe('find', function () {
      beforeEach(async function () {
        await store.apply([
          write('a1', 1n, { owner: 'u1', currency: 'USD', n: 1, flag: true }),
          write('a2', 2n, { owner: 'u2', currency: 'USD', n: 2, flag: false }),
          write('a3', 3n, { owner: 'u1', currency: 'BTC', n: 1, flag: false }),
          write('a4', 4n, { owner: 'u1', currency: 'USD', n: 3 }),
          write('a5', 5n, { owner: 'u3', currency: 'ETH', n: 1.5, flag: true }),
        ]);
      });

      it('orders by position ascending and descending', async function () {
        expect(ids(await store.find('accounts', { order: 'asc', limit: 10 }))).to.deep.equal([
          'a1',
          'a2',
          'a3',
          'a4',
          'a5',
        ]);
        expect(ids(await store.find('accounts', { order: 'desc', limit: 10 }))).to.deep.equal([
          'a5',
          'a4',
          'a3',
          'a2',
          'a1',
        ]);
      });

      it('filters by equality on one or several fields', async function () {
        expect(
          ids(await store.find('accounts', { where: { owner: 'u1' }, order: 'asc', limit: 10 })),
        ).to.deep.equal(['a1', 'a3', 'a4']);
        expect(
          ids(
            await store.find('accounts', {
              where: { owner: 'u1', currency: 'USD' },
              order: 'desc',
              limit: 10,
            }),
          ),
        ).to.deep.equal(['a4', 'a1']);
        expect(
          ids(
            await store.find('accounts', { where: { owner: 'nobody' }, order: 'asc', limit: 10 }),
          ),
        ).to.deep.equal([]);
      });

      it('filters on fields without an index too', async function () {
        expect(
          ids(
            await store.find('accounts', { where: { currency: 'USD' }, order: 'asc', limit: 10 }),
          ),
        ).to.deep.equal(['a1', 'a2', 'a4']);
      });

      it('matches numbers, booleans and strings by type, as JSON does', async function () {
        await store.apply([
          write('t1', 10n, { owner: 'types', v: 1 }),
          write('t2', 11n, { owner: 'types', v: true }),
          write('t3', 12n, { owner: 'types', v: '1' }),
          write('t4', 13n, { owner: 'types', v: 1.0 }),
          write('t5', 14n, { owner: 'types', v: 0 }),
          write('t6', 15n, { owner: 'types', v: false }),
          write('t7', 16n, { owner: 'types', v: 'true' }),
        ]);
        const match = async (v: string | number | boolean) =>
          ids(
            await store.find('accounts', { where: { owner: 'types', v }, order: 'asc', limit: 10 }),
          );
        expect(await match(1)).to.deep.equal(['t1', 't4']);
        expect(await match(true)).to.deep.equal(['t2']);
        expect(await match('1')).to.deep.equal(['t3']);
        expect(await match(0)).to.deep.equal(['t5']);
        expect(await match(false)).to.deep.equal(['t6']);
        expect(await match('true')).to.deep.equal(['t7']);
        expect(
          ids(await store.find('accounts', { where: { n: 1.5 }, order: 'asc', limit: 10 })),
        ).to.deep.equal(['a5']);
        expect(
          ids(await store.find('accounts', { where: { flag: false }, order: 'asc', limit: 10 })),
        ).to.deep.equal(['a2', 'a3']);
      });

      it('continues after the cursor (exclusive) and honours the limit', async function () {
        expect(
          ids(await store.find('accounts', { order: 'asc', after: 2n, limit: 2 })),
        ).to.deep.equal(['a3', 'a4']);
        expect(
          ids(await store.find('accounts', { order: 'desc', after: 4n, limit: 2 })),
        ).to.deep.equal(['a3', 'a2']);
        expect(
          ids(
            await store.find('accounts', {
              where: { owner: 'u1' },
              order: 'asc',
              after: 1n,
              limit: 1,
            }),
          ),
        ).to.deep.equal(['a3']);
        expect(await store.find('accounts', { order: 'asc', after: 5n, limit: 10 })).to.deep.equal(
          [],
        );
        expect(await store.find('accounts', { order: 'desc', after: 1n, limit: 10 })).to.deep.equal(
          [],
        );
        expect(await store.find('accounts', { order: 'asc', limit: 0 })).to.deep.equal([]);
      });

      it('returns whole stored documents', async function () {
        const [first] = await store.find('accounts', {
          where: { owner: 'u2' },
          order: 'asc',
          limit: 1,
        });
        expect(first).to.deep.equal({
          id: 'a2',
          position: 2n,
          doc: { owner: 'u2', currency: 'USD', n: 2, flag: false },
        });
      });
    });

    describe('pagination', function () {
      // 60 documents for two owners; some events write several documents (equal positions),
      // and the first owner's documents are spread between the other's.
      const documents: DocumentWrite[] = [];
      for (let i = 0; i < 60; i++) {
        const position = BigInt(1 + Math.floor(i / 3) * 2 + (i % 3 === 2 ? 1 : 0));
        documents.push(
          write(`d${String(i).padStart(2, '0')}`, position, {
            owner: i % 4 === 0 ? 'even' : 'odd',
            i,
          }),
        );
      }

      beforeEach(async function () {
        // Written in three unordered batches, as a projection catching up might.
        await store.apply(documents.filter((_, i) => i % 3 === 1));
        await store.apply(documents.filter((_, i) => i % 3 === 0).reverse());
        await store.apply(documents.filter((_, i) => i % 3 === 2));
      });

      /** Ids grouped by position in page order; ids within one position are sorted. */
      const tieGroups = (found: { id: string; position: bigint }[]): string[][] => {
        const groups: string[][] = [];
        let last: bigint | undefined;
        for (const d of found) {
          if (d.position !== last) groups.push([]);
          groups[groups.length - 1]?.push(d.id);
          last = d.position;
        }
        return groups.map((g) => [...g].sort());
      };

      const expected = (order: 'asc' | 'desc', owner?: string): string[][] => {
        const sorted = documents
          .filter((d) => owner === undefined || d.doc.owner === owner)
          .sort((a, b) => (a.position === b.position ? 0 : a.position < b.position ? -1 : 1));
        return tieGroups(order === 'asc' ? sorted : sorted.reverse());
      };

      for (const order of ['asc', 'desc'] as const) {
        for (const limit of [1, 2, 4, 7, 60, 100]) {
          it(`walks all pages ${order} with limit ${limit}: no gap, no duplicate`, async function () {
            const { documents: found } = await allPages(store, 'accounts', { order, limit });
            expect(found).to.have.length(documents.length);
            expect(new Set(ids(found)).size).to.equal(found.length);
            // The same positions in the same order; within one position any order is fine.
            expect(tieGroups(found)).to.deep.equal(expected(order));
            const positions = found.map((d) => d.position);
            for (let i = 1; i < positions.length; i++) {
              const [before, now] = [positions[i - 1] as bigint, positions[i] as bigint];
              expect(order === 'asc' ? before <= now : before >= now).to.equal(true);
            }
          });
        }

        it(`walks filtered pages ${order}: no gap, no duplicate`, async function () {
          const { documents: found, pages } = await allPages(store, 'accounts', {
            where: { owner: 'even' },
            order,
            limit: 3,
          });
          expect(tieGroups(found)).to.deep.equal(expected(order, 'even'));
          expect(new Set(ids(found)).size).to.equal(found.length);
          expect(pages).to.be.greaterThan(3);
        });
      }

      it('extends a page rather than split documents that share a position', async function () {
        // Positions 1,1,2 | 3,3,4 ...: a limit of 1 must still return both documents at 1.
        const first = await store.find('accounts', { order: 'asc', limit: 1 });
        expect(ids(first).sort()).to.deep.equal(['d00', 'd01']);
        const next = await store.find('accounts', { order: 'asc', after: 1n, limit: 1 });
        expect(ids(next)).to.deep.equal(['d02']);
      });
    });

    describe('collections', function () {
      it('ensureCollection is idempotent and keeps the data', async function () {
        await store.apply([write('a1', 1n, { owner: 'u1', currency: 'USD' })]);
        await store.ensureCollection(accounts);
        await store.ensureCollection(accounts);
        await store.ensureCollection({ ...accounts, indexes: [...accounts.indexes, ['currency']] });
        await store.ensureCollection({ ...accounts, indexes: [...accounts.indexes, ['currency']] });
        expect((await store.get('accounts', 'a1'))?.doc).to.deep.equal({
          owner: 'u1',
          currency: 'USD',
        });
        expect(
          ids(await store.find('accounts', { where: { currency: 'USD' }, order: 'asc', limit: 5 })),
        ).to.deep.equal(['a1']);
      });

      it('drops a collection and nothing else', async function () {
        await store.ensureCollection({ name: 'kept', indexes: [['owner']] });
        await store.apply(
          [write('a1', 1n, { owner: 'u1' }), write('k1', 1n, { owner: 'u1' }, 'kept')],
          {
            name: 'accounts_projection',
            position: 1n,
          },
        );
        await store.drop('accounts');
        expect(await store.get('accounts', 'a1')).to.equal(null);
        expect(
          await store.find('accounts', { where: { owner: 'u1' }, order: 'asc', limit: 5 }),
        ).to.deep.equal([]);
        expect((await store.get('kept', 'k1'))?.doc).to.deep.equal({ owner: 'u1' });
        expect(await store.getCheckpoint('accounts_projection')).to.equal(1n);

        await store.drop('accounts');
        await store.drop('never_existed');
        // A rebuild starts over: an old position is accepted again after the drop.
        await store.ensureCollection(accounts);
        await store.apply([write('a1', 1n, { owner: 'u9' })]);
        expect(
          ids(await store.find('accounts', { where: { owner: 'u9' }, order: 'asc', limit: 5 })),
        ).to.deep.equal(['a1']);
      });

      it('rejects collection and field names that are not plain identifiers', async function () {
        for (const bad of [
          '',
          'bad-name',
          'x"; DROP TABLE checkpoints; --',
          'a.b',
          '$cmd',
          '_private',
          'a b',
        ]) {
          await rejection(store.ensureCollection({ name: bad, indexes: [] }));
          await rejection(store.apply([write('a1', 1n, {}, bad)]));
          await rejection(store.get(bad, 'a1'));
          await rejection(store.find(bad, { order: 'asc', limit: 1 }));
        }
        for (const bad of ['a.b', '$where', "x')--", '']) {
          await rejection(store.ensureCollection({ name: 'accounts', indexes: [[bad]] }));
          await rejection(store.find('accounts', { where: { [bad]: 1 }, order: 'asc', limit: 1 }));
        }
      });

      it('rejects a batch with an invalid write before writing any of it', async function () {
        const error = await rejection(
          store.apply([write('a1', 1n, { v: 1 }), write('a2', 1n, { v: 2 }, 'bad-name')], {
            name: 'p',
            position: 1n,
          }),
        );
        expect(error.message).to.match(/bad-name/);
        await rejection(store.apply([write('a3', -1n, { v: 3 })]));
        await rejection(store.apply([write('a4', 1 as unknown as bigint, { v: 4 })]));
        await rejection(store.apply([write('', 1n, { v: 5 })]));
        expect(await store.get('accounts', 'a1')).to.equal(null);
        expect(await store.find('accounts', { order: 'asc', limit: 10 })).to.deep.equal([]);
        expect(await store.getCheckpoint('p')).to.equal(null);
      });
    });

    describe('checkpoints', function () {
      it('gets, sets (also backwards) and deletes checkpoints by name', async function () {
        expect(await store.getCheckpoint('users')).to.equal(null);
        await store.setCheckpoint('users', 10n);
        await store.setCheckpoint('balances', 7n);
        expect(await store.getCheckpoint('users')).to.equal(10n);
        await store.setCheckpoint('users', 3n);
        expect(await store.getCheckpoint('users')).to.equal(3n);
        await store.setCheckpoint('users', 0n);
        expect(await store.getCheckpoint('users')).to.equal(0n);
        await store.setCheckpoint('users', null);
        expect(await store.getCheckpoint('users')).to.equal(null);
        await store.setCheckpoint('users', null);
        expect(await store.getCheckpoint('balances')).to.equal(7n);
      });

      it('moves the checkpoint with apply, and only when given', async function () {
        await store.apply([write('a1', 1n, { v: 1 })], { name: 'proj', position: 1n });
        expect(await store.getCheckpoint('proj')).to.equal(1n);
        await store.apply([write('a2', 2n, { v: 2 })]);
        expect(await store.getCheckpoint('proj')).to.equal(1n);
        await store.apply([], { name: 'proj', position: 5n });
        expect(await store.getCheckpoint('proj')).to.equal(5n);
      });

      it('accepts any checkpoint name', async function () {
        const name = 'projection:users/v2 "quoted" ü';
        await store.setCheckpoint(name, 9n);
        expect(await store.getCheckpoint(name)).to.equal(9n);
      });
    });

    describe('atomicity', function () {
      it('applies a batch and its checkpoint all-or-nothing', async function () {
        if (!options.failWritesOf) {
          console.log(
            `      (${name}: apply is not transactional; atomicity is not part of its contract)`,
          );
          this.skip();
        }
        await store.apply([write('a0', 1n, { v: 'before' })], { name: 'proj', position: 1n });
        await options.failWritesOf(store, 'accounts', 'boom');
        await rejection(
          store.apply(
            [
              write('a0', 2n, { v: 'after' }),
              write('a1', 2n, { v: 1 }),
              write('boom', 2n, { v: 2 }),
              write('a2', 2n, { v: 3 }),
            ],
            { name: 'proj', position: 2n },
          ),
        );
        expect(await store.get('accounts', 'a0')).to.deep.equal({
          id: 'a0',
          position: 1n,
          doc: { v: 'before' },
        });
        expect(await store.get('accounts', 'a1')).to.equal(null);
        expect(await store.get('accounts', 'a2')).to.equal(null);
        expect(await store.getCheckpoint('proj')).to.equal(1n);
      });
    });

    describe('health', function () {
      it('answers ping while open', async function () {
        await store.ping();
      });
    });
  });
};
