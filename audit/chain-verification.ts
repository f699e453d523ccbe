import {
  checkLink,
  startChain,
  storedHashOf,
  type ChainBreak,
  type StreamChain,
} from '../commands/event-chain.ts';
import type { EventStore, RecordedEvent } from '../ports/event-store.ts';

export interface ChainReport {
  streams: number;
  events: number;
  /** Streams that begin with events written before the chain existed, and how many. */
  legacy: { streamId: string; events: number; sealed: boolean }[];
  breaks: ChainBreak[];
  /** The newest link of each stream checked (what an auditor anchors elsewhere). */
  heads: ChainAnchor[];
  /** Anchors given that the log no longer matches: the event is gone or its hash differs. */
  anchorsBroken: (ChainAnchor & { problem: string })[];
}

/** A chain head written down earlier: the event at `revision` of `streamId` had `hash`. */
export interface ChainAnchor {
  streamId: string;
  revision: bigint;
  hash: string | null;
}

/** Reads anchors as `cambio audit verify --heads` prints them: "stream revision hash" lines. */
export const parseAnchors = (text: string): ChainAnchor[] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [streamId, revision, hash] = line.split(/\s+/);
      if (!streamId || !revision || !/^[0-9]+$/.test(revision) || !hash) {
        throw new Error(`not an anchor line ("stream revision hash"): ${line}`);
      }
      return { streamId, revision: BigInt(revision), hash };
    });

export const formatAnchors = (heads: readonly ChainAnchor[]): string[] =>
  heads
    .filter((head) => head.hash !== null)
    .map((head) => `${head.streamId} ${head.revision} ${head.hash}`);

export interface VerifyOptions {
  /** Only this stream; default every stream of the log. */
  streamId?: string;
  /** Called after each page with the events checked so far and the position reached. */
  onProgress?: (progress: { events: number; position: bigint; head: bigint }) => void;
  pageSize?: number;
  /** Earlier chain heads to check against the log. */
  anchors?: readonly ChainAnchor[];
}

const anchorKey = (streamId: string, revision: bigint) => `${revision} ${streamId}`;

const reportOf = (
  chains: Iterable<StreamChain>,
  breaks: ChainBreak[],
  anchors: readonly ChainAnchor[],
  seen: ReadonlyMap<string, string | null>,
): ChainReport => {
  const all = [...chains];
  const anchorsBroken = anchors.flatMap((anchor) => {
    const key = anchorKey(anchor.streamId, anchor.revision);
    if (!seen.has(key)) return [{ ...anchor, problem: 'the anchored event is gone' }];
    const hash = seen.get(key);
    return hash === anchor.hash
      ? []
      : [{ ...anchor, problem: `the event now has hash ${hash ?? '(none)'}` }];
  });
  return {
    anchorsBroken,
    streams: all.length,
    events: all.reduce((sum, chain) => sum + chain.events, 0),
    legacy: all
      .filter((chain) => chain.legacy > 0)
      .map((chain) => ({ streamId: chain.streamId, events: chain.legacy, sealed: chain.sealed })),
    breaks,
    heads: all.map((chain) => ({
      streamId: chain.streamId,
      revision: chain.revision,
      hash: chain.sealed ? chain.link : null,
    })),
  };
};

/**
 * Checks the hash chain of every stream (or one) from the events as stored. The whole log is
 * read once in position order; within a stream that is revision order on every store.
 */
export const verifyChains = async (
  eventStore: EventStore,
  options: VerifyOptions = {},
): Promise<ChainReport> => {
  const pageSize = options.pageSize ?? 1000;
  const head = await eventStore.headPosition();
  const chains = new Map<string, StreamChain>();
  const breaks: ChainBreak[] = [];
  let events = 0;
  const anchors = options.anchors ?? [];
  const wanted = new Set(anchors.map((anchor) => anchorKey(anchor.streamId, anchor.revision)));
  const seen = new Map<string, string | null>();
  const check = (event: RecordedEvent) => {
    const key = anchorKey(event.streamId, event.revision);
    if (wanted.has(key)) seen.set(key, storedHashOf(event));
    let chain = chains.get(event.streamId);
    if (chain === undefined) {
      chain = startChain(event.streamId);
      chains.set(event.streamId, chain);
    }
    breaks.push(...checkLink(chain, event));
    events++;
  };

  if (options.streamId !== undefined) {
    for (let from = 0n; ;) {
      const page = await eventStore.readStream(options.streamId, {
        fromRevision: from,
        maxCount: pageSize,
      });
      page.forEach(check);
      const last = page[page.length - 1];
      options.onProgress?.({ events, position: last?.position ?? head, head });
      if (page.length < pageSize || last === undefined) break;
      from = last.revision + 1n;
    }
  } else {
    for (let after = 0n; ;) {
      const page = await eventStore.readAll({ after, maxCount: pageSize });
      page.forEach(check);
      const last = page[page.length - 1];
      if (last !== undefined) after = last.position;
      options.onProgress?.({ events, position: after, head });
      if (last === undefined || after >= head) break;
    }
  }
  return reportOf(chains.values(), breaks, anchors, seen);
};
