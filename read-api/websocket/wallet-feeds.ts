import type { Logger } from 'pino';
import type { Bus } from '../../ports/bus.ts';
import type { JsonObject, JsonValue } from '../../ports/event-store.ts';
import { walletSubject } from '../../ports/live-messages.ts';

/**
 * Wallet updates for the users connected to this process: one bus subscription per user
 * (on `wallets.<userId>`, never the wildcard, so a replica only receives its own users'
 * traffic), shared by all of that user's sockets and dropped with the last one.
 *
 * Each update is checked against the subject it came on, so a message naming another user
 * is never forwarded. It is serialised once for every socket of the user; each socket drops
 * what is not newer than the wallet it was last sent (websocket-server.ts).
 */

export interface WalletPush {
  position: bigint;
  text: string;
  /** The same message saying `skipped` older updates were replaced by it. */
  withSkipped: (skipped: number) => string;
}

export type WalletListener = (push: WalletPush) => void;

export interface WalletFeeds {
  /** Starts delivering `userId`'s updates to `listener`; returns the function that stops it. */
  follow(userId: string, listener: WalletListener): () => void;
  /** Users with at least one follower here. */
  users(): number;
  close(): void;
}

const POSITION = /^\d{1,30}$/;
const ETAG = /^"\d{1,20}"$/;

const isObject = (value: JsonValue | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isStringRecord = (value: JsonValue | undefined): boolean =>
  isObject(value) && Object.values(value).every((entry) => typeof entry === 'string');

/** The update as sent to a client, or null when it is not a valid update for `userId`. */
export const walletPushOf = (data: JsonValue, userId: string): WalletPush | null => {
  if (!isObject(data) || data.userId !== userId) return null;
  const { balances, position, entry, etag } = data;
  if (!isStringRecord(balances) || typeof position !== 'string' || !POSITION.test(position)) {
    return null;
  }
  if (entry !== undefined && !isObject(entry)) return null;
  if (etag !== undefined && (typeof etag !== 'string' || !ETAG.test(etag))) return null;
  const message: JsonObject = {
    type: 'wallet',
    userId,
    balances: balances as JsonObject,
    position,
  };
  if (etag !== undefined) message.etag = etag;
  if (entry !== undefined) message.entry = entry;
  return {
    position: BigInt(position),
    text: JSON.stringify(message),
    withSkipped: (skipped) => JSON.stringify({ ...message, skipped }),
  };
};

interface Feed {
  listeners: Set<WalletListener>;
  unsubscribe: () => void;
}

export const createWalletFeeds = (bus: Bus, logger: Logger): WalletFeeds => {
  const feeds = new Map<string, Feed>();

  const receive = (userId: string, feed: Feed, data: JsonValue) => {
    const push = walletPushOf(data, userId);
    if (push === null) {
      logger.warn({ userId }, 'ignored a malformed wallet update');
      return;
    }
    for (const listener of [...feed.listeners]) {
      try {
        listener(push);
      } catch (error) {
        logger.error({ err: error, userId }, 'wallet listener failed');
      }
    }
  };

  return {
    follow(userId, listener) {
      let feed = feeds.get(userId);
      if (feed === undefined) {
        const created: Feed = { listeners: new Set(), unsubscribe: () => {} };
        // Throws when the bus is closed; the caller tells the client.
        created.unsubscribe = bus.subscribe(walletSubject(userId), (data) =>
          receive(userId, created, data),
        );
        feeds.set(userId, created);
        feed = created;
      }
      const entry: WalletListener = (push) => listener(push);
      const followed = feed;
      followed.listeners.add(entry);
      return () => {
        followed.listeners.delete(entry);
        if (followed.listeners.size === 0 && feeds.get(userId) === followed) {
          followed.unsubscribe();
          feeds.delete(userId);
        }
      };
    },
    users: () => feeds.size,
    close() {
      for (const feed of feeds.values()) feed.unsubscribe();
      feeds.clear();
    },
  };
};
