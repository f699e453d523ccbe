import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SETTINGS } from '../../infra/config/settings.ts';
import { ROOT, loadCompose, parseVolume, readYaml } from './deployment-files.ts';
import { TARGET_LABELS, exposedMetrics, labelNamesIn, metricNamesIn } from './promql.ts';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const RULES = 'deploy/prometheus/alerts.yml';
const rules = (): AlertRule[] =>
  (readYaml(RULES) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((group) => group.rules);

/** promtool: PROMTOOL_BIN, on the PATH, or unpacked by scripts/ci-services.sh. */
const findPromtool = (): string | undefined => {
  const candidates = [
    process.env.PROMTOOL_BIN,
    ...(process.env.PATH ?? '').split(':').map((dir) => join(dir, 'promtool')),
    join(ROOT, '.tmp/prometheus/usr/bin/promtool'),
  ];
  return candidates.find((path) => path !== undefined && path !== '' && existsSync(path));
};

describe('Prometheus alert rules', () => {
  let metrics: Map<string, string[]>;
  before(async () => {
    metrics = await exposedMetrics();
  });

  it('select only metrics a Cambio process exposes, with their labels', () => {
    for (const rule of rules()) {
      const names = metricNamesIn(rule.expr);
      expect(names, `${rule.alert}: no metric`).to.have.length.above(0);
      const known = new Set(TARGET_LABELS);
      for (const name of names) {
        const labels = metrics.get(name);
        expect(labels, `${rule.alert}: unknown metric ${name}`).to.not.equal(undefined);
        for (const label of labels ?? []) known.add(label);
      }
      for (const label of labelNamesIn(rule.expr)) {
        expect(known.has(label), `${rule.alert}: label ${label}`).to.equal(true);
      }
    }
  });

  it('cover projection lag, server errors, parked mails, stale rates and conflict retries', () => {
    const watched = new Set(rules().flatMap((rule) => metricNamesIn(rule.expr)));
    for (const metric of [
      'cambio_projection_lag_events',
      'cambio_http_request_duration_seconds_count',
      'cambio_mails_total',
      'cambio_rates_updated_timestamp_seconds',
      'cambio_command_conflict_retries_total',
    ]) {
      expect(watched.has(metric), metric).to.equal(true);
    }
  });

  it('each carry a severity, a summary and a description', () => {
    const names = rules().map((rule) => rule.alert);
    expect(new Set(names).size).to.equal(names.length);
    for (const rule of rules()) {
      expect(['warning', 'critical'], rule.alert).to.include(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).to.be.a('string').and.not.equal('');
      expect(rule.annotations?.description, rule.alert).to.be.a('string').and.not.equal('');
    }
  });

  it('call rates stale when trades are refused: past the RATES_MAX_AGE_MS default', () => {
    const maxAge = SETTINGS.find((setting) => setting.key === 'ratesMaxAgeMs')?.default;
    const stale = rules().find((rule) => rule.alert === 'CambioRatesStale');
    const threshold = /> (\d+)$/.exec(stale?.expr ?? '')?.[1];
    expect(Number(threshold) * 1000).to.equal(Number(maxAge));
  });

  it('are loaded by prometheus.yml from the file the prometheus service mounts', () => {
    const { rule_files: files } = readYaml('deploy/prometheus/prometheus.yml') as {
      rule_files?: string[];
    };
    const mounts = (loadCompose().services.prometheus?.volumes ?? []).map(parseVolume);
    const mounted = mounts.find((mount) => mount.source === `./${RULES}`);
    expect(mounted?.mode).to.equal('ro');
    expect(files).to.deep.equal([mounted?.target]);
  });

  describe('with promtool', function () {
    this.timeout(60_000);
    const run = promisify(execFile);
    const promtool = findPromtool();
    before(function () {
      if (promtool === undefined) {
        console.log(
          '    promtool not found (PROMTOOL_BIN, PATH, .tmp/prometheus): skipping; bash scripts/ci-services.sh unpacks it',
        );
        this.skip();
      }
    });

    it('pass promtool check rules', async () => {
      const { stdout } = await run(promtool ?? '', ['check', 'rules', RULES], { cwd: ROOT });
      expect(stdout).to.include('SUCCESS');
    });

    it('fire and stay quiet as deploy/prometheus/alerts.test.yml expects (promtool test rules)', async () => {
      const { stdout } = await run(promtool ?? '', ['test', 'rules', 'alerts.test.yml'], {
        cwd: join(ROOT, 'deploy/prometheus'),
      });
      expect(stdout).to.include('SUCCESS');
      const tested = new Set(
        [
          ...(
            readYaml('deploy/prometheus/alerts.test.yml') as {
              tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
            }
          ).tests,
        ].flatMap((test) =>
          test.alert_rule_test
            .filter((check) => check.exp_alerts.length > 0)
            .map((check) => check.alertname),
        ),
      );
      expect([...tested].sort()).to.deep.equal(
        rules()
          .map((rule) => rule.alert)
          .sort(),
      );
    });
  });
});
