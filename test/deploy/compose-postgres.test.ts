import { expect } from 'chai';
import { loadConfig } from '../../infra/config/load-config.ts';
import { SETTINGS } from '../../infra/config/settings.ts';
import { roleNeeds } from '../../infra/process/role-needs.ts';
import {
  cambioServices,
  dependenciesOf,
  environmentOf,
  loadCompose,
  rawEnvironment,
  readYaml,
  type ComposeFile,
  type ComposeService,
} from './deployment-files.ts';

const OVERRIDE = 'docker-compose.postgres.yml';

/** `docker compose -f a -f b`: maps (environment, depends_on) merge, other keys are replaced. */
const mergeCompose = (base: ComposeFile, override: ComposeFile): ComposeFile => {
  const services: Record<string, ComposeService> = { ...base.services };
  for (const [name, extra] of Object.entries(override.services)) {
    const current = services[name] ?? {};
    services[name] = {
      ...current,
      ...extra,
      environment: { ...rawEnvironment(current), ...rawEnvironment(extra) },
      depends_on: { ...dependenciesOf(current), ...dependenciesOf(extra) },
    };
  }
  return { ...base, services, volumes: { ...base.volumes, ...override.volumes } };
};

describe(OVERRIDE, () => {
  let override: ComposeFile;
  let merged: ComposeFile;

  before(() => {
    override = readYaml(OVERRIDE) as ComposeFile;
    merged = mergeCompose(loadCompose(), override);
  });

  it('adds PostgreSQL from the official image, with a healthcheck and a declared volume', () => {
    const postgres = override.services.postgres!;
    expect(postgres.image).to.match(/^postgres:\d+/);
    expect(JSON.stringify(postgres.healthcheck?.test)).to.include('pg_isready');
    for (const volume of postgres.volumes ?? []) {
      expect(override.volumes).to.have.property(volume.split(':')[0]!);
    }
  });

  it('changes only Cambio services that open the event store, with Cambio settings only', () => {
    const settings = new Set(SETTINGS.map(({ env }) => env));
    const touched = Object.keys(override.services).filter((name) => name !== 'postgres');
    const eventStoreServices = cambioServices(merged)
      .filter(({ role }) => roleNeeds(role).eventStore)
      .map(({ name }) => name);
    expect(touched.sort()).to.deep.equal(eventStoreServices.sort());
    for (const name of touched) {
      const keys = Object.keys(rawEnvironment(override.services[name]!));
      expect(
        keys.filter((key) => !settings.has(key)),
        name,
      ).to.deep.equal([]);
    }
  });

  it('puts write-api and projector on the postgres service’s database, after it is healthy', () => {
    const database = environmentOf(override.services.postgres!, {});
    for (const { name, role, service } of cambioServices(merged)) {
      if (!roleNeeds(role).eventStore) continue;
      const config = loadConfig(environmentOf(service), { role });
      expect(config.eventStore, name).to.equal('postgres');
      const url = new URL(config.postgresUrl);
      expect(url.hostname, name).to.equal('postgres');
      expect(decodeURIComponent(url.username), name).to.equal(database.POSTGRES_USER);
      expect(decodeURIComponent(url.password), name).to.equal(database.POSTGRES_PASSWORD);
      expect(url.pathname, name).to.equal(`/${database.POSTGRES_DB}`);
      expect(dependenciesOf(service).postgres?.condition, name).to.equal('service_healthy');
    }
  });
});
