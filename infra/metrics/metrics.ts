import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics, in one registry per process (tests start several
 * servers in one process, so nothing is registered globally).
 */
export const createMetrics = () => {
  const registry = new Registry();
  // Where the last reconciliation's result is read from at each scrape (roles with a read store).
  let lastReconciliation: ReconciliationSource | undefined;
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpDuration: new Histogram({
      name: 'cambio_http_request_duration_seconds',
      help: 'HTTP request latency by route template, method and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    commands: new Counter({
      name: 'cambio_commands_total',
      help: 'Commands handled, by type and outcome',
      labelNames: ['type', 'outcome'] as const,
      registers,
    }),
    commandRetries: new Counter({
      name: 'cambio_command_conflict_retries_total',
      help: 'Times a command was decided again after a concurrency conflict',
      labelNames: ['type'] as const,
      registers,
    }),
    eventsAppended: new Counter({
      name: 'cambio_events_appended_total',
      help: 'Events appended to the event store, by type',
      labelNames: ['type'] as const,
      registers,
    }),
    projectionPosition: new Gauge({
      name: 'cambio_projection_position',
      help: 'Last global position applied by each projection',
      labelNames: ['projection'] as const,
      registers,
    }),
    projectionLag: new Gauge({
      name: 'cambio_projection_lag_events',
      help: 'Events in the log not yet applied by each projection',
      labelNames: ['projection'] as const,
      registers,
    }),
    websocketClients: new Gauge({
      name: 'cambio_websocket_clients',
      help: 'Connected websocket clients, by endpoint',
      labelNames: ['endpoint'] as const,
      registers,
    }),
    busMessages: new Counter({
      name: 'cambio_bus_messages_total',
      help: 'Bus messages, by direction (published, received, enqueued, consumed, parked) and subject family',
      labelNames: ['direction', 'subject'] as const,
      registers,
    }),
    leaseHeld: new Gauge({
      name: 'cambio_lease_held',
      help: 'Whether this process holds the lease of a singleton worker (1) or stands by (0)',
      labelNames: ['lease'] as const,
      registers,
    }),
    ratesUpdated: new Gauge({
      name: 'cambio_rates_updated_timestamp_seconds',
      help: 'Time (seconds since the epoch) of the newest exchange rates this process holds',
      registers,
    }),
    mails: new Counter({
      name: 'cambio_mails_total',
      help: 'Mails handed to the transport, by outcome (sent, duplicate, failed, parked)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    reconciliationDifferences: new Gauge({
      name: 'cambio_reconciliation_differences',
      help: 'Differences between the log and the read models found by the last reconciliation (absent before the first)',
      registers,
      async collect() {
        const last = await lastReconciliation?.();
        if (last) this.set(last.differenceCount);
      },
    }),
    reconciliationFinished: new Gauge({
      name: 'cambio_reconciliation_last_run_timestamp_seconds',
      help: 'When the last reconciliation finished (Unix time)',
      registers,
      async collect() {
        const last = await lastReconciliation?.();
        if (last) this.set(Date.parse(last.finishedAt) / 1000);
      },
    }),
    /** Makes the reconciliation gauges report what `source` reads. */
    observeReconciliation(source: ReconciliationSource) {
      lastReconciliation = source;
    },
  };
};

type ReconciliationSource = () => Promise<{ differenceCount: number; finishedAt: string } | null>;

export type Metrics = ReturnType<typeof createMetrics>;
