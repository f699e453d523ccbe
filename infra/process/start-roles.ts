import { createSecretKey } from 'node:crypto';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { CommandHandler, type CommandObserver } from '../../commands/command-handler.ts';
import { rolesOf } from '../../commands/user/roles-of.ts';
import { userRoutes } from '../../write-api/user-routes.ts';
import { walletRoutes } from '../../write-api/wallet-routes.ts';
import { userReadRoutes } from '../../read-api/user-routes.ts';
import { readYourWrites } from '../../read-api/read-your-writes.ts';
import { exchangeRatesRoutes } from '../../read-api/exchange-rates-router.ts';
import { attachWebSocketServer } from '../../read-api/websocket/websocket-server.ts';
import { Projector } from '../../projections/projector.ts';
import { projectionStatus } from '../../projections/projection-status.ts';
import { auditRoutes } from '../../audit/audit-routes.ts';
import { erasureRoutes } from '../../write-api/erasure-routes.ts';
import { adminRoutes } from '../../read-api/admin-routes.ts';
import { findConsoleBundle } from '../../read-api/console-bundle.ts';
import { consoleRouter } from '../../read-api/console-router.ts';
import { parkedMailRoutes } from '../../read-api/parked-mail-routes.ts';
import type { ParkedMail } from '../../ports/parked-mail.ts';
import { loadReconciliation } from '../../audit/reconciliation-record.ts';
import { ProjectionProgress } from '../../projections/projection-progress.ts';
import { createReadModelQueries } from '../../projections/queries.ts';
import { walletReadModels } from '../../projections/wallet-read-models.ts';
import { walletLiveUpdates } from '../../projections/wallet-live-updates.ts';
import { mailRequestsReaction } from '../../reactions/mail-requests.ts';
import { transferProcess } from '../../reactions/transfer-process.ts';
import { transferRoutes } from '../../write-api/transfer-routes.ts';
import { transferReadRoutes } from '../../read-api/transfer-routes.ts';
import { paymentCallbacksReaction } from '../../reactions/payment-callbacks.ts';
import { paymentRoutes } from '../../write-api/payment-routes.ts';
import { openPaymentProvider, paymentCallbackSecret } from '../payments/open-payment-provider.ts';
import { startNotifier } from '../../notifier/notifier.ts';
import type { Bus } from '../../ports/bus.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { ReadStore } from '../../ports/read-store.ts';
import {
  accessTokenVerifier,
  signAccessToken,
  type AccessTokenSettings,
} from '../auth/access-tokens.ts';
import { createRevokedSessions } from '../auth/revoked-sessions.ts';
import { openPasswordHasher } from '../auth/password-hasher.ts';
import {
  registrationAggregateFor,
  signInGuardAggregate,
  walletAggregateWith,
} from '../../commands/aggregates.ts';
import {
  followRevocationsInLog,
  followRevocationsInReadStore,
  recordRevocationsInReadStore,
} from '../../projections/session-revocations.ts';
import { loadKeys } from '../auth/secrets.ts';
import type { Config } from '../config/settings.ts';
import { bearerAuthenticator } from '../http/authenticate.ts';
import { createHttpApp } from '../http/create-app.ts';
import { createMetricsApp } from '../http/metrics-endpoint.ts';
import { connectNatsRateLimits } from '../http/nats-rate-limit-store.ts';
import { requestLimits } from '../http/request-limits.ts';
import type { Store } from 'express-rate-limit';
import proxyAddr from 'proxy-addr';
import { listen } from '../http/http-server.ts';
import type { ReadinessCheck } from '../http/readiness.ts';
import { mountRoutes, type RouteSpec } from '../http/route-spec.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { profilingRoutes } from '../profiling/profiling-routes.ts';
import { tracedBus } from '../tracing/traced-bus.ts';
import { tracedEventStore } from '../tracing/traced-event-store.ts';
import { tracedMailer } from '../tracing/traced-mailer.ts';
import { docsRouter } from '../openapi/docs-router.ts';
import { openApiDocument } from '../openapi/openapi-document.ts';
import { LatestRates } from '../rates/latest-rates.ts';
import { meteredBus } from '../bus/metered-bus.ts';
import { deliveryLogFile, openDeliveryLog } from '../delivery-log/open-delivery-log.ts';
import { connectNatsParkedMail } from '../delivery-log/nats-parked-mail.ts';
import { openSqliteParkedMail } from '../delivery-log/sqlite-parked-mail.ts';
import { startRateFeed } from '../rates/rate-feed.ts';
import { ratesReadiness, waitForFirstRates } from '../rates/first-rates.ts';
import {
  openBus,
  openEventLog,
  openLease,
  openMailer,
  openRateSource,
  openReadStore,
} from './adapters.ts';
import type { Lifecycle } from './lifecycle.ts';
import { roleNeeds } from './role-needs.ts';
import { runWhileLeased } from './run-while-leased.ts';

/** bcrypt cost: ~100 ms per hash on these machines, above the OWASP minimum of 10. */
const BCRYPT_COST = 10;
/** Revocations are looked up this far before the oldest that can matter (clock skew). */
const REVOCATION_MARGIN_MS = 5 * 60_000;

/** Commands by type and outcome, conflict retries and appended events, for every handler. */
const commandObserver = (metrics: Metrics): CommandObserver => ({
  onOutcome: (_aggregate, command, outcome) => metrics.commands.inc({ type: command, outcome }),
  onConflictRetry: (aggregate) => metrics.commandRetries.inc({ type: aggregate }),
  onAppended: (events) => {
    for (const event of events) metrics.eventsAppended.inc({ type: event.type });
  },
});

export interface RunningRoles {
  port: number;
  /** The metrics listener's port, when METRICS_PORT gives it one. */
  metricsPort?: number;
  eventStore?: EventStore;
  readStore?: ReadStore;
  bus: Bus;
}

/**
 * The composition root: opens the adapters the configured role needs and wires the roles
 * together. Resources are registered with the lifecycle in opening order and closed in
 * reverse: the HTTP server first, then workers (saving checkpoints), then the bus and stores.
 * Every role serves /health, /ready and /metrics.
 */
export const startRoles = async (
  config: Config,
  logger: Logger,
  lifecycle: Lifecycle,
): Promise<RunningRoles> => {
  const needs = roleNeeds(config.role);
  const metrics = createMetrics();
  const readiness: ReadinessCheck[] = [];
  const keys = loadKeys(config.secret, config.dataDir);
  const tokenSettings: AccessTokenSettings = {
    key: createSecretKey(keys.accessToken),
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    ttlSeconds: config.accessTokenTtlSeconds,
  };

  let eventStore: EventStore | undefined;
  let eventLog: Awaited<ReturnType<typeof openEventLog>> | undefined;
  if (needs.eventStore) {
    eventLog = await openEventLog(config, logger);
    const store = tracedEventStore(eventLog.events);
    eventStore = store;
    lifecycle.onStop('event store', () => store.close());
    readiness.push({ name: 'event store', check: () => store.ping() });
  }
  let readStore: ReadStore | undefined;
  if (needs.readStore) {
    const store = await openReadStore(config);
    readStore = store;
    lifecycle.onStop('read store', () => store.close());
    readiness.push({ name: 'read store', check: () => store.ping() });
  }
  const rawBus = await openBus(config, logger);
  const bus = tracedBus(meteredBus(rawBus, metrics));
  lifecycle.onStop('bus', () => bus.close());
  readiness.push({
    name: 'bus',
    check: () => {
      const health = bus.health();
      if (!health.up) throw new Error(health.detail ?? 'disconnected');
    },
  });

  const progress = readStore ? new ProjectionProgress({ readStore }) : undefined;

  // Every role but the notifier authenticates (API routes, audit, admin, websockets).
  const revokedSessions = createRevokedSessions({
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
  });
  const revocationsSince = () =>
    new Date(Date.now() - config.accessTokenTtlSeconds * 1000 - REVOCATION_MARGIN_MS);
  const onRevoked = (sessionId: string, revokedAt: string) =>
    revokedSessions.revoke(sessionId, revokedAt);
  if (eventStore) {
    const follower = followRevocationsInLog({
      eventStore,
      since: revocationsSince,
      onRevoked,
      logger: logger.child({ component: 'session-revocations' }),
    });
    await follower.start();
    lifecycle.onStop('session revocations', () => follower.stop());
  } else if (readStore && !needs.notifier) {
    const follower = followRevocationsInReadStore({
      readStore,
      since: revocationsSince,
      onRevoked,
      logger: logger.child({ component: 'session-revocations' }),
    });
    await follower.start();
    lifecycle.onStop('session revocations', () => follower.stop());
  }

  let parkedMail: ParkedMail | undefined;

  // Subscribed before the rate source starts (below), so its first snapshot is not missed.
  let latestRates: LatestRates | undefined;
  if (needs.writeApi || needs.readApi) {
    const rates = new LatestRates({ bus, logger });
    latestRates = rates;
    lifecycle.onStop('rates subscription', () => rates.close());
    readiness.push(ratesReadiness(rates));
  }

  // Started before the projector's mail reaction and so stopped after it: on the embedded
  // bus the reaction's enqueue waits for the notifier to handle the mail.
  if (needs.notifier) {
    const mailer = tracedMailer(openMailer(config, logger), config.mail);
    lifecycle.onStop('mailer', () => mailer.close());
    const deliveryLog = await openDeliveryLog(config, logger);
    lifecycle.onStop('delivery log', () => deliveryLog.close());
    const consumer = await startNotifier({
      bus,
      mailer,
      deliveryLog,
      logger: logger.child({ component: 'notifier' }),
      onOutcome: (outcome) => metrics.mails.inc({ outcome }),
    });
    lifecycle.onStop('notifier', () => consumer.stop());
  }

  // Parked mail is listed where the notifier runs; on NATS any role reaches the parked stream,
  // so the projector (where the gateway sends /api/admin/*) serves it too.
  if (needs.notifier || (needs.projector && config.bus === 'nats')) {
    const desk: ParkedMail =
      config.bus === 'nats'
        ? await connectNatsParkedMail({
            servers: config.natsUrl.split(',').map((url) => url.trim()),
            name: `cambio-${config.role}-parked-mail`,
          })
        : openSqliteParkedMail({ file: deliveryLogFile(config.dataDir), bus, logger });
    // Closed before the notifier stops: a replay in flight on the embedded queue settles first.
    lifecycle.onStop('parked mail', () => desk.close());
    parkedMail = desk;
  }

  // One handler per process: commands on one stream are serialised in-process, so the write API
  // and the transfer process manager of an embedded deployment do not race each other.
  const handler = eventStore ? new CommandHandler(eventStore, commandObserver(metrics)) : undefined;
  const wallet = walletAggregateWith({
    maxDeposit: config.maxDeposit,
    maxBalance: config.maxBalance,
  });

  /** Starts read models, reactions and the rate feed; returns how to stop them. */
  const startProjection = async (
    eventStore: EventStore,
    readStore: ReadStore,
    handler: CommandHandler,
  ): Promise<() => Promise<void>> => {
    const projector = new Projector({
      projection: walletReadModels,
      eventStore,
      readStore,
      listeners: [walletLiveUpdates(bus, readStore)],
      metrics,
      ...(progress ? { onProgress: (position: bigint) => progress.report(position) } : {}),
      logger: logger.child({ component: 'projector' }),
    });
    await projector.start();
    const mailRequests = mailRequestsReaction({
      eventStore,
      readStore,
      bus,
      codeKey: keys.verificationCode,
      logger: logger.child({ component: 'mail-requests' }),
    });
    await mailRequests.start();
    // For the read-api replicas, which have no event store to follow.
    const revocations = recordRevocationsInReadStore({
      eventStore,
      readStore,
      since: revocationsSince,
      logger: logger.child({ component: 'revoked-sessions' }),
    });
    await revocations.prepare();
    await revocations.start();

    const profiles = createReadModelQueries(readStore);
    const transfers = transferProcess({
      eventStore,
      readStore,
      handler,
      wallet,
      mailOf: async (userId) => (await profiles.getUser(userId))?.mail ?? null,
      logger: logger.child({ component: 'transfer-process' }),
    });
    await transfers.start();

    const payments = paymentCallbacksReaction({
      eventStore,
      readStore,
      handler,
      logger: logger.child({ component: 'payment-callbacks' }),
    });
    await payments.start();

    const source = openRateSource(config, logger);
    const feed = startRateFeed({ source, bus, logger });
    await source.start();
    return async () => {
      feed.stop();
      await source.stop();
      await payments.stop();
      await transfers.stop();
      await revocations.stop();
      await mailRequests.stop();
      await projector.stop();
    };
  };

  // One active projector per deployment: replicas wait for the lease, and the read models,
  // mail requests and rate feed run only in the holder. Embedded, the lease is held at once.
  if (needs.projector && eventStore && readStore && handler) {
    const [events, reads, commands] = [eventStore, readStore, handler];
    const lease = await openLease(config, logger, 'projector');
    const failed = (error: unknown) => {
      logger.fatal({ err: error }, 'projector failed to start');
      void lifecycle.stop().finally(() => process.exit(1));
    };
    metrics.leaseHeld.set({ lease: 'projector' }, 0);
    const work = runWhileLeased({
      lease,
      start: () => startProjection(events, reads, commands),
      onHeld: (held) => metrics.leaseHeld.set({ lease: 'projector' }, held ? 1 : 0),
      onFailed: failed,
      logger: logger.child({ component: 'projector-lease' }),
    });
    lifecycle.onStop('projector', () => work.stop());
    // Embedded, the projector starts before the HTTP server, as it always did; a standby
    // replica serves /health and /metrics while it waits for the lease.
    if (config.bus !== 'nats') {
      await work.started;
      // This process runs the rate source: trades and rates work from the first request.
      if (latestRates) {
        const arrived = await waitForFirstRates(latestRates, config.ratesStartupWaitMs);
        if (!arrived) {
          logger.warn(
            { waitedMs: config.ratesStartupWaitMs },
            'no exchange rates yet; serving without them (/ready names the rates until they arrive)',
          );
        }
      }
    } else work.started.catch(failed);
  }

  const routes: RouteSpec[] = [];
  // Known once the server listens; the simulated provider calls back to this process.
  let ownUrl = '';
  if (needs.writeApi && handler && eventStore) {
    const callbackSecret = paymentCallbackSecret(config, keys);
    const provider = openPaymentProvider(config, callbackSecret, () => ownUrl, logger);
    lifecycle.onStop('payment provider', () => provider.close());
    routes.push(...paymentRoutes({ handler, eventStore, provider, callbackSecret, wallet }));
    const passwords = openPasswordHasher({
      cost: BCRYPT_COST,
      ...(config.passwordHashThreads > 0 ? { threads: config.passwordHashThreads } : {}),
      maxQueue: config.passwordHashQueue,
    });
    lifecycle.onStop('password hashing', () => passwords.close());
    const sessions = {
      handler,
      passwords,
      signInGuard: signInGuardAggregate({
        maxFailures: config.signInMaxFailures,
        windowSeconds: config.signInLockSeconds,
        lockSeconds: config.signInLockSeconds,
      }),
      signAccessToken: (principal: Parameters<typeof signAccessToken>[1]) =>
        signAccessToken(tokenSettings, principal),
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      rolesOf: (userId: string) => rolesOf(handler, userId),
    };
    routes.push(
      ...userRoutes({
        register: {
          handler,
          codeKey: keys.verificationCode,
          passwords,
          registration: registrationAggregateFor({
            maxGuessesPerDay: config.verificationMaxGuesses,
            dailyLockSeconds: config.verificationLockSeconds,
            resendCooldownSeconds: config.verificationResendSeconds,
          }),
        },
        sessions,
        authRateLimitPerMinute: config.authRateLimitPerMinute,
      }),
      ...transferRoutes(handler),
      ...walletRoutes({
        handler,
        latestRates: () => {
          const latest = latestRates?.latest();
          return latest ? { rates: latest.rates, at: latest.at } : null;
        },
        maxRateAgeMs: config.ratesMaxAgeMs,
        wallet,
      }),
    );
  }
  if (eventStore && eventLog) routes.push(...auditRoutes(eventStore, eventLog.stored));
  if (parkedMail) routes.push(...parkedMailRoutes(parkedMail));
  // Under /api/admin: the gateway sends it to the projector, which holds the event store too.
  if (eventLog) routes.push(...erasureRoutes(eventLog));
  if (needs.projector && eventStore && readStore) {
    const [events, reads] = [eventStore, readStore];
    routes.push(
      ...adminRoutes(
        async () => [await projectionStatus(events, reads, walletReadModels)],
        () => loadReconciliation(reads),
      ),
    );
    metrics.observeReconciliation(() => loadReconciliation(reads).catch(() => null));
  }
  if (config.profiling === 'on') {
    routes.push(
      ...profilingRoutes({ role: config.role, logger: logger.child({ component: 'profiling' }) }),
    );
  }
  const queries = needs.readApi && readStore ? createReadModelQueries(readStore) : null;
  if (queries) {
    routes.push(...userReadRoutes(queries, eventStore), ...transferReadRoutes(queries));
    if (latestRates) routes.push(...exchangeRatesRoutes(latestRates));
  }

  // The web console is served where the read API is: it reads through it and its websocket.
  const consoleBundle = needs.readApi ? findConsoleBundle(logger) : null;

  const verifyAccess = accessTokenVerifier(tokenSettings, (sessionId) =>
    revokedSessions.isRevoked(sessionId),
  );

  // Per-user and per-address limits; over NATS KV when the bus is NATS, so they hold across
  // every replica, else in this process (the embedded deployment is one process).
  let storeFor: ((prefix: string) => Store) | undefined;
  const limited =
    config.commandRateLimitPerMinute +
      config.readRateLimitPerMinute +
      config.anonymousRateLimitPerMinute >
    0;
  if (config.bus === 'nats' && routes.length > 0 && limited) {
    const shared = await connectNatsRateLimits({
      servers: config.natsUrl.split(',').map((url) => url.trim()),
      logger: logger.child({ component: 'rate-limits' }),
    });
    lifecycle.onStop('rate limits', () => shared.close());
    storeFor = (prefix) => shared.store(prefix);
  }
  const limits = requestLimits(
    {
      commandsPerMinute: config.commandRateLimitPerMinute,
      readsPerMinute: config.readRateLimitPerMinute,
      anonymousPerMinute: config.anonymousRateLimitPerMinute,
    },
    logger.child({ component: 'rate-limits' }),
    storeFor,
  );

  const authenticate = bearerAuthenticator(verifyAccess);
  const app = createHttpApp({
    logger,
    metrics,
    corsOrigins: config.corsOrigins,
    bodyLimit: config.bodyLimit,
    compressionThresholdBytes: config.compressionThresholdBytes,
    requestDeadlineMs: config.requestDeadlineMs,
    trustProxy: config.trustProxy,
    readiness,
    metricsEndpoint: config.metricsPort === null ? { token: config.metricsToken } : null,
    mount: (app: Express) => {
      // One spelling per route: `/API/USER/LOGIN` is a 404, not a way around a limit keyed on
      // the exact path (the gateway's, deploy/nginx/gateway.conf); a trailing slash is dropped
      // before routing (infra/http/trailing-slash.ts), so `/api/user/login/` meets the same limit.
      const router = express.Router({ strict: true, caseSensitive: true });
      mountRoutes(router, routes, {
        authenticate,
        limits,
        ...(progress ? { readYourWrites: readYourWrites(progress, config.readWaitMs) } : {}),
      });
      app.use(router);
      const document = openApiDocument(routes, '0.1.0');
      app.use(docsRouter(() => document));
      if (consoleBundle) app.use(consoleRouter(consoleBundle));
    },
  });
  let metricsPort: number | undefined;
  if (config.metricsPort !== null) {
    // Its own listener, which the gateway never forwards to (deploy/nginx/gateway.conf).
    const metricsHttp = await listen(
      createMetricsApp(metrics, config.metricsToken),
      config.host,
      config.metricsPort,
    );
    metricsPort = metricsHttp.port;
    lifecycle.onStop('metrics server', () => metricsHttp.close(config.shutdownTimeoutMs));
  }
  const http = await listen(app, config.host, config.port);
  const reachableHost = ['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : config.host;
  ownUrl = `http://${reachableHost.includes(':') ? `[${reachableHost}]` : reachableHost}:${http.port}`;
  lifecycle.onStop('http server', () => http.close(config.shutdownTimeoutMs));
  if (queries && latestRates) {
    // Registered after the HTTP server so it closes first: sockets get 1001, not a cut.
    const live = attachWebSocketServer({
      server: http.server,
      bus,
      latestRates,
      verifyAccessToken: async (token) => verifyAccess(token),
      onSessionRevoked: (listener) => revokedSessions.onRevoked(listener),
      readWallet: queries.getWallet,
      logger: logger.child({ component: 'websocket' }),
      metrics,
      // The client's address as express sees it (TRUST_PROXY), for the per-address cap.
      addressOf: (req) =>
        proxyAddr(req, app.get('trust proxy fn') as (addr: string, i: number) => boolean),
      limits: { maxConnectionsPerAddress: config.websocketConnectionsPerAddress },
    });
    lifecycle.onStop('websocket server', () => live.close());
  }
  return {
    port: http.port,
    ...(metricsPort === undefined ? {} : { metricsPort }),
    bus,
    ...(eventStore ? { eventStore } : {}),
    ...(readStore ? { readStore } : {}),
  };
};
