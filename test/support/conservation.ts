/**
 * Conservation as tests check it: from the event log of a data directory alone, opened through
 * the event store port (the server may be running on it, or dead).
 */
import { expect } from 'chai';
import { checkConservation, type ConservationReport } from '../../audit/conservation.ts';
import { loadConfig } from '../../infra/config/load-config.ts';
import { createLogger } from '../../infra/logging/logger.ts';
import { openEventStore } from '../../infra/process/adapters.ts';
import { eventually } from './http-client.ts';

export const conservationOf = async (dataDir: string): Promise<ConservationReport> => {
  const config = loadConfig({ CAMBIO_DATA_DIR: dataDir });
  const store = await openEventStore(config, createLogger({ level: 'silent', role: 'test' }));
  try {
    return await checkConservation(store);
  } finally {
    await store.close();
  }
};

/** Fails with the violations when money is not conserved; returns the report otherwise. */
export const expectConserved = async (dataDir: string): Promise<ConservationReport> => {
  const report = await conservationOf(dataDir);
  expect(report.violations, JSON.stringify(report.currencies)).to.deep.equal([]);
  return report;
};

/** Waits until no transfer is pending, checking conservation at every look. */
export const expectAllTransfersSettled = (
  dataDir: string,
  timeoutMs = 60_000,
): Promise<ConservationReport> =>
  eventually(
    'every transfer completed or refunded',
    async () => {
      const report = await expectConserved(dataDir);
      return report.transfers.pending === 0 ? report : undefined;
    },
    timeoutMs,
    250,
  );
