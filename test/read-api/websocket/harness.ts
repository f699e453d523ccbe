import { pino } from 'pino';
import WebSocket from 'ws';
import { createInProcessBus } from '../../../infra/bus/in-process-bus.ts';
import { createHttpApp } from '../../../infra/http/create-app.ts';
import { listen, type RunningHttpServer } from '../../../infra/http/http-server.ts';
import { createMetrics, type Metrics } from '../../../infra/metrics/metrics.ts';
import { LatestRates } from '../../../infra/rates/latest-rates.ts';
import type { Bus } from '../../../ports/bus.ts';
import type { JsonObject } from '../../../ports/event-store.ts';
import { ratesSubject, walletSubject } from '../../../ports/live-messages.ts';
import type { WalletView } from '../../../projections/queries.ts';
import { exchangeRatesRouter } from '../../../read-api/exchange-rates-router.ts';
import type { WebSocketLimits } from '../../../read-api/websocket/limits.ts';
import {
  attachWebSocketServer,
  type LiveWebSocketServer,
  type VerifiedToken,
} from '../../../read-api/websocket/websocket-server.ts';

/** Fixed test tokens standing in for real access tokens (the JWT verifier is tested elsewhere). */
export const TOKENS: Readonly<Record<string, string>> = {
  'token-alice': 'alice',
  'token-bob': 'bob',
};

export const stubVerifier = async (token: string): Promise<VerifiedToken> => {
  const userId = TOKENS[token];
  if (userId === undefined) throw new Error('unknown test token');
  return { userId };
};

export const silentLogger = pino({ level: 'silent' });

/** What the read models hold for a user who never moved money. */
export const EMPTY_WALLET: WalletView = { balances: {}, position: '0' };

export interface Replica {
  http: RunningHttpServer;
  latestRates: LatestRates;
  live: LiveWebSocketServer;
  metrics: Metrics;
  url(path: string): string;
  close(): Promise<void>;
}

/** One read-api process: HTTP server with the rates route and the websocket server. */
export const startReplica = async (
  bus: Bus,
  options: {
    limits?: Partial<WebSocketLimits>;
    verify?: (token: string) => Promise<VerifiedToken>;
    /** Stands in for the read models' wallet query (tested with the real stores elsewhere). */
    readWallet?: (userId: string) => Promise<WalletView>;
  } = {},
): Promise<Replica> => {
  const metrics = createMetrics();
  const latestRates = new LatestRates({ bus, logger: silentLogger });
  const app = createHttpApp({
    logger: silentLogger,
    metrics,
    corsOrigins: [],
    bodyLimit: '16kb',
    readiness: [],
    mount: (express) => express.use(exchangeRatesRouter(latestRates)),
  });
  const http = await listen(app, '127.0.0.1', 0);
  const live = attachWebSocketServer({
    server: http.server,
    bus,
    latestRates,
    verifyAccessToken: options.verify ?? stubVerifier,
    readWallet: options.readWallet ?? (async () => EMPTY_WALLET),
    logger: silentLogger,
    metrics,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return {
    http,
    latestRates,
    live,
    metrics,
    url: (path) => `ws://127.0.0.1:${http.port}${path}`,
    async close() {
      await live.close();
      latestRates.close();
      await http.close(1000);
    },
  };
};

export const startBus = (): Bus => createInProcessBus({ logger: silentLogger });

let tick = 0;
/** A rates message as the rate feed publishes it, different on every call. */
export const ratesData = (extra: Record<string, string> = {}): JsonObject => {
  tick += 1;
  return {
    base: 'USD',
    rates: {
      USD: '1',
      BTC: `0.0000${160 + (tick % 800)}`,
      ETH: `0.000${300 + (tick % 600)}`,
      EUR: '0.92',
      ...extra,
    },
    at: new Date(Date.UTC(2024, 0, 1) + tick * 1000).toISOString(),
  };
};

export const publishRates = (bus: Bus, data: JsonObject = ratesData()): JsonObject => {
  bus.publish(ratesSubject('USD'), data);
  return data;
};

export const walletData = (
  userId: string,
  position: number,
  usd: string,
): JsonObject & { userId: string } => ({
  userId,
  balances: { USD: usd },
  position: String(position),
  entry: {
    id: `event-${position}`,
    type: 'deposit',
    currency: 'USD',
    amount: usd,
    at: new Date().toISOString(),
    position: String(position),
  },
});

export const publishWallet = (bus: Bus, data: JsonObject & { userId: string }): void =>
  bus.publish(walletSubject(data.userId), data);

export type Received = Record<string, unknown>;

/** A wallet update produced by an event; the state sent on subscribe has no `entry`. */
export const isWalletUpdate = (message: Received): boolean =>
  message.type === 'wallet' && message.entry !== undefined;

/** A websocket client that records every JSON message and lets a test wait for one. */
export interface TestClient {
  ws: WebSocket;
  messages: Received[];
  send(message: unknown): void;
  /** Resolves with the first message (from the start) matching, waiting for it if needed. */
  next(match: (message: Received) => boolean, what: string, timeoutMs?: number): Promise<Received>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export const connect = async (
  url: string,
  options: { protocols?: string[]; autoPong?: boolean } = {},
): Promise<TestClient> => {
  const ws = new WebSocket(url, options.protocols ?? [], {
    autoPong: options.autoPong ?? true,
  });
  const messages: Received[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Received);
    for (const waiter of [...waiters]) waiter();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => {});
  return {
    ws,
    messages,
    send: (message) => ws.send(JSON.stringify(message)),
    next: (match, what, timeoutMs = 5000) =>
      new Promise<Received>((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found === undefined) return false;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const waiter = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        if (!check()) waiters.add(waiter);
      }),
    closed,
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
};

/** The HTTP status a refused upgrade answered with. */
export const upgradeStatus = (url: string, protocols: string[] = []): Promise<number> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', () => {});
  });

export async function eventually(check: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Lets queued bus deliveries and socket writes run. */
export const settle = (ms = 50) => new Promise((resolve) => setTimeout(resolve, ms));
