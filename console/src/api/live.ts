/**
 * The live connection to `/ws` (subprotocol cambio.v1, see read-api/websocket/protocol.ts):
 * rates for every currency, and the signed-in user's wallet. It reconnects with a growing,
 * jittered delay when the server goes away (a restart, a deploy) and subscribes again on every
 * new socket; the wallet channel then sends the wallet as it stands, so nothing is missed.
 */
import type { RatesMessage, WalletMessage } from './live-messages.ts';

export type { HistoryEntry, RatesMessage, WalletMessage } from './live-messages.ts';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers {
  onRates(message: RatesMessage): void;
  onWallet(message: WalletMessage): void;
  onStatus(status: LiveStatus): void;
  /** Each new socket after the first: a chance to refetch what a gap may have missed. */
  onReconnected?(): void;
}

export interface Live {
  /** Uses this access token from now on (null: rates only). */
  setToken(token: string | null): void;
  close(): void;
}

const PROTOCOL = 'cambio.v1';
const MAX_DELAY_MS = 8_000;

export const connectLive = (handlers: LiveHandlers, initialToken: string | null): Live => {
  let token = initialToken;
  let socket: WebSocket | null = null;
  let attempt = 0;
  let opened = 0;
  let closed = false;
  let walletSubscribed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const send = (message: Record<string, unknown>) => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };
  const authenticate = () => {
    if (token !== null) send({ op: 'auth', id: 'auth', token });
  };

  const onMessage = (event: MessageEvent) => {
    let message: { type?: string; code?: string; id?: unknown };
    try {
      message = JSON.parse(String(event.data)) as typeof message;
    } catch {
      return;
    }
    switch (message.type) {
      case 'rates':
        handlers.onRates(message as RatesMessage);
        break;
      case 'wallet':
        handlers.onWallet(message as WalletMessage);
        break;
      case 'authenticated':
        if (!walletSubscribed) {
          walletSubscribed = true;
          send({ op: 'subscribe', channel: 'wallet' });
        }
        break;
      case 'error':
        // The token ran out before it was refreshed: the server stopped the wallet channel.
        if (message.code === 'token_expired') {
          walletSubscribed = false;
          authenticate();
        }
        break;
    }
  };

  const connect = () => {
    if (closed) return;
    handlers.onStatus(opened === 0 ? 'connecting' : 'reconnecting');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/ws`, PROTOCOL);
    socket = ws;
    walletSubscribed = false;
    ws.onopen = () => {
      attempt = 0;
      opened++;
      handlers.onStatus('live');
      send({ op: 'subscribe', channel: 'rates' });
      authenticate();
      if (opened > 1) handlers.onReconnected?.();
    };
    ws.onmessage = onMessage;
    ws.onclose = () => {
      if (socket !== ws || closed) return;
      socket = null;
      handlers.onStatus('reconnecting');
      // Full jitter on an exponential ceiling: a restarted server is not stampeded.
      const ceiling = Math.min(MAX_DELAY_MS, 250 * 2 ** attempt++);
      retryTimer = setTimeout(connect, 100 + Math.random() * ceiling);
    };
  };

  connect();
  return {
    setToken: (next) => {
      const signedOut = token !== null && next === null;
      token = next;
      if (signedOut) {
        // Another user may sign in next on this socket: start a clean one.
        socket?.close();
        socket = null;
        clearTimeout(retryTimer);
        connect();
      } else {
        authenticate();
      }
    },
    close: () => {
      closed = true;
      clearTimeout(retryTimer);
      socket?.close();
    },
  };
};
