import { canonicalJson } from '../commands/event-chain.ts';
import { currency, formatAmount } from '../domain/money/index.ts';
import { evolveWallet, initialWalletState, walletStreamId } from '../domain/wallet/index.ts';
import type { EventStore, JsonObject, RecordedEvent } from '../ports/event-store.ts';
import type { ReadStore, StoredDocument } from '../ports/read-store.ts';
import {
  FIRST_GENERATION,
  generationCollection,
  readActiveGeneration,
  readGenerationPosition,
} from '../projections/generations.ts';
import type { Projection } from '../projections/read-model.ts';
import { BALANCES, type BalanceDocument } from '../projections/read-models/balances.ts';
import { decodeWalletEvent } from '../projections/read-models/decode-events.ts';
import { HISTORY, historyDocumentOf } from '../projections/read-models/history.ts';
import { walletReadModels } from '../projections/wallet-read-models.ts';

/**
 * Reconciliation: every wallet replayed from the log with the domain's own fold, compared with
 * what the read models hold (each balance, and each history entry field by field). It runs
 * beside a live projector: each wallet is compared at the position the read models had
 * reached when its documents were read, and read again if the projector moved meanwhile.
 */

export interface Difference {
  userId: string;
  kind: 'balance' | 'history';
  detail: string;
}

export interface ReconciliationReport {
  /** The read models' position when the run started. */
  position: bigint;
  wallets: number;
  events: number;
  differences: Difference[];
  startedAt: string;
  finishedAt: string;
}

export interface ReconcileOptions {
  projection?: Projection;
  onProgress?: (progress: { wallets: number; of: number }) => void;
  now?: () => Date;
}

const PAGE = 1000;
const WALLET_PREFIX = walletStreamId('');
const ATTEMPTS_PER_WALLET = 5;

/** The users with a wallet stream, up to `position`, from one pass over the log. */
const walletsInLog = async (eventStore: EventStore, position: bigint): Promise<string[]> => {
  const users = new Set<string>();
  for (let after = 0n; after < position;) {
    const page = await eventStore.readAll({ after, maxCount: PAGE });
    for (const event of page) {
      if (event.position > position) break;
      if (event.streamId.startsWith(WALLET_PREFIX))
        users.add(event.streamId.slice(WALLET_PREFIX.length));
    }
    const last = page[page.length - 1];
    if (last === undefined) break;
    after = last.position;
  }
  return [...users];
};

/**
 * Every document of a collection. Documents are ordered by position and several may share one
 * (a trade's two balances), so each page restarts at the last position seen and skips what it
 * already gave; a page full of one position is read again larger.
 */
async function* allDocuments<T extends JsonObject>(
  readStore: ReadStore,
  collection: string,
): AsyncGenerator<StoredDocument<T>> {
  let after: bigint | undefined;
  let limit = PAGE;
  let atBoundary = new Set<string>();
  for (;;) {
    const page = await readStore.find<T>(collection, {
      order: 'asc',
      limit,
      ...(after === undefined ? {} : { after }),
    });
    for (const doc of page) if (!atBoundary.has(doc.id)) yield doc;
    if (page.length < limit) return;
    const last = page[page.length - 1]!.position;
    if (page[0]!.position === last) {
      limit *= 2;
      continue;
    }
    atBoundary = new Set(page.filter((doc) => doc.position === last).map((doc) => doc.id));
    after = last - 1n;
  }
}

const walletEventsUpTo = async (
  eventStore: EventStore,
  userId: string,
  position: bigint,
): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  for (let from = 0n; ;) {
    const page = await eventStore.readStream(walletStreamId(userId), {
      fromRevision: from,
      maxCount: PAGE,
    });
    for (const event of page) {
      if (event.position > position) return events;
      events.push(event);
    }
    const last = page[page.length - 1];
    if (page.length < PAGE || last === undefined) return events;
    from = last.revision + 1n;
  }
};

interface WalletDocuments {
  balances: StoredDocument<BalanceDocument>[];
  history: StoredDocument[];
}

const readWalletDocuments = async (
  readStore: ReadStore,
  generation: number,
  userId: string,
): Promise<WalletDocuments> => {
  const balances = await readStore.find<BalanceDocument>(
    generationCollection(BALANCES, generation),
    { where: { userId }, order: 'asc', limit: PAGE },
  );
  const history: StoredDocument[] = [];
  for (let after: bigint | undefined; ;) {
    const page = await readStore.find(generationCollection(HISTORY, generation), {
      where: { userId },
      order: 'asc',
      limit: PAGE,
      ...(after === undefined ? {} : { after }),
    });
    history.push(...page);
    const last = page[page.length - 1];
    if (page.length < PAGE || last === undefined) break;
    after = last.position;
  }
  return { balances, history };
};

/** What the log says the wallet's read models must hold, against what they hold. */
const compareWallet = (
  userId: string,
  events: readonly RecordedEvent[],
  documents: WalletDocuments,
): Difference[] => {
  const differences: Difference[] = [];
  const differ = (kind: Difference['kind'], detail: string) =>
    differences.push({ userId, kind, detail });

  let state = initialWalletState();
  const expectedHistory = new Map<string, { position: bigint; doc: string }>();
  for (const event of events) {
    const wallet = decodeWalletEvent(event);
    if (wallet === null) continue;
    state = evolveWallet(state, wallet);
    const doc = historyDocumentOf(event);
    if (doc !== null)
      expectedHistory.set(event.id, { position: event.position, doc: canonicalJson(doc) });
  }

  const held = new Map(documents.balances.map(({ doc }) => [doc.currency, doc.amount]));
  for (const [code, minor] of state.balances) {
    const expected = formatAmount(minor, currency(code));
    const actual = held.get(code);
    if (actual !== expected) {
      differ(
        'balance',
        `${code}: the log says ${expected}, the read model ${actual ?? 'has none'}`,
      );
    }
    held.delete(code);
  }
  for (const [code, amount] of held) {
    differ('balance', `${code}: the read model holds ${amount}, the log has no such balance`);
  }

  for (const { id, position, doc } of documents.history) {
    const expected = expectedHistory.get(id);
    if (expected === undefined) {
      differ('history', `entry ${id} at position ${position} has no event in the log`);
      continue;
    }
    expectedHistory.delete(id);
    if (expected.position !== position) {
      differ(
        'history',
        `entry ${id} is at position ${position}, its event at ${expected.position}`,
      );
    }
    if (canonicalJson(doc) !== expected.doc) {
      differ(
        'history',
        `entry ${id} differs from its event: ${canonicalJson(doc)} vs ${expected.doc}`,
      );
    }
  }
  for (const [id, { position }] of expectedHistory) {
    differ('history', `event ${id} at position ${position} has no history entry`);
  }
  return differences;
};

export const reconcile = async (
  eventStore: EventStore,
  readStore: ReadStore,
  options: ReconcileOptions = {},
): Promise<ReconciliationReport> => {
  const projection = options.projection ?? walletReadModels;
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const generationNow = async () =>
    (await readActiveGeneration(readStore, projection)) ?? FIRST_GENERATION;
  const positionNow = async (generation: number) =>
    readGenerationPosition(readStore, projection, generation);

  const startGeneration = await generationNow();
  const position = await positionNow(startGeneration);
  const inLog = await walletsInLog(eventStore, position);
  const inReadModel = new Set<string>();
  for await (const { doc } of allDocuments<BalanceDocument>(
    readStore,
    generationCollection(BALANCES, startGeneration),
  )) {
    inReadModel.add(doc.userId);
  }
  const users = [...new Set([...inLog, ...inReadModel])];

  const differences: Difference[] = [];
  let events = 0;
  for (const [index, userId] of users.entries()) {
    // Compare at the position the read models had when this wallet's documents were read;
    // a projector that moved meanwhile may have written past it, so read again.
    let found: Difference[] = [];
    for (let attempt = 1; attempt <= ATTEMPTS_PER_WALLET; attempt++) {
      const generation = await generationNow();
      const at = await positionNow(generation);
      const documents = await readWalletDocuments(readStore, generation, userId);
      const moved =
        at !== (await positionNow(generation)) || generation !== (await generationNow());
      if (moved && attempt < ATTEMPTS_PER_WALLET) continue;
      const walletEvents = await walletEventsUpTo(eventStore, userId, at);
      events += walletEvents.length;
      found = compareWallet(userId, walletEvents, documents);
      break;
    }
    differences.push(...found);
    options.onProgress?.({ wallets: index + 1, of: users.length });
  }
  return {
    position,
    wallets: users.length,
    events,
    differences,
    startedAt,
    finishedAt: now().toISOString(),
  };
};

/** The report as JSON: positions as decimal text, as everywhere on the wire. */
export const reconciliationJson = (report: ReconciliationReport) => ({
  ...report,
  position: String(report.position),
  ok: report.differences.length === 0,
});
