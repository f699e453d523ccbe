import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createMetrics } from '../../infra/metrics/metrics.ts';
import {
  ROOT,
  cambioServices,
  environmentOf,
  loadCompose,
  parseVolume,
  readText,
  readYaml,
  type ComposeFile,
} from './deployment-files.ts';

interface ScrapeConfig {
  job_name: string;
  dns_sd_configs?: { names: string[]; type?: string; port?: number }[];
  static_configs?: { targets: string[] }[];
}

interface Datasource {
  name: string;
  uid: string;
  type: string;
  url: string;
}

interface Target {
  expr: string;
  legendFormat?: string;
  datasource?: { type: string; uid: string };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
}

interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

/** Labels every scraped series carries besides its own. */
const TARGET_LABELS = ['job', 'instance'];
const PROMQL_FUNCTION_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
]);

/** Metric name → label names, for what one Cambio process exposes, plus Prometheus's `up`. */
const exposedMetrics = async (): Promise<Map<string, string[]>> => {
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
const metricNamesIn = (expr: string): string[] => {
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
const labelNamesIn = (expr: string): string[] => {
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

const legendLabelsIn = (legend: string | undefined): string[] =>
  [...(legend ?? '').matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)].map(
    ([, label = '']) => label,
  );

/** Labels the log shipper puts on Cambio's lines: relabel targets, static labels, stage.labels. */
const alloyLabels = (config: string): string[] => {
  const labels = [...config.matchAll(/target_label\s*=\s*"([^"]+)"/g)].map(
    ([, label = '']) => label,
  );
  for (const [, map = ''] of config.matchAll(/\blabels\s*=\s*\{([^}]*)\}/g)) {
    labels.push(
      ...[...map.matchAll(/"?([a-zA-Z_][a-zA-Z0-9_]*)"?\s*=/g)].map(([, label = '']) => label),
    );
  }
  for (const [, map = ''] of config.matchAll(/stage\.labels\s*\{\s*values\s*=\s*\{([^}]*)\}/g)) {
    labels.push(
      ...[...map.matchAll(/"?([a-zA-Z_][a-zA-Z0-9_]*)"?\s*=/g)].map(([, label = '']) => label),
    );
  }
  return labels;
};

const allTargets = (dashboard: Dashboard): { panel: Panel; target: Target }[] =>
  dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));

describe('Prometheus, Grafana and the log shipper', () => {
  let compose: ComposeFile;
  let dashboard: Dashboard;
  let datasources: Datasource[];
  let metrics: Map<string, string[]>;

  before(async () => {
    compose = loadCompose();
    dashboard = JSON.parse(readText('deploy/grafana/dashboards/cambio.json')) as Dashboard;
    datasources = (
      readYaml('deploy/grafana/provisioning/datasources/datasources.yml') as {
        datasources: Datasource[];
      }
    ).datasources;
    metrics = await exposedMetrics();
  });

  describe('prometheus.yml', () => {
    it('scrapes every replica of every Cambio service on its metrics port, one job per service', () => {
      const { scrape_configs: jobs } = readYaml('deploy/prometheus/prometheus.yml') as {
        scrape_configs: ScrapeConfig[];
      };
      const cambio = cambioServices(compose);
      for (const { name, service } of cambio) {
        const job = jobs.find((candidate) => candidate.job_name === name);
        expect(job, `job for ${name}`).to.not.equal(undefined);
        expect(job?.dns_sd_configs, name).to.deep.equal([
          {
            names: [name],
            type: 'A',
            // Its own listener (METRICS_PORT), which the gateway does not forward.
            port: Number(environmentOf(service).METRICS_PORT),
            refresh_interval: '15s',
          },
        ]);
      }
      const others = jobs
        .map((job) => job.job_name)
        .filter((job) => !cambio.some(({ name }) => name === job));
      expect(others).to.deep.equal(['prometheus']);
    });

    it('is the file the prometheus service mounts', () => {
      const mounts = (compose.services.prometheus?.volumes ?? []).map(parseVolume);
      expect(mounts).to.deep.include({
        source: './deploy/prometheus/prometheus.yml',
        target: '/etc/prometheus/prometheus.yml',
        mode: 'ro',
      });
    });
  });

  describe('Grafana provisioning', () => {
    it('provisions Prometheus and Loki at the addresses of their services', () => {
      const byType = Object.fromEntries(datasources.map((source) => [source.type, source]));
      expect(byType.prometheus?.url).to.equal('http://prometheus:9090');
      expect(byType.loki?.url).to.equal('http://loki:3100');
      expect(compose.services).to.have.property('prometheus');
      expect(compose.services).to.have.property('loki');
    });

    it('loads dashboards from the folder the grafana service mounts', () => {
      const { providers } = readYaml('deploy/grafana/provisioning/dashboards/dashboards.yml') as {
        providers: { options: { path: string } }[];
      };
      const mounts = (compose.services.grafana?.volumes ?? []).map(parseVolume);
      const dashboards = mounts.find((mount) => mount.source === './deploy/grafana/dashboards');
      expect(providers.map((provider) => provider.options.path)).to.deep.equal([
        dashboards?.target,
      ]);
      expect(mounts.map((mount) => mount.target)).to.include('/etc/grafana/provisioning');
      const home = environmentOf(
        compose.services.grafana ?? {},
      ).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
      expect(home).to.equal(`${dashboards?.target}/cambio.json`);
      expect(existsSync(join(ROOT, 'deploy/grafana/dashboards/cambio.json'))).to.equal(true);
    });
  });

  describe('the Cambio dashboard', () => {
    it('has unique panel ids and fits the 24-column grid', () => {
      const ids = dashboard.panels.map((panel) => panel.id);
      expect(new Set(ids).size).to.equal(ids.length);
      for (const { title, gridPos } of dashboard.panels) {
        expect(gridPos.x + gridPos.w, title).to.be.at.most(24);
      }
    });

    it('queries only provisioned data sources', () => {
      const uids = new Set(datasources.map((source) => source.uid));
      for (const { panel, target } of allTargets(dashboard)) {
        expect(uids.has(panel.datasource?.uid ?? ''), panel.title).to.equal(true);
        expect(target.datasource?.uid, panel.title).to.equal(panel.datasource?.uid);
      }
    });

    it('uses only metrics a Cambio process exposes, with their labels', () => {
      for (const { panel, target } of allTargets(dashboard)) {
        if (panel.datasource?.type !== 'prometheus') continue;
        const names = metricNamesIn(target.expr);
        expect(names, `${panel.title}: no metric in ${target.expr}`).to.have.length.above(0);
        const known = new Set(TARGET_LABELS);
        for (const name of names) {
          const labels = metrics.get(name);
          expect(labels, `${panel.title}: unknown metric ${name}`).to.not.equal(undefined);
          for (const label of labels ?? []) known.add(label);
        }
        for (const label of [
          ...labelNamesIn(target.expr),
          ...legendLabelsIn(target.legendFormat),
        ]) {
          expect(known.has(label), `${panel.title}: label ${label} in ${target.expr}`).to.equal(
            true,
          );
        }
      }
    });

    it('charts every cambio_* metric', () => {
      const used = new Set(
        allTargets(dashboard).flatMap(({ target }) =>
          metricNamesIn(target.expr).map((name) => name.replace(/_(bucket|sum|count)$/, '')),
        ),
      );
      const cambioMetrics = [...metrics.keys()].filter(
        (name) => name.startsWith('cambio_') && !/_(bucket|sum|count)$/.test(name),
      );
      expect(cambioMetrics).to.have.length.above(5);
      expect(cambioMetrics.filter((name) => !used.has(name))).to.deep.equal([]);
    });

    it('queries Loki only by labels the log shipper attaches', () => {
      const labels = new Set(alloyLabels(readText('deploy/alloy/config.alloy')));
      expect([...labels].sort()).to.deep.equal([
        'container',
        'level',
        'project',
        'service',
        'stream',
      ]);
      const lokiTargets = allTargets(dashboard).filter(
        ({ panel }) => panel.datasource?.type === 'loki',
      );
      expect(lokiTargets).to.have.length.above(0);
      for (const { panel, target } of lokiTargets) {
        for (const label of [
          ...labelNamesIn(target.expr),
          ...legendLabelsIn(target.legendFormat),
        ]) {
          expect(labels.has(label), `${panel.title}: label ${label}`).to.equal(true);
        }
      }
    });
  });

  describe('the log shipper', () => {
    it('ships the logs of this Compose project to the loki service', () => {
      const config = readText('deploy/alloy/config.alloy');
      expect(config).to.include(`com.docker.compose.project=${compose.name ?? ''}`);
      expect(config).to.include('url = "http://loki:3100/loki/api/v1/push"');
      const mounts = (compose.services.alloy?.volumes ?? []).map(parseVolume);
      expect(mounts).to.deep.include({
        source: '/var/run/docker.sock',
        target: '/var/run/docker.sock',
        mode: 'ro',
      });
    });

    it('parses levels only on the lines of Cambio services', () => {
      const config = readText('deploy/alloy/config.alloy');
      const selector = /selector\s*=\s*"\{service=~\\"([^\\]+)\\"\}"/.exec(config)?.[1] ?? '';
      expect(selector.split('|').sort()).to.deep.equal(
        cambioServices(compose)
          .map(({ name }) => name)
          .sort(),
      );
    });
  });
});
