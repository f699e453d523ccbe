import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Metrics } from '../../infra/metrics/metrics.ts';
import type { Bus } from '../../ports/bus.ts';
import type { RatesMessage } from '../../ports/live-messages.ts';
import type { WalletView } from '../../projections/queries.ts';
import { exchangeRatesBody } from '../exchange-rates-router.ts';
import { resolveLimits, type WebSocketLimits } from './limits.ts';
import { createOutbox, type Outbox, type OutboxStats } from './outbox.ts';
import {
  PROTOCOL,
  bearerFromProtocols,
  errorMessage,
  parseRequest,
  replyMessage,
  type ClientRequest,
  type ErrorCode,
  type RequestId,
} from './protocol.ts';
import { rejectUpgrade } from './upgrade-rejection.ts';
import { createWalletFeeds, walletPushOf, type WalletPush } from './wallet-feeds.ts';

/**
 * The live side of the read API, on the HTTP server's upgrade path:
 * - `WS /ws/exchange-rates` (the seed's): the latest rates on connect, then every new
 *   snapshot, in the shape of `GET /api/exchange-rates`; anything the client sends is ignored.
 * - `WS /ws` (protocol.ts): authentication, rate subscriptions filtered by currency, and the
 *   caller's own wallet: its current state on subscribe, then every update.
 *
 * Everything pushed comes from the bus (rates through `latestRates`, wallets from
 * `wallets.<userId>`), so every replica pushes every tick wherever it was produced. Each
 * message is serialised once per distinct shape, not once per client. Slow readers are
 * handled by the per-client outbox (outbox.ts): memory per client is bounded.
 */

export type Endpoint = '/ws/exchange-rates' | '/ws';
const ENDPOINTS: ReadonlySet<string> = new Set<Endpoint>(['/ws/exchange-rates', '/ws']);

/** The latest rates and their updates; infra/rates/latest-rates.ts provides them. */
export interface LiveRates {
  latest(): RatesMessage | null;
  onUpdate(listener: (message: RatesMessage) => void): () => void;
}

export interface VerifiedToken {
  userId: string;
  /** The login session the token belongs to; its sockets close when it ends. */
  sessionId?: string;
  /** When given, wallet updates stop at this instant until the client authenticates again. */
  expiresAt?: Date;
}

export interface WebSocketServerDependencies {
  server: Server;
  bus: Bus;
  latestRates: LiveRates;
  /** Rejects when the token is not valid. */
  verifyAccessToken: (token: string) => Promise<VerifiedToken>;
  /** The wallet as the read models hold it now; sent first to each wallet subscriber. */
  readWallet: (userId: string) => Promise<WalletView>;
  logger: Logger;
  metrics: Pick<Metrics, 'websocketClients'>;
  limits?: Partial<WebSocketLimits>;
  /** Tells of sessions that ended (logout, refresh-token reuse); returns an unsubscribe. */
  onSessionRevoked?: (listener: (sessionId: string) => void) => () => void;
  /** The client's address for the per-address cap; the peer's socket address by default. */
  addressOf?: (req: IncomingMessage) => string;
}

export interface ClientStats extends OutboxStats {
  endpoint: Endpoint;
  userId: string | null;
  subscriptions: number;
}

export interface LiveWebSocketServer {
  readonly limits: Readonly<WebSocketLimits>;
  clientCount(): number;
  clientStats(): ClientStats[];
  /** Refuses new upgrades, closes every socket with 1001 and stops the timers. */
  close(): Promise<void>;
}

interface RatesFilter {
  /** Null: every currency. */
  codes: ReadonlySet<string> | null;
  /** Identifies the filter's rendering, shared by the clients with the same filter. */
  key: string;
}

interface Client {
  readonly ws: WebSocket;
  readonly endpoint: Endpoint;
  readonly outbox: Outbox;
  alive: boolean;
  userId: string | null;
  sessionId: string | null;
  expiresAtMs: number | null;
  rates: RatesFilter | null;
  stopWallet: (() => void) | null;
  /** Position of the newest wallet state sent; older ones (a lagging replica) are dropped. */
  walletPosition: bigint;
  /** Requests received and not yet answered (auth may wait on the verifier). */
  inFlight: number;
  work: Promise<void>;
  gone: boolean;
}

const ALL_RATES: RatesFilter = { codes: null, key: '*' };
/** User ids become bus subject tokens; anything else is refused rather than subscribed. */
const SUBJECT_SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;
const CLOSE_GOING_AWAY = 1001;
/** Private-use close code: the session of the socket's token ended; log in again. */
export const CLOSE_SESSION_REVOKED = 4001;

const ratesFilterOf = (codes: ReadonlySet<string> | null): RatesFilter =>
  codes === null ? ALL_RATES : { codes, key: [...codes].sort().join(',') };

const subscriptionCount = (client: Client): number =>
  (client.rates === null ? 0 : (client.rates.codes?.size ?? 1)) +
  (client.stopWallet === null ? 0 : 1);

const textOf = (data: RawData): string =>
  Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Buffer.from(data).toString('utf8');

const pathOf = (url: string | undefined): string => {
  const path = (url ?? '/').split('?', 1)[0] ?? '/';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
};

export const attachWebSocketServer = (deps: WebSocketServerDependencies): LiveWebSocketServer => {
  const { server, bus, latestRates, verifyAccessToken, readWallet, metrics } = deps;
  const limits = resolveLimits(deps.limits);
  const logger = deps.logger.child({ component: 'websocket' });
  const walletFeeds = createWalletFeeds(bus, logger);
  const clients = new Set<Client>();
  const rateClients = new Set<Client>();
  let upgrading = 0;
  const connectionsByAddress = new Map<string, number>();
  const addressOf = deps.addressOf ?? ((req: IncomingMessage) => req.socket.remoteAddress ?? '');
  let closing: Promise<void> | null = null;

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: limits.maxPayloadBytes,
    // Compression would cost CPU per client per tick and memory per socket.
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
  });

  // --- rendering and pushing --------------------------------------------------------------

  const renderRates = (client: Client, message: RatesMessage): Buffer => {
    if (client.endpoint === '/ws/exchange-rates') {
      return Buffer.from(JSON.stringify(exchangeRatesBody(message)));
    }
    const codes = client.rates?.codes;
    const rates: Record<string, string> = {};
    if (codes) {
      for (const code of codes) {
        const rate = message.rates[code];
        if (rate !== undefined) rates[code] = rate;
      }
    }
    return Buffer.from(
      JSON.stringify({
        type: 'rates',
        currency: message.base,
        rates: codes ? rates : message.rates,
        at: message.at,
      }),
    );
  };

  const renderKey = (client: Client): string =>
    client.endpoint === '/ws/exchange-rates' ? 'seed' : `live:${client.rates?.key ?? ''}`;

  const pushRates = (message: RatesMessage): void => {
    const rendered = new Map<string, Buffer>();
    for (const client of rateClients) {
      const key = renderKey(client);
      let text = rendered.get(key);
      if (text === undefined) {
        text = renderRates(client, message);
        rendered.set(key, text);
      }
      client.outbox.offer('rates', text);
    }
  };

  const stopRates = latestRates.onUpdate(pushRates);

  // --- client lifecycle -------------------------------------------------------------------

  const terminate = (client: Client, reason: string): void => {
    logger.info({ endpoint: client.endpoint, userId: client.userId, reason }, 'websocket cut');
    client.ws.terminate();
  };

  const reply = (client: Client, text: string): void => {
    if (!client.outbox.reply(text)) terminate(client, 'replies piled up unread');
  };

  const sendError = (client: Client, code: ErrorCode, message: string, id?: RequestId): void =>
    reply(client, errorMessage(id === undefined ? { code, message } : { code, message, id }));

  const stopWallet = (client: Client): void => {
    client.stopWallet?.();
    client.stopWallet = null;
    client.walletPosition = -1n;
    client.outbox.drop('wallet');
  };

  /** Refuses a request that would leave the connection following `topics` topics, if too many. */
  const refusedOverLimit = (client: Client, topics: number, id?: RequestId): boolean => {
    if (topics <= limits.maxSubscriptionsPerConnection) return false;
    sendError(
      client,
      'too_many_subscriptions',
      `a connection may follow at most ${limits.maxSubscriptionsPerConnection} topics`,
      id,
    );
    return true;
  };

  /** Each wallet message carries the whole wallet, so only a newer one is worth sending. */
  const sendWallet = (client: Client, push: WalletPush): void => {
    if (push.position <= client.walletPosition) return;
    client.walletPosition = push.position;
    client.outbox.offer('wallet', push.text, push.withSkipped);
  };

  const forget = (client: Client): void => {
    if (client.gone) return;
    client.gone = true;
    clients.delete(client);
    rateClients.delete(client);
    client.stopWallet?.();
    client.stopWallet = null;
    metrics.websocketClients.dec({ endpoint: client.endpoint });
  };

  // --- requests on /ws --------------------------------------------------------------------

  const authenticate = async (client: Client, token: string, id?: RequestId): Promise<void> => {
    let verified: VerifiedToken;
    try {
      verified = await verifyAccessToken(token);
    } catch {
      sendError(client, 'unauthorized', 'the access token is invalid or expired', id);
      return;
    }
    if (client.gone) return;
    if (!SUBJECT_SAFE_ID.test(verified.userId)) {
      logger.error({ userId: verified.userId }, 'verified user id is not usable on the bus');
      sendError(client, 'unauthorized', 'this account cannot use live updates', id);
      return;
    }
    if (client.userId !== null && client.userId !== verified.userId) {
      sendError(client, 'already_authenticated', 'this connection belongs to another user', id);
      return;
    }
    client.userId = verified.userId;
    client.sessionId = verified.sessionId ?? null;
    client.expiresAtMs = verified.expiresAt?.getTime() ?? null;
    reply(client, replyMessage('authenticated', id, { userId: verified.userId }));
  };

  const subscribeRates = (client: Client, codes: string[] | null, id?: RequestId): void => {
    const current = client.rates;
    const next =
      codes === null || current?.codes === null
        ? ALL_RATES
        : ratesFilterOf(new Set([...(current?.codes ?? []), ...codes]));
    const wallet = client.stopWallet === null ? 0 : 1;
    if (refusedOverLimit(client, (next.codes?.size ?? 1) + wallet, id)) return;
    client.rates = next;
    rateClients.add(client);
    reply(
      client,
      replyMessage('subscribed', id, {
        channel: 'rates',
        currencies: next.codes ? [...next.codes].sort() : null,
      }),
    );
    const latest = latestRates.latest();
    if (latest) client.outbox.offer('rates', renderRates(client, latest));
  };

  const unsubscribeRates = (client: Client, codes: string[] | null, id?: RequestId): void => {
    const current = client.rates;
    if (current === null) {
      sendError(client, 'not_subscribed', 'not subscribed to rates', id);
      return;
    }
    if (codes !== null && current.codes === null) {
      sendError(
        client,
        'bad_request',
        'subscribed to all rates: unsubscribe from the channel, then subscribe to the currencies wanted',
        id,
      );
      return;
    }
    const remaining =
      codes === null ? [] : [...(current.codes ?? [])].filter((code) => !codes.includes(code));
    client.outbox.drop('rates');
    if (remaining.length === 0) {
      client.rates = null;
      rateClients.delete(client);
    } else {
      client.rates = ratesFilterOf(new Set(remaining));
    }
    reply(
      client,
      replyMessage('unsubscribed', id, {
        channel: 'rates',
        currencies: client.rates ? remaining : [],
      }),
    );
  };

  const subscribeWallet = async (client: Client, id?: RequestId): Promise<void> => {
    const userId = client.userId;
    if (userId === null) {
      sendError(client, 'auth_required', 'authenticate before subscribing to the wallet', id);
      return;
    }
    if (client.stopWallet !== null) {
      reply(client, replyMessage('subscribed', id, { channel: 'wallet', userId }));
      return;
    }
    if (refusedOverLimit(client, subscriptionCount(client) + 1, id)) return;
    // Updates are followed before the wallet is read, so none can fall between the two. Until
    // the current state is sent they wait, the newest only: each one is the whole wallet.
    let started = false;
    let held: WalletPush | null = null;
    let stop: () => void;
    try {
      stop = walletFeeds.follow(userId, (push) => {
        if (started) sendWallet(client, push);
        else if (held === null || push.position > held.position) held = push;
      });
    } catch (error) {
      logger.error({ err: error, userId }, 'could not subscribe to wallet updates');
      sendError(client, 'unavailable', 'wallet updates are unavailable; retry shortly', id);
      return;
    }
    client.stopWallet = stop;
    let current: WalletPush | null;
    try {
      current = walletPushOf({ userId, ...(await readWallet(userId)) }, userId);
    } catch (error) {
      logger.error({ err: error, userId }, 'could not read the wallet for a subscriber');
      current = null;
    }
    // Signed out by expiry, or gone, while the wallet was read.
    if (client.gone || client.stopWallet !== stop) return;
    if (current === null) {
      stopWallet(client);
      sendError(client, 'unavailable', 'the wallet cannot be read right now; retry shortly', id);
      return;
    }
    reply(client, replyMessage('subscribed', id, { channel: 'wallet', userId }));
    started = true;
    sendWallet(client, current);
    if (held !== null) sendWallet(client, held);
  };

  const handle = async (client: Client, request: ClientRequest): Promise<void> => {
    if (client.gone) return;
    switch (request.op) {
      case 'ping':
        reply(client, replyMessage('pong', request.id));
        return;
      case 'auth':
        await authenticate(client, request.token, request.id);
        return;
      case 'subscribe':
        if (request.channel === 'rates') subscribeRates(client, request.currencies, request.id);
        else await subscribeWallet(client, request.id);
        return;
      case 'unsubscribe':
        if (request.channel === 'rates') {
          unsubscribeRates(client, request.currencies, request.id);
        } else if (client.stopWallet === null) {
          sendError(client, 'not_subscribed', 'not subscribed to the wallet', request.id);
        } else {
          stopWallet(client);
          reply(client, replyMessage('unsubscribed', request.id, { channel: 'wallet' }));
        }
        return;
    }
  };

  // Only a pong proves the peer reads what it is sent, so requests do not count as liveness.
  const onMessage = (client: Client, data: RawData, isBinary: boolean): void => {
    if (isBinary) {
      sendError(client, 'bad_message', 'messages must be JSON text frames');
      return;
    }
    const parsed = parseRequest(textOf(data), limits.maxSubscriptionsPerConnection);
    if (!parsed.ok) {
      const { ok: _ok, ...error } = parsed;
      reply(client, errorMessage(error));
      return;
    }
    if (client.inFlight >= limits.maxQueuedReplies) {
      sendError(
        client,
        'too_many_requests',
        'wait for answers before sending more',
        parsed.request.id,
      );
      return;
    }
    // Requests are answered in order: a subscribe sent right after an auth sees its outcome.
    client.inFlight += 1;
    client.work = client.work
      .then(() => handle(client, parsed.request))
      .catch((error: unknown) => logger.error({ err: error }, 'websocket request failed'))
      .finally(() => {
        client.inFlight -= 1;
      });
  };

  const onConnection = (ws: WebSocket, endpoint: Endpoint, verified: VerifiedToken | null) => {
    const client: Client = {
      ws,
      endpoint,
      outbox: createOutbox(ws, limits),
      alive: true,
      userId: verified?.userId ?? null,
      sessionId: verified?.sessionId ?? null,
      expiresAtMs: verified?.expiresAt?.getTime() ?? null,
      rates: null,
      stopWallet: null,
      walletPosition: -1n,
      inFlight: 0,
      work: Promise.resolve(),
      gone: false,
    };
    clients.add(client);
    metrics.websocketClients.inc({ endpoint });
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('error', (error) => {
      // Protocol violations (a frame over maxPayload, bad UTF-8): ws closes the socket itself.
      logger.debug({ err: error, endpoint }, 'websocket error');
    });
    ws.on('close', () => forget(client));

    if (endpoint === '/ws/exchange-rates') {
      client.rates = ALL_RATES;
      rateClients.add(client);
      const latest = latestRates.latest();
      if (latest) client.outbox.offer('rates', renderRates(client, latest));
      return;
    }
    ws.on('message', (data, isBinary) => onMessage(client, data, isBinary));
    reply(
      client,
      replyMessage('welcome', undefined, {
        protocol: PROTOCOL,
        userId: client.userId,
        heartbeatMs: limits.heartbeatMs,
      }),
    );
  };

  // --- upgrade ----------------------------------------------------------------------------

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = pathOf(req.url);
    if (!ENDPOINTS.has(path)) {
      rejectUpgrade(socket, 404, 'not_found', `No websocket endpoint at ${path}.`);
      return;
    }
    const endpoint = path as Endpoint;
    if (closing) {
      rejectUpgrade(socket, 503, 'shutting_down', 'The server is shutting down.', {
        'Retry-After': '1',
      });
      return;
    }
    if (clients.size + upgrading >= limits.maxConnections) {
      logger.warn({ maxConnections: limits.maxConnections }, 'websocket refused: too many');
      rejectUpgrade(socket, 503, 'too_many_connections', 'Too many live connections.', {
        'Retry-After': '5',
      });
      return;
    }
    const address = addressOf(req);
    const held = connectionsByAddress.get(address) ?? 0;
    if (held >= limits.maxConnectionsPerAddress) {
      logger.warn({ address, held }, 'websocket refused: too many from one address');
      rejectUpgrade(
        socket,
        429,
        'too_many_connections',
        `At most ${limits.maxConnectionsPerAddress} live connections per client address.`,
        { 'Retry-After': '5' },
      );
      return;
    }
    // Held from here until the TCP connection closes, whether the upgrade succeeds or not.
    connectionsByAddress.set(address, held + 1);
    socket.once('close', () => {
      const left = (connectionsByAddress.get(address) ?? 1) - 1;
      if (left <= 0) connectionsByAddress.delete(address);
      else connectionsByAddress.set(address, left);
    });
    const accept = (verified: VerifiedToken | null) =>
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, endpoint, verified));

    const token =
      endpoint === '/ws' ? bearerFromProtocols(req.headers['sec-websocket-protocol']) : null;
    if (token === null) {
      accept(null);
      return;
    }
    // The slot is held while the token is checked, so a burst cannot overshoot the limit.
    upgrading += 1;
    const ignore = () => {};
    socket.on('error', ignore);
    const finish = (action: () => void) => {
      upgrading -= 1;
      socket.off('error', ignore);
      if (socket.destroyed) return;
      action();
    };
    // Through a promise, so a verifier that throws synchronously is a refusal, not a crash.
    Promise.resolve(token)
      .then(verifyAccessToken)
      .then(
        (verified) =>
          finish(() => {
            if (closing) {
              rejectUpgrade(socket, 503, 'shutting_down', 'The server is shutting down.');
            } else if (!SUBJECT_SAFE_ID.test(verified.userId)) {
              rejectUpgrade(socket, 401, 'unauthorized', 'This account cannot use live updates.');
            } else {
              accept(verified);
            }
          }),
        () =>
          finish(() =>
            rejectUpgrade(socket, 401, 'unauthorized', 'The access token is invalid or expired.', {
              'WWW-Authenticate': 'Bearer error="invalid_token"',
            }),
          ),
      )
      .catch((error: unknown) => {
        logger.error({ err: error }, 'websocket upgrade failed');
        socket.destroy();
      });
  };
  server.on('upgrade', onUpgrade);

  // --- heartbeat --------------------------------------------------------------------------

  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const client of clients) {
      if (!client.alive) {
        terminate(client, 'missed a heartbeat');
        continue;
      }
      client.alive = false;
      client.ws.ping(undefined, undefined, client.outbox.written);
      if (client.expiresAtMs !== null && client.expiresAtMs <= now) {
        client.userId = null;
        client.expiresAtMs = null;
        const hadWallet = client.stopWallet !== null;
        stopWallet(client);
        sendError(
          client,
          'token_expired',
          hadWallet
            ? 'the access token expired; wallet updates stopped until you authenticate again'
            : 'the access token expired',
        );
      }
    }
  }, limits.heartbeatMs);
  heartbeat.unref();

  // A revoked session's sockets close at once, wherever the revocation happened: its tokens
  // no longer authenticate anything, and the client should know to log in again.
  const stopRevocations =
    deps.onSessionRevoked?.((sessionId) => {
      for (const client of clients) {
        if (client.sessionId !== sessionId) continue;
        logger.info({ userId: client.userId, sessionId }, 'websocket closed: session revoked');
        stopWallet(client);
        client.userId = null;
        client.ws.close(CLOSE_SESSION_REVOKED, 'session_revoked');
      }
    }) ?? (() => {});

  // --- shutdown ---------------------------------------------------------------------------

  const closeAll = async (): Promise<void> => {
    clearInterval(heartbeat);
    stopRates();
    stopRevocations();
    const open = [...clients];
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(
        open.map(
          (client) =>
            new Promise<void>((resolve) => {
              if (client.gone) return resolve();
              client.ws.once('close', () => resolve());
              client.ws.close(CLOSE_GOING_AWAY, 'server shutting down');
            }),
        ),
      ),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, limits.closeTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    for (const client of clients) client.ws.terminate();
    for (const client of [...clients]) forget(client);
    walletFeeds.close();
    server.off('upgrade', onUpgrade);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };

  return {
    limits,
    clientCount: () => clients.size,
    clientStats: () =>
      [...clients].map((client) => ({
        endpoint: client.endpoint,
        userId: client.userId,
        subscriptions: subscriptionCount(client),
        ...client.outbox.stats(),
      })),
    close() {
      closing ??= closeAll();
      return closing;
    },
  };
};
