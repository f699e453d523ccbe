import { expect } from 'chai';
import { OTLP_PROTOCOLS } from '../../infra/tracing/start-tracing.ts';
import { tracingRequested } from '../../infra/tracing/tracing-requested.ts';
import {
  cambioServices,
  environmentOf,
  loadCompose,
  parseVolume,
  readYaml,
  type ComposeFile,
} from './deployment-files.ts';

interface Datasource {
  uid: string;
  type: string;
  url: string;
  jsonData?: { derivedFields?: { datasourceUid: string; matcherRegex: string }[] };
}

describe('Tracing in the compose deployment', () => {
  let compose: ComposeFile;
  let tempo: {
    server: { http_listen_port: number };
    distributor: { receivers: { otlp: { protocols: { http: { endpoint: string } } } } };
  };
  before(() => {
    compose = loadCompose();
    tempo = readYaml('deploy/tempo/tempo.yml') as typeof tempo;
  });

  it('runs Tempo with the config file in the repository', () => {
    const mounts = (compose.services.tempo?.volumes ?? []).map(parseVolume);
    const config = mounts.find((mount) => mount.source === './deploy/tempo/tempo.yml');
    expect(config?.mode).to.equal('ro');
    expect(compose.services.tempo?.command).to.deep.equal([`-config.file=${config?.target}`]);
  });

  it("has every Cambio service export its traces to Tempo's OTLP/HTTP receiver, in a protocol Cambio speaks", () => {
    const receiverPort = tempo.distributor.receivers.otlp.protocols.http.endpoint.split(':').at(-1);
    for (const { name, service } of cambioServices(compose)) {
      const env = environmentOf(service);
      expect(tracingRequested(env), name).to.equal(true);
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT, name).to.equal(`http://tempo:${receiverPort}`);
      expect(OTLP_PROTOCOLS, name).to.include(env.OTEL_EXPORTER_OTLP_PROTOCOL);
    }
  });

  it('provisions Tempo in Grafana, and links log lines to their traces', () => {
    const { datasources } = readYaml('deploy/grafana/provisioning/datasources/datasources.yml') as {
      datasources: Datasource[];
    };
    const tempoSource = datasources.find((source) => source.type === 'tempo');
    expect(tempoSource?.url).to.equal(`http://tempo:${tempo.server.http_listen_port}`);
    const loki = datasources.find((source) => source.type === 'loki');
    const [derived] = loki?.jsonData?.derivedFields ?? [];
    expect(derived?.datasourceUid).to.equal(tempoSource?.uid);
    const line = JSON.stringify({
      msg: 'mail sent',
      trace_id: 'a'.repeat(32),
      span_id: 'b'.repeat(16),
    });
    expect(new RegExp(derived?.matcherRegex ?? '^$').exec(line)?.[1]).to.equal('a'.repeat(32));
    expect(Object.keys(compose.services.grafana?.depends_on ?? {})).to.include('tempo');
  });
});
