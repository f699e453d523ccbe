import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../infra/config/load-config.ts';
import { ROLES, SETTINGS } from '../../infra/config/settings.ts';
import { roleNeeds } from '../../infra/process/role-needs.ts';
import {
  ROOT,
  cambioServices,
  dependenciesOf,
  environmentOf,
  interpolate,
  loadCompose,
  parseVolume,
  rawEnvironment,
  type ComposeFile,
} from './deployment-files.ts';

const SETTING_ENV = new Set(SETTINGS.map((setting) => setting.env));

describe('docker-compose.yml', () => {
  let compose: ComposeFile;
  let cambio: ReturnType<typeof cambioServices>;

  before(() => {
    compose = loadCompose();
    cambio = cambioServices(compose);
  });

  it('is the project "cambio", the name the log shipper filters on', () => {
    expect(compose.name).to.equal('cambio');
  });

  it('runs every role except "all" in its own service', () => {
    const roles = cambio.map(({ role }) => role).sort();
    expect(roles).to.deep.equal(ROLES.filter((role) => role !== 'all').sort());
  });

  it('runs two write-api, two read-api, one projector and one notifier', () => {
    const replicas = Object.fromEntries(
      cambio.map(({ role, service }) => [role, service.deploy?.replicas ?? 1]),
    );
    expect(replicas).to.deep.equal({ 'write-api': 2, 'read-api': 2, projector: 1, notifier: 1 });
  });

  it('sets only environment variables that are Cambio settings on Cambio services', () => {
    for (const { name, service } of cambio) {
      const unknown = Object.keys(rawEnvironment(service)).filter((key) => !SETTING_ENV.has(key));
      expect(unknown, `${name}: not settings`).to.deep.equal([]);
    }
  });

  it('gives every Cambio service a configuration that loads, for its role, on NATS', () => {
    for (const { name, role, service } of cambio) {
      const config = loadConfig(environmentOf(service), { role });
      const needs = roleNeeds(role);
      expect(config.role, name).to.equal(role);
      expect(config.host, name).to.equal('0.0.0.0');
      expect(config.bus, name).to.equal('nats');
      expect(config.natsUrl, name).to.equal('nats://nats:4222');
      if (needs.readStore) {
        expect(config.readStore, name).to.equal('mongodb');
        expect(config.mongodbUrl, name).to.equal('mongodb://mongo:27017');
      }
      if (needs.notifier) {
        expect(config.mail, name).to.equal('smtp');
        expect(config.smtpUrl, name).to.equal('smtp://mailpit:1025');
      }
    }
  });

  it('requires one CAMBIO_SECRET, the same for every Cambio service', () => {
    const secrets = new Set(cambio.map(({ service }) => rawEnvironment(service).CAMBIO_SECRET));
    expect(secrets.size).to.equal(1);
    const [secret = ''] = secrets;
    expect(secret).to.match(/^\$\{CAMBIO_SECRET:\?.+\}$/);
    expect(() => interpolate(secret, {})).to.throw(/CAMBIO_SECRET/);
    expect(() => interpolate(secret, { CAMBIO_SECRET: '' })).to.throw(/CAMBIO_SECRET/);
  });

  it('opens the event store on EventStoreDB wherever the role needs one', () => {
    for (const { name, role, service } of cambio) {
      if (!roleNeeds(role).eventStore) continue;
      const config = loadConfig(environmentOf(service), { role });
      expect(config.eventStore, name).to.equal('eventstoredb');
      expect(config.eventstoreUrl, name).to.equal('esdb://eventstore:2113?tls=false');
    }
  });

  it('shares no file between processes: no Cambio service mounts a volume', () => {
    for (const { name, service } of cambio) {
      expect(service.volumes ?? [], `${name} mounts`).to.deep.equal([]);
    }
    const mounted = Object.values(compose.services).flatMap((service) =>
      (service.volumes ?? []).map(parseVolume).map(({ source }) => source),
    );
    const named = mounted.filter((source) => !source.startsWith('.') && !source.startsWith('/'));
    expect(new Set(named).size, 'each named volume belongs to one service').to.equal(named.length);
  });

  it('starts Cambio services after the servers their role needs are healthy', () => {
    for (const { name, role, service } of cambio) {
      const needs = roleNeeds(role);
      const dependsOn = dependenciesOf(service);
      const wanted = [
        'nats',
        ...(needs.eventStore ? ['eventstore'] : []),
        ...(needs.readStore ? ['mongo'] : []),
        ...(needs.notifier ? ['mailpit'] : []),
      ];
      for (const dependency of wanted) {
        expect(dependsOn[dependency]?.condition, `${name} → ${dependency}`).to.equal(
          'service_healthy',
        );
      }
    }
  });

  it('waits for "healthy" only on services that have a healthcheck', () => {
    const cambioNames = new Set(cambio.map(({ name }) => name));
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(dependenciesOf(service))) {
        const target = compose.services[dependency];
        expect(target, `${name} depends on unknown service ${dependency}`).to.not.equal(undefined);
        if (condition !== 'service_healthy') continue;
        // Cambio services get their healthcheck from the Dockerfile's HEALTHCHECK.
        const checked = cambioNames.has(dependency) || target?.healthcheck?.test !== undefined;
        expect(checked, `${name} waits for ${dependency} to be healthy`).to.equal(true);
      }
    }
  });

  it('bind-mounts only files and folders that exist in the repository', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const { source } of (service.volumes ?? []).map(parseVolume)) {
        if (!source.startsWith('./')) continue;
        expect(existsSync(join(ROOT, source)), `${name} mounts ${source}`).to.equal(true);
      }
    }
  });

  it('declares every named volume it mounts', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const { source } of (service.volumes ?? []).map(parseVolume)) {
        if (source.startsWith('.') || source.startsWith('/')) continue;
        expect(compose.volumes, `${name} mounts ${source}`).to.have.property(source);
      }
    }
  });

  it('includes NATS with JetStream, MongoDB 7 and Mailpit on SMTP 1025 with its UI on 8025', () => {
    const { nats, mongo, mailpit } = compose.services;
    expect(nats?.image).to.match(/^nats:2\b/);
    expect(nats?.command).to.include('-js');
    expect(mongo?.image).to.equal('mongo:7');
    expect(mailpit?.image).to.match(/^axllent\/mailpit:/);
    expect(mailpit?.ports).to.deep.equal(['127.0.0.1:8025:8025']);
  });

  it('runs one insecure EventStoreDB node for local use, without its projections, health-checked', () => {
    const eventstore = compose.services.eventstore;
    expect(eventstore?.image).to.match(/^eventstore\/eventstore:\d/);
    const environment = environmentOf(eventstore!);
    expect(environment).to.include({
      EVENTSTORE_CLUSTER_SIZE: '1',
      EVENTSTORE_RUN_PROJECTIONS: 'None',
      EVENTSTORE_INSECURE: 'true',
    });
    expect(String(eventstore?.healthcheck?.test)).to.include('/health/live');
  });

  it('publishes the gateway, Grafana, Prometheus, Mailpit and the EventStoreDB UI on loopback only', () => {
    const published = Object.entries(compose.services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => `${name} ${port}`),
    );
    expect(published.sort()).to.deep.equal(
      [
        'eventstore 127.0.0.1:2113:2113',
        'gateway 127.0.0.1:3000:80',
        'grafana 127.0.0.1:3001:3000',
        'mailpit 127.0.0.1:8025:8025',
        'prometheus 127.0.0.1:9090:9090',
      ].sort(),
    );
  });
});
