import type { HistoryEntryMessage } from '../ports/live-messages.ts';
import type { ReadStore } from '../ports/read-store.ts';
import { DomainError } from '../domain/errors.ts';
import { walletEtag } from '../domain/wallet/wallet-version.ts';
import { normalizeMail } from '../domain/user/mail.ts';
import { ROLES, type Role } from '../domain/user/roles.ts';
import { FIRST_GENERATION, generationCollection, readActiveGeneration } from './generations.ts';
import { decodeHistoryCursor, encodeHistoryCursor } from './history-cursor.ts';
import type { Projection } from './read-model.ts';
import { BALANCES, sortedBalances, type BalanceDocument } from './read-models/balances.ts';
import {
  HISTORY,
  HISTORY_TYPES,
  historyEntryOf,
  isHistoryType,
  type HistoryDocument,
  type HistoryType,
} from './read-models/history.ts';
import {
  USERS,
  USER_ROLES,
  type UserDocument,
  type UserRoleDocument,
} from './read-models/users.ts';
import { walletReadModels } from './wallet-read-models.ts';
import {
  TRANSFERS,
  TRANSFER_PARTIES,
  TRANSFER_STATES,
  transferPartyId,
  type TransferDocument,
  type TransferPartyDocument,
  type TransferStateDocument,
} from './read-models/transfers.ts';

export interface UserView {
  userId: string;
  mail: string;
  name: string;
  lastName: string;
  registeredAt: string;
  /** In the order of ROLES. */
  roles: Role[];
}

/** A wallet's state as a live update carries it, without the event that produced it. */
export interface WalletView {
  balances: Record<string, string>;
  /** Global position of the newest wallet event reflected, decimal text. */
  position: string;
  /**
   * The wallet's strong entity tag (domain/wallet/wallet-version.ts); absent while the read
   * model holds documents projected before revisions were recorded.
   */
  etag?: string;
}

export interface HistoryQuery {
  currency?: string;
  type?: HistoryType;
  /** `nextCursor` of the previous page; absent for the newest entries. */
  cursor?: string;
  limit: number;
}

export interface HistoryPage {
  /** Newest first. */
  entries: HistoryEntryMessage[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** A transfer as one of its two sides sees it. */
export interface TransferView {
  transferId: string;
  state: 'pending' | 'completed' | 'refunded';
  direction: 'out' | 'in';
  /** The other side's mail. */
  counterparty: string;
  currency: string;
  amount: string;
  /** Why it was refunded. */
  reason?: string;
  createdAt: string;
  updatedAt: string;
}

export interface TransferPage {
  /** Newest first (by when the caller became a party to it). */
  transfers: TransferView[];
  nextCursor: string | null;
}

export interface ReadModelQueries {
  getUser(userId: string): Promise<UserView | null>;
  /** Finds by the normalized address; throws DomainError 'validation' for a malformed one. */
  findUserByMail(mail: string): Promise<UserView | null>;
  /** Every balance the wallet has held, decimal text by currency code; {} for no wallet. */
  getBalances(userId: string): Promise<Record<string, string>>;
  /** The balances with the position of the newest event they reflect ("0" for no wallet). */
  getWallet(userId: string): Promise<WalletView>;
  listHistory(userId: string, query: HistoryQuery): Promise<HistoryPage>;
  /** The transfer if `userId` sent or received it; null otherwise (also for other users'). */
  getTransfer(userId: string, transferId: string): Promise<TransferView | null>;
  listTransfers(userId: string, query: { cursor?: string; limit: number }): Promise<TransferPage>;
}

export const MAX_HISTORY_LIMIT = 500;
// Far more than there are currencies or roles: one page always holds a whole wallet.
const WHOLE_WALLET = 1000;

const isNull = (value: unknown): boolean => value === null;

const invalid = (field: string, message: string) =>
  new DomainError('validation', `${field}_invalid`, message, { field });

/**
 * One wallet in one generation, balances fiat first. Each wallet event rewrites every balance
 * it touches at its own position, so the highest position among them is the wallet's newest.
 */
export const readWallet = async (
  readStore: ReadStore,
  generation: number,
  userId: string,
): Promise<WalletView> => {
  const found = await readStore.find<BalanceDocument>(generationCollection(BALANCES, generation), {
    where: { userId },
    order: 'asc',
    limit: WHOLE_WALLET,
  });
  let newest = -1n;
  let known = true;
  for (const { doc } of found) {
    if (doc.revision === undefined) known = false;
    else if (BigInt(doc.revision) > newest) newest = BigInt(doc.revision);
  }
  return {
    balances: sortedBalances(
      Object.fromEntries(found.map(({ doc }) => [doc.currency, doc.amount])),
    ),
    // Ascending by position, so the last is the newest.
    position: String(found[found.length - 1]?.position ?? 0n),
    ...(known ? { etag: walletEtag(newest) } : {}),
  };
};

/** Balances of one wallet in one generation, fiat first; the projector reads them too. */
export const readBalances = async (
  readStore: ReadStore,
  generation: number,
  userId: string,
): Promise<Record<string, string>> => (await readWallet(readStore, generation, userId)).balances;

const readUser = async (
  readStore: ReadStore,
  generation: number,
  user: UserDocument,
): Promise<UserView> => {
  const roles = await readStore.find<UserRoleDocument>(
    generationCollection(USER_ROLES, generation),
    { where: { userId: user.userId, granted: true }, order: 'asc', limit: WHOLE_WALLET },
  );
  const granted = new Set(roles.map(({ doc }) => doc.role));
  return { ...user, roles: ROLES.filter((role) => granted.has(role)) };
};

/**
 * The queries the read API calls. Each one reads the projection's active generation, so a
 * rebuild switching generations is invisible to callers. A read that fails or finds nothing
 * right when a rebuild switches (and drops the old generation) is tried once more on the new
 * generation.
 */
export const createReadModelQueries = (
  readStore: ReadStore,
  projection: Projection = walletReadModels,
): ReadModelQueries => {
  const activeGeneration = async (): Promise<number> =>
    (await readActiveGeneration(readStore, projection)) ?? FIRST_GENERATION;

  const onActive = async <T>(
    read: (generation: number) => Promise<T>,
    isEmpty: (result: T) => boolean,
  ): Promise<T> => {
    const generation = await activeGeneration();
    let result: T;
    try {
      result = await read(generation);
    } catch (error) {
      const now = await activeGeneration();
      if (now === generation) throw error;
      return read(now);
    }
    if (!isEmpty(result)) return result;
    const now = await activeGeneration();
    return now === generation ? result : read(now);
  };

  const getUser = (userId: string) =>
    onActive(async (generation) => {
      const found = await readStore.get<UserDocument>(
        generationCollection(USERS, generation),
        userId,
      );
      return found ? readUser(readStore, generation, found.doc) : null;
    }, isNull);

  const findUserByMail = async (mail: string) => {
    const normalized = normalizeMail(mail);
    return onActive(async (generation) => {
      const [found] = await readStore.find<UserDocument>(generationCollection(USERS, generation), {
        where: { mail: normalized },
        order: 'asc',
        limit: 1,
      });
      return found ? readUser(readStore, generation, found.doc) : null;
    }, isNull);
  };

  const getWallet = (userId: string) =>
    onActive(
      (generation) => readWallet(readStore, generation, userId),
      (wallet) => Object.keys(wallet.balances).length === 0,
    );

  const getBalances = async (userId: string) => (await getWallet(userId)).balances;

  const listHistory = async (userId: string, query: HistoryQuery): Promise<HistoryPage> => {
    const { limit } = query;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
      throw invalid('limit', `limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}`);
    }
    if (query.type !== undefined && !isHistoryType(query.type)) {
      throw invalid('type', `type must be one of ${HISTORY_TYPES.join(', ')}`);
    }
    const after = query.cursor === undefined ? undefined : decodeHistoryCursor(query.cursor);
    const where: Record<string, string> = { userId };
    if (query.currency !== undefined) where.currency = query.currency;
    if (query.type !== undefined) where.type = query.type;
    return onActive(
      async (generation) => {
        const found = await readStore.find<HistoryDocument>(
          generationCollection(HISTORY, generation),
          {
            where,
            order: 'desc',
            ...(after === undefined ? {} : { after }),
            limit: limit + 1,
          },
        );
        const page = found.slice(0, limit);
        const last = page[page.length - 1];
        return {
          entries: page.map(({ id, position, doc }) => historyEntryOf(id, position, doc)),
          nextCursor: found.length > limit && last ? encodeHistoryCursor(last.position) : null,
        };
      },
      (page) => page.entries.length === 0,
    );
  };

  const transferView = async (
    generation: number,
    party: TransferPartyDocument,
  ): Promise<TransferView | null> => {
    const [sent, settled] = await Promise.all([
      readStore.get<TransferDocument>(
        generationCollection(TRANSFERS, generation),
        party.transferId,
      ),
      readStore.get<TransferStateDocument>(
        generationCollection(TRANSFER_STATES, generation),
        party.transferId,
      ),
    ]);
    if (sent === null) return null;
    return {
      transferId: party.transferId,
      state: settled?.doc.state ?? 'pending',
      direction: party.direction,
      counterparty: party.counterparty,
      currency: sent.doc.currency,
      amount: sent.doc.amount,
      ...(settled?.doc.reason && settled.doc.state === 'refunded'
        ? { reason: settled.doc.reason }
        : {}),
      createdAt: sent.doc.sentAt,
      updatedAt: settled?.doc.updatedAt ?? sent.doc.sentAt,
    };
  };

  const getTransfer = (userId: string, transferId: string) =>
    onActive(async (generation) => {
      const party = await readStore.get<TransferPartyDocument>(
        generationCollection(TRANSFER_PARTIES, generation),
        transferPartyId(transferId, userId),
      );
      return party === null ? null : transferView(generation, party.doc);
    }, isNull);

  const listTransfers = async (
    userId: string,
    query: { cursor?: string; limit: number },
  ): Promise<TransferPage> => {
    const { limit } = query;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
      throw invalid('limit', `limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}`);
    }
    const after = query.cursor === undefined ? undefined : decodeHistoryCursor(query.cursor);
    return onActive(
      async (generation) => {
        const found = await readStore.find<TransferPartyDocument>(
          generationCollection(TRANSFER_PARTIES, generation),
          {
            where: { userId },
            order: 'desc',
            ...(after === undefined ? {} : { after }),
            limit: limit + 1,
          },
        );
        const page = found.slice(0, limit);
        const last = page[page.length - 1];
        const views = await Promise.all(page.map(({ doc }) => transferView(generation, doc)));
        return {
          transfers: views.filter((view): view is TransferView => view !== null),
          nextCursor: found.length > limit && last ? encodeHistoryCursor(last.position) : null,
        };
      },
      (page) => page.transfers.length === 0,
    );
  };

  return {
    getUser,
    findUserByMail,
    getBalances,
    getWallet,
    listHistory,
    getTransfer,
    listTransfers,
  };
};
