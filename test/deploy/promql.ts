/**
 * What the deployment files' PromQL may name: the metrics one Cambio process exposes, and the
 * series and labels an expression selects, read well enough to check dashboards and alerts.
 */
import { createMetrics } from '../../infra/metrics/metrics.ts';

/** Labels every scraped series carries besides its own. */
export const TARGET_LABELS = ['job', 'instance'];
const PROMQL_FUNCTION_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
]);

/** Metric name → label names, for what one Cambio process exposes, plus Prometheus's `up`. */
export const exposedMetrics = async (): Promise<Map<string, string[]>> => {
  const { registry } = createMetrics();
  const metrics = new Map<string, string[]>([['up', []]]);
  for (const { name, type } of await registry.getMetricsAsJSON()) {
    const metric = registry.getSingleMetric(name) as unknown as { labelNames?: string[] };
    const labels = metric.labelNames ?? [];
    metrics.set(name, labels);
    if (String(type) === 'histogram') {
      metrics.set(`${name}_bucket`, [...labels, 'le']);
      metrics.set(`${name}_sum`, labels);
      metrics.set(`${name}_count`, labels);
    }
  }
  return metrics;
};

/** Series names a PromQL expression selects: identifiers that are no function and no keyword. */
export const metricNamesIn = (expr: string): string[] => {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const withoutLabelLists = withoutStrings
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(?:by|without|on|ignoring)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '[]');
  const names: string[] = [];
  for (const match of withoutLabelLists.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?/g)) {
    const [, name = '', call] = match;
    if (call !== undefined || PROMQL_FUNCTION_WORDS.has(name) || /^(or|and|unless)$/.test(name)) {
      continue;
    }
    names.push(name);
  }
  return names;
};

/** Label names an expression mentions: in matchers, `by (...)` and `without (...)`. */
export const labelNamesIn = (expr: string): string[] => {
  const labels: string[] = [];
  for (const [, list = ''] of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    labels.push(...list.split(',').map((label) => label.trim()));
  }
  for (const [, matchers = ''] of expr.matchAll(/\{([^}]*)\}/g)) {
    for (const [, label = ''] of matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) {
      labels.push(label);
    }
  }
  return labels.filter((label) => label !== '');
};
