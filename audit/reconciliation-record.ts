import type { JsonObject } from '../ports/event-store.ts';
import type { ReadStore } from '../ports/read-store.ts';
import { reconciliationJson, type ReconciliationReport } from './reconciliation.ts';

/**
 * The last reconciliation's result, kept in the read store so the admin route and the metric
 * of any process show what `cambio audit reconcile` found, wherever it ran.
 */
const COLLECTION = 'audit_reconciliation';
const LAST = 'last';
const MAX_DIFFERENCES_KEPT = 1000;

export type ReconciliationRecord = ReturnType<typeof reconciliationJson> & {
  differenceCount: number;
};

export const saveReconciliation = async (
  readStore: ReadStore,
  report: ReconciliationReport,
): Promise<void> => {
  await readStore.ensureCollection({ name: COLLECTION, indexes: [] });
  const json = reconciliationJson(report);
  const record: ReconciliationRecord = {
    ...json,
    differences: json.differences.slice(0, MAX_DIFFERENCES_KEPT),
    differenceCount: json.differences.length,
  };
  // The store guards writes by position; the finishing instant orders runs the same way.
  await readStore.apply([
    {
      collection: COLLECTION,
      id: LAST,
      doc: record as unknown as JsonObject,
      position: BigInt(Date.parse(report.finishedAt)),
    },
  ]);
};

export const loadReconciliation = async (
  readStore: ReadStore,
): Promise<ReconciliationRecord | null> => {
  await readStore.ensureCollection({ name: COLLECTION, indexes: [] });
  const found = await readStore.get(COLLECTION, LAST);
  return found === null ? null : (found.doc as unknown as ReconciliationRecord);
};
