import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../../infra/config/load-config.ts';

describe('configuration', () => {
  it('uses the defaults for the embedded deployment', () => {
    const config = loadConfig({});
    expect(config).to.include({
      role: 'all',
      port: 3000,
      eventStore: 'sqlite',
      readStore: 'sqlite',
      bus: 'in-process',
      mail: 'file',
    });
    expect(config.mailOutboxDir).to.equal('./data/outbox');
  });

  it('lets a flag win over the environment, and the environment over the default', () => {
    expect(loadConfig({ PORT: '4000' }).port).to.equal(4000);
    expect(loadConfig({ PORT: '4000' }, { port: '5000' }).port).to.equal(5000);
    expect(loadConfig({ CAMBIO_DATA_DIR: '/srv/cambio' }).mailOutboxDir).to.equal(
      '/srv/cambio/outbox',
    );
  });

  it('refuses a single role on the in-process bus: separate processes meet over NATS', () => {
    expect(() => loadConfig({ CAMBIO_ROLE: 'write-api' })).to.throw(
      ConfigError,
      /CAMBIO_BUS.*nats/,
    );
    expect(loadConfig({ CAMBIO_ROLE: 'write-api', CAMBIO_BUS: 'nats' }).role).to.equal('write-api');
  });

  it('reads the PostgreSQL event store settings', () => {
    const config = loadConfig({
      CAMBIO_EVENT_STORE: 'postgres',
      POSTGRES_URL: 'postgresql://cambio:secret@db:5432/events',
      POSTGRES_POOL_SIZE: '4',
    });
    expect(config).to.include({
      eventStore: 'postgres',
      postgresUrl: 'postgresql://cambio:secret@db:5432/events',
      postgresPoolSize: 4,
    });
  });

  it('refuses a per-process key file for roles sharing a server event store', () => {
    const shared = {
      CAMBIO_ROLE: 'projector',
      CAMBIO_BUS: 'nats',
      CAMBIO_EVENT_STORE: 'eventstoredb',
    };
    expect(() => loadConfig(shared)).to.throw(ConfigError, /CAMBIO_KEY_STORE.*mongodb/);
    expect(loadConfig({ ...shared, CAMBIO_KEY_STORE: 'mongodb' }).keyStore).to.equal('mongodb');
    expect(loadConfig({ ...shared, CAMBIO_KEY_STORE: 'postgres' }).keyStore).to.equal('postgres');
    expect(() =>
      loadConfig({ ...shared, CAMBIO_ROLE: 'write-api', CAMBIO_KEY_STORE: 'sqlite' }),
    ).to.throw(ConfigError, /CAMBIO_KEY_STORE.*mongodb or postgres.*write-api/);
    // One process on a server store may keep its keys in its own file.
    expect(loadConfig({ CAMBIO_EVENT_STORE: 'eventstoredb' }).keyStore).to.equal('sqlite');
    // The read-api reads the read models only: it holds no key.
    expect(loadConfig({ ...shared, CAMBIO_ROLE: 'read-api' }).keyStore).to.equal('sqlite');
  });

  it('keeps the keys in the PostgreSQL database when the events are there', () => {
    expect(loadConfig({ CAMBIO_EVENT_STORE: 'postgres' }).keyStore).to.equal('postgres');
    const split = { CAMBIO_ROLE: 'projector', CAMBIO_BUS: 'nats', CAMBIO_EVENT_STORE: 'postgres' };
    expect(loadConfig(split).keyStore).to.equal('postgres');
    expect(loadConfig({ ...split, CAMBIO_KEY_STORE: 'mongodb' }).keyStore).to.equal('mongodb');
    expect(() => loadConfig({ ...split, CAMBIO_KEY_STORE: 'sqlite' })).to.throw(
      ConfigError,
      /CAMBIO_KEY_STORE/,
    );
    expect(loadConfig({}).keyStore).to.equal('sqlite');
  });

  for (const [env, value] of [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['CAMBIO_ROLE', 'everything'],
    ['NATS_URL', 'http://nats:4222'],
    ['CAMBIO_SECRET', 'short'],
    ['CORS_ORIGINS', 'not a url'],
    ['BODY_LIMIT', 'huge'],
    ['CAMBIO_EVENT_STORE', 'mysql'],
    ['EVENTSTORE_URL', 'http://eventstore:2113'],
    ['EVENTSTORE_URL', 'esdb://'],
    ['EVENTSTORE_URL', 'esdb://eventstore:2113 ?tls=false'],
    ['POSTGRES_URL', 'mysql://db/cambio'],
    ['POSTGRES_POOL_SIZE', '0'],
  ] as const) {
    it(`refuses ${env}=${value}, naming the setting and what is allowed`, () => {
      let error: unknown;
      try {
        loadConfig({ [env]: value });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message)
        .to.include(env)
        .and.include('must be');
    });
  }

  it('takes EventStoreDB and KurrentDB connection strings, single node or cluster', () => {
    for (const url of [
      'esdb://127.0.0.1:2113?tls=false',
      'esdb://admin:changeit@eventstore:2113?tls=true&tlsVerifyCert=false',
      'esdb+discover://cluster.example.com:2113',
      'esdb://node1:2113,node2:2113,node3:2113?tls=false',
      'kurrentdb://kurrentdb:2113?tls=false',
      'kurrentdb+discover://cluster.example.com:2113',
    ]) {
      const config = loadConfig({ CAMBIO_EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: url });
      expect(config.eventStore).to.equal('eventstoredb');
      expect(config.eventstoreUrl).to.equal(url);
    }
  });
});
