/**
 * Collection and field names become SQL identifiers, JSON paths and MongoDB field paths, so
 * both adapters accept only plain names: no quoting, dots or `$` can sneak through.
 */

const collectionName = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
const fieldName = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export const assertCollectionName = (name: string): string => {
  if (!collectionName.test(name)) {
    throw new Error(
      `invalid read store collection name ${JSON.stringify(name)}: ` +
        'use a letter then letters, digits or "_" (at most 63)',
    );
  }
  return name;
};

export const assertFieldName = (name: string): string => {
  if (!fieldName.test(name)) {
    throw new Error(
      `invalid read store field name ${JSON.stringify(name)}: ` +
        'use letters, digits or "_" (top-level fields only, at most 63)',
    );
  }
  return name;
};

export const assertLimit = (limit: number): number => {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new Error(`invalid read store limit ${String(limit)}: use a non-negative integer`);
  }
  return limit;
};

export const assertPosition = (position: bigint, what: string): bigint => {
  if (typeof position !== 'bigint' || position < 0n) {
    throw new Error(`invalid read store ${what} position ${String(position)}: use a bigint >= 0`);
  }
  return position;
};

export const assertId = (id: string): string => {
  if (typeof id !== 'string' || id.length === 0) {
    throw new Error(`invalid read store document id ${JSON.stringify(id)}: use a non-empty string`);
  }
  return id;
};
