/**
 * What the server still has to tell one client, bounded whatever the client does.
 *
 * While the socket's send buffer is at or below the high-water mark, messages go straight
 * out. Above it (a slow or stalled reader) nothing more is written: each channel keeps only
 * its newest message, which replaces the older one, because every channel message carries
 * the full latest state. Replies to the client's own requests cannot be merged, so they
 * queue up to a small limit; a client that keeps asking without reading is cut. When a write
 * completes and the buffer is back under the mark, everything pending goes out in order.
 *
 * So a client costs at most: the high-water mark plus one message in the send buffer, one
 * message per channel, and the reply limit.
 */

/**
 * A text frame's content: a string, or its UTF-8 bytes when one message goes to many
 * clients (encoded once instead of once per socket).
 */
export type Payload = string | Buffer;

/** The part of a `ws` WebSocket the outbox uses (kept narrow so it can be tested alone). */
export interface OutboxSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: Payload, options: { binary: false }, callback: (error?: Error) => void): void;
}

const TEXT = { binary: false } as const;

const OPEN = 1;

interface Pending {
  text: Payload;
  /** Older messages of the same channel this one replaced. */
  skipped: number;
  /** Renders the message saying how many were skipped, for channels where that matters. */
  withSkipped?: (skipped: number) => string;
}

export interface OutboxStats {
  bufferedAmount: number;
  pendingMessages: number;
  pendingBytes: number;
  /** Channel messages replaced by a newer one before they could be sent. */
  conflated: number;
}

export interface Outbox {
  /** The channel's newest state: sent now, or kept (replacing an older one) until the socket drains. */
  offer(channel: string, text: Payload, withSkipped?: (skipped: number) => string): void;
  /** An answer to the client; false when too many are already waiting (cut the client). */
  reply(text: string): boolean;
  /** Forgets the channel's pending message (the client unsubscribed). */
  drop(channel: string): void;
  /** A write callback for frames sent around the outbox (pings), so they also trigger flushes. */
  readonly written: (error?: Error) => void;
  stats(): OutboxStats;
}

export const createOutbox = (
  socket: OutboxSocket,
  limits: { highWaterMarkBytes: number; maxQueuedReplies: number },
): Outbox => {
  // Insertion order is send order; a replaced channel message moves to the end, since it is
  // now the newest thing the client has not seen.
  const pending = new Map<string, Pending>();
  let queuedReplies = 0;
  let replySequence = 0;
  let conflated = 0;

  const congested = () => socket.bufferedAmount > limits.highWaterMarkBytes;

  const flush = () => {
    if (pending.size === 0 || socket.readyState !== OPEN || congested()) return;
    const entries = [...pending.values()];
    pending.clear();
    queuedReplies = 0;
    for (const entry of entries) {
      const text =
        entry.skipped > 0 && entry.withSkipped ? entry.withSkipped(entry.skipped) : entry.text;
      socket.send(text, TEXT, written);
    }
  };

  function written(error?: Error): void {
    if (error) {
      // The socket is closing; nothing pending will ever go out.
      pending.clear();
      queuedReplies = 0;
      return;
    }
    flush();
  }

  return {
    offer(channel, text, withSkipped) {
      if (socket.readyState !== OPEN) return;
      flush();
      if (pending.size === 0 && !congested()) {
        socket.send(text, TEXT, written);
        return;
      }
      const key = `channel:${channel}`;
      const older = pending.get(key);
      if (older) {
        pending.delete(key);
        conflated += 1;
      }
      const entry: Pending = { text, skipped: older ? older.skipped + 1 : 0 };
      if (withSkipped) entry.withSkipped = withSkipped;
      pending.set(key, entry);
    },

    reply(text) {
      if (socket.readyState !== OPEN) return true;
      flush();
      if (pending.size === 0 && !congested()) {
        socket.send(text, TEXT, written);
        return true;
      }
      if (queuedReplies >= limits.maxQueuedReplies) return false;
      queuedReplies += 1;
      replySequence += 1;
      pending.set(`reply:${replySequence}`, { text, skipped: 0 });
      return true;
    },

    drop(channel) {
      pending.delete(`channel:${channel}`);
    },

    written,

    stats() {
      let pendingBytes = 0;
      for (const entry of pending.values()) pendingBytes += entry.text.length;
      return {
        bufferedAmount: socket.bufferedAmount,
        pendingMessages: pending.size,
        pendingBytes,
        conflated,
      };
    },
  };
};
