/** What one websocket server allows; every field has a default (DEFAULT_WEBSOCKET_LIMITS). */
export interface WebSocketLimits {
  /** Open sockets across both endpoints; one more is refused with HTTP 503 at the upgrade. */
  maxConnections: number;
  /**
   * Open sockets one client address may hold across both endpoints; one more is refused with
   * HTTP 429 at the upgrade, so one client cannot take every connection slot.
   */
  maxConnectionsPerAddress: number;
  /** Topics one /ws connection may follow: each rates currency (or all of them) and the wallet. */
  maxSubscriptionsPerConnection: number;
  /** Largest message a client may send; a bigger one closes the socket with 1009. */
  maxPayloadBytes: number;
  /** The server pings this often; a peer that has not answered the previous ping is cut. */
  heartbeatMs: number;
  /**
   * Above this many bytes waiting in a socket's send buffer nothing more is written to it:
   * only the newest message of each channel is kept until the buffer drains.
   */
  highWaterMarkBytes: number;
  /** Replies (acks, errors) waiting for a congested socket; beyond this the peer is cut. */
  maxQueuedReplies: number;
  /** How long `close()` waits for peers to answer the close handshake before cutting them. */
  closeTimeoutMs: number;
}

export const DEFAULT_WEBSOCKET_LIMITS: Readonly<WebSocketLimits> = Object.freeze({
  maxConnections: 10_000,
  maxConnectionsPerAddress: 20,
  maxSubscriptionsPerConnection: 64,
  maxPayloadBytes: 4096,
  heartbeatMs: 30_000,
  highWaterMarkBytes: 64 * 1024,
  maxQueuedReplies: 32,
  closeTimeoutMs: 2000,
});

export const resolveLimits = (limits: Partial<WebSocketLimits> = {}): WebSocketLimits => {
  const resolved = { ...DEFAULT_WEBSOCKET_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`websocket limits: ${name} must be a positive integer, got ${value}`);
    }
  }
  return resolved;
};
