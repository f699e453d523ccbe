import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { CommandHandler } from '../../commands/command-handler.ts';
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
import { loadReconciliation } from '../../audit/reconciliation-record.ts';
import { ProjectionProgress } from '../../projections/projection-progress.ts';
import { createReadModelQueries } from '../../projections/queries.ts';
import { walletReadModels } from '../../projections/wallet-read-models.ts';
import { walletLiveUpdates } from '../../projections/wallet-live-updates.ts';
import { mailRequestsReaction } from '../../reactions/mail-requests.ts';
import { startNotifier } from '../../notifier/notifier.ts';
import type { Bus } from '../../ports/bus.ts';
import type { EventStore } from '../../ports/event-store.ts';
import type { ReadStore } from '../../ports/read-store.ts';
import {
  signAccessToken,
  verifyAccessToken,
  type AccessTokenSettings,
} from '../auth/access-tokens.ts';
import { loadKeys } from '../auth/secrets.ts';
import type { Config } from '../config/settings.ts';
import { bearerAuthenticator } from '../http/authenticate.ts';
import { createHttpApp } from '../http/create-app.ts';
import { listen } from '../http/http-server.ts';
import type { ReadinessCheck } from '../http/readiness.ts';
import { mountRoutes, type RouteSpec } from '../http/route-spec.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { docsRouter } from '../openapi/docs-router.ts';
import { openApiDocument } from '../openapi/openapi-document.ts';
import { LatestRates } from '../rates/latest-rates.ts';
import { meteredBus } from '../bus/metered-bus.ts';
import { openDeliveryLog } from '../delivery-log/open-delivery-log.ts';
import { startRateFeed } from '../rates/rate-feed.ts';
import { openBus, openEventLog, openMailer, openRateSource, openReadStore } from './adapters.ts';
import type { Lifecycle } from './lifecycle.ts';
import { roleNeeds } from './role-needs.ts';

/** bcrypt cost: ~100 ms per hash on these machines, above the OWASP minimum of 10. */
const BCRYPT_COST = 10;

export interface RunningRoles {
  port: number;
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
    key: keys.accessToken,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    ttlSeconds: config.accessTokenTtlSeconds,
  };

  let eventStore: EventStore | undefined;
  let eventLog: Awaited<ReturnType<typeof openEventLog>> | undefined;
  if (needs.eventStore) {
    eventLog = await openEventLog(config, logger);
    const store = eventLog.events;
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
  const bus = meteredBus(rawBus, metrics);
  lifecycle.onStop('bus', () => bus.close());
  readiness.push({
    name: 'bus',
    check: () => {
      const health = bus.health();
      if (!health.up) throw new Error(health.detail ?? 'disconnected');
    },
  });

  const progress = readStore ? new ProjectionProgress({ readStore }) : undefined;

  // Started before the projector's mail reaction and so stopped after it: on the embedded
  // bus the reaction's enqueue waits for the notifier to handle the mail.
  if (needs.notifier) {
    const mailer = openMailer(config, logger);
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

  if (needs.projector && eventStore && readStore) {
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
    lifecycle.onStop('projector', () => projector.stop());

    const mailRequests = mailRequestsReaction({
      eventStore,
      readStore,
      bus,
      codeKey: keys.verificationCode,
      logger: logger.child({ component: 'mail-requests' }),
    });
    await mailRequests.start();
    lifecycle.onStop('mail reaction', () => mailRequests.stop());

    const source = openRateSource(config, logger);
    const feed = startRateFeed({ source, bus, logger });
    await source.start();
    lifecycle.onStop('rate feed', async () => {
      feed.stop();
      await source.stop();
    });
  }

  const routes: RouteSpec[] = [];
  let latestRates: LatestRates | undefined;
  if (needs.writeApi || needs.readApi) {
    const rates = new LatestRates({ bus, logger });
    latestRates = rates;
    lifecycle.onStop('rates subscription', () => rates.close());
  }
  if (needs.writeApi && eventStore) {
    const handler = new CommandHandler(eventStore, {
      onOutcome: (_aggregate, command, outcome) => metrics.commands.inc({ type: command, outcome }),
      onConflictRetry: (aggregate) => metrics.commandRetries.inc({ type: aggregate }),
      onAppended: (events) => {
        for (const event of events) metrics.eventsAppended.inc({ type: event.type });
      },
    });
    const sessions = {
      handler,
      signAccessToken: (principal: Parameters<typeof signAccessToken>[1]) =>
        signAccessToken(tokenSettings, principal),
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      rolesOf: (userId: string) => rolesOf(handler, userId),
    };
    routes.push(
      ...userRoutes({
        register: { handler, codeKey: keys.verificationCode, bcryptCost: BCRYPT_COST },
        sessions,
        authRateLimitPerMinute: config.authRateLimitPerMinute,
      }),
      ...walletRoutes({
        handler,
        latestRates: () => {
          const latest = latestRates?.latest();
          return latest ? { rates: latest.rates, at: latest.at } : null;
        },
        maxRateAgeMs: config.ratesMaxAgeMs,
      }),
    );
  }
  if (eventLog) routes.push(...auditRoutes(eventLog.events, eventLog.stored));
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
  const queries = needs.readApi && readStore ? createReadModelQueries(readStore) : null;
  if (queries) {
    routes.push(...userReadRoutes(queries, eventStore));
    if (latestRates) routes.push(...exchangeRatesRoutes(latestRates));
  }

  const authenticate = bearerAuthenticator((token) => verifyAccessToken(tokenSettings, token));
  const app = createHttpApp({
    logger,
    metrics,
    corsOrigins: config.corsOrigins,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    readiness,
    mount: (app: Express) => {
      const router = express.Router();
      mountRoutes(router, routes, {
        authenticate,
        ...(progress ? { readYourWrites: readYourWrites(progress, config.readWaitMs) } : {}),
      });
      app.use(router);
      const document = openApiDocument(routes, '0.1.0');
      app.use(docsRouter(() => document));
    },
  });
  const http = await listen(app, config.host, config.port);
  lifecycle.onStop('http server', () => http.close(config.shutdownTimeoutMs));
  if (queries && latestRates) {
    // Registered after the HTTP server so it closes first: sockets get 1001, not a cut.
    const live = attachWebSocketServer({
      server: http.server,
      bus,
      latestRates,
      verifyAccessToken: async (token) => verifyAccessToken(tokenSettings, token),
      readWallet: queries.getWallet,
      logger: logger.child({ component: 'websocket' }),
      metrics,
    });
    lifecycle.onStop('websocket server', () => live.close());
  }
  return {
    port: http.port,
    bus,
    ...(eventStore ? { eventStore } : {}),
    ...(readStore ? { readStore } : {}),
  };
};
