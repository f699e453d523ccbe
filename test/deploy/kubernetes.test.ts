import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../infra/config/load-config.ts';
import { ROLES, SETTINGS, type Role } from '../../infra/config/settings.ts';
import { roleNeeds } from '../../infra/process/role-needs.ts';
import { ROOT, cambioServices, environmentOf, loadCompose, readText } from './deployment-files.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped YAML, read field by field */
type Manifest = Record<string, any>;

const K8S = 'deploy/k8s';
const OVERLAYS = ['local', 'production'];
const SETTING_ENV = new Set(SETTINGS.map((setting) => setting.env));
/**
 * Settings of the EventStoreDB adapter, developed beside this deployment: until its settings
 * exist here, manifests may carry them and they are left out of the configuration that loads.
 */
const EVENT_STORE_ENV = ['CAMBIO_EVENT_STORE', 'EVENTSTORE_URL'];
const pendingEventStore = !SETTING_ENV.has('EVENTSTORE_URL');

/** Group of an apiVersion as kubernetes-models names its schemas: `apps/v1` → Apps, `v1` → Core. */
const schemaName = ({ apiVersion, kind }: Manifest): string => {
  const [group, version] = String(apiVersion).includes('/')
    ? String(apiVersion).split('/')
    : ['core', String(apiVersion)];
  const groupName = (group ?? '').split('.')[0] ?? '';
  const cap = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
  return `IoK8sApi${cap(groupName)}${cap(version ?? '')}${String(kind)}`;
};

type Validate = ((data: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string; keyword: string; params: unknown }[] | null;
};

/**
 * Validates a manifest against the Kubernetes schema (kubernetes-models' compiled validators)
 * and, strictly, rejects fields the schema does not know: the validators read every property
 * they know, so a proxy records which keys of each object were read; an unread key (e.g. a
 * misspelt `readinesProbe`) is unknown to Kubernetes, which would silently drop it. Objects the
 * schema treats as maps (labels, data) are enumerated, which marks all their keys as read.
 */
const validateStrictly = async (manifest: Manifest): Promise<string[]> => {
  const name = schemaName(manifest);
  const module = (await import(`kubernetes-models/_schemas/${name}`)) as { validate: Validate };
  const read = new Map<object, Set<PropertyKey> | 'all'>();
  const wrap = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    const target = value;
    if (!read.has(target)) read.set(target, new Set());
    return new Proxy(target, {
      get(object, key, receiver) {
        const keys = read.get(object);
        if (keys !== 'all') keys?.add(key);
        return wrap(Reflect.get(object, key, receiver));
      },
      ownKeys(object) {
        read.set(object, 'all');
        return Reflect.ownKeys(object);
      },
    });
  };
  const problems: string[] = [];
  if (!module.validate(wrap(manifest))) {
    for (const error of module.validate.errors ?? []) {
      problems.push(
        `${error.instancePath || '/'} ${error.keyword} ${JSON.stringify(error.params)}`,
      );
    }
  }
  const unknown = (value: unknown, path: string): void => {
    if (typeof value !== 'object' || value === null) return;
    const keys = read.get(value);
    for (const [key, child] of Object.entries(value)) {
      const childPath = Array.isArray(value) ? `${path}/${key}` : `${path}/${key}`;
      if (!Array.isArray(value) && keys !== 'all' && !keys?.has(key)) {
        problems.push(`${childPath}: unknown field`);
      }
      unknown(child, childPath);
    }
  };
  unknown(manifest, '');
  return problems;
};

const parseManifests = (text: string): Manifest[] =>
  parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);

/** kustomize: KUSTOMIZE_BIN, on the PATH, or where `go install` puts it. */
const findKustomize = (): string | undefined =>
  [
    process.env.KUSTOMIZE_BIN,
    ...(process.env.PATH ?? '').split(':').map((dir) => join(dir, 'kustomize')),
    join(process.env.GOPATH ?? join(process.env.HOME ?? '', 'go'), 'bin', 'kustomize'),
  ].find((path) => path !== undefined && path !== '' && existsSync(path));

const byKind = (manifests: Manifest[], kind: string): Manifest[] =>
  manifests.filter((manifest) => manifest.kind === kind);

const roleOfDeployment = (deployment: Manifest): Role | undefined => {
  const args: string[] = deployment.spec.template.spec.containers[0].args ?? [];
  const role = args[args.indexOf('--role') + 1];
  return ROLES.find((known) => known === role);
};

const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

// --- the gateway's routing, as nginx decides it --------------------------------------------

interface NginxLocation {
  modifier: '=' | '^~' | '~' | '~*' | '';
  path: string;
  body: string;
}

const nginxLocations = (conf: string): NginxLocation[] =>
  [...conf.matchAll(/^\s*location\s+(?:(=|\^~|~\*|~)\s+)?(\S+)\s*\{([^}]*)\}/gm)]
    .filter(([, , path]) => !(path ?? '').startsWith('@'))
    .map(([, modifier = '', path = '', body = '']) => ({
      modifier: modifier as NginxLocation['modifier'],
      path,
      body,
    }));

/** nginx's choice: exact, else the longest prefix if ^~, else the first matching regex, else it. */
const nginxLocationFor = (locations: NginxLocation[], uri: string): NginxLocation | undefined => {
  const exact = locations.find(({ modifier, path }) => modifier === '=' && path === uri);
  if (exact) return exact;
  const prefixes = locations
    .filter(({ modifier, path }) => (modifier === '' || modifier === '^~') && uri.startsWith(path))
    .sort((a, b) => b.path.length - a.path.length);
  if (prefixes[0]?.modifier === '^~') return prefixes[0];
  // `~*` is nginx's case-insensitive regex.
  const regex = locations.find(
    ({ modifier, path }) =>
      (modifier === '~' || modifier === '~*') &&
      new RegExp(path, modifier === '~*' ? 'i' : '').test(uri),
  );
  return regex ?? prefixes[0];
};

/** `proxy_pass $read_api;` with `set $read_api http://read-api:3000;` → read-api. */
const nginxBackend = (conf: string, location: NginxLocation): string | undefined => {
  const variable = /proxy_pass\s+\$(\w+);/.exec(location.body)?.[1];
  if (variable === undefined) return undefined;
  return new RegExp(`set\\s+\\$${variable}\\s+https?://([^:/;]+)`).exec(conf)?.[1];
};

// --- the Ingress routing, as Kubernetes defines Exact and Prefix ---------------------------

interface IngressRoute {
  ingress: Manifest;
  path: string;
  pathType: 'Exact' | 'Prefix';
  service: string;
}

const ingressRoutes = (ingresses: Manifest[]): IngressRoute[] =>
  ingresses.flatMap((ingress) =>
    (ingress.spec.rules as Manifest[]).flatMap((rule) =>
      (rule.http.paths as Manifest[]).map((path) => ({
        ingress,
        path: path.path as string,
        pathType: path.pathType as 'Exact' | 'Prefix',
        service: path.backend.service.name as string,
      })),
    ),
  );

const prefixMatches = (prefix: string, uri: string): boolean => {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' || uri === trimmed || uri.startsWith(`${trimmed}/`);
};

const ingressRouteFor = (routes: IngressRoute[], uri: string): IngressRoute | undefined =>
  routes.find(({ pathType, path }) => pathType === 'Exact' && path === uri) ??
  routes
    .filter(({ pathType, path }) => pathType === 'Prefix' && prefixMatches(path, uri))
    .sort((a, b) => b.path.length - a.path.length)[0];

/** Concrete paths of a location regex like `^/api/user/(register|login|refresh)$`. */
const expandRegex = (regex: string): string[] => {
  // A path segment (`[^/]+`) becomes a sample one.
  const body = regex.replace(/^\^/, '').replace(/\$$/, '').replaceAll('[^/]+', 'x');
  const group = /\(([^()]*)\)(\?)?/.exec(body);
  if (!group) return [body];
  const [whole, alternatives = '', optional] = group;
  const options = alternatives.split('|').concat(optional ? [''] : []);
  return options.flatMap((option) => expandRegex(body.replace(whole, option)));
};

/** Every route a client uses, plus what the gateway names. */
const SAMPLE_PATHS = [
  '/api/user/register',
  '/api/user/login',
  '/api/user/refresh',
  '/api/user/logout',
  '/api/user/me',
  '/api/user/wallet/balance',
  '/api/user/wallet/history',
  '/api/user/wallet/deposit',
  '/api/user/wallet/withdraw',
  '/api/user/wallet/buy',
  '/api/user/wallet/sell',
  '/api/exchange-rates',
  '/api/audit/events',
  '/api/audit/wallets/some-user',
  '/api/admin/projections',
  '/ws',
  '/ws/exchange-rates',
  '/docs',
  '/openapi.json',
];

// --------------------------------------------------------------------------------------------

const checkRendered = (overlay: string, render: () => Manifest[]) => {
  describe(`overlay ${overlay}`, () => {
    let manifests: Manifest[];
    let deployments: Manifest[];
    let config: Record<string, string>;
    before(() => {
      manifests = render();
      deployments = byKind(manifests, 'Deployment');
      config = byKind(manifests, 'ConfigMap')[0]?.data ?? {};
    });

    it('is valid against the Kubernetes schemas, with no unknown field', async () => {
      expect(manifests.length).to.be.above(15);
      for (const manifest of manifests) {
        const problems = await validateStrictly(manifest);
        expect(problems, `${manifest.kind} ${manifest.metadata?.name}`).to.deep.equal([]);
      }
    });

    it('runs every role except "all" in its own Deployment, as docker-compose.yml does', () => {
      const roles = deployments.map(roleOfDeployment).sort();
      expect(roles).to.deep.equal(ROLES.filter((role) => role !== 'all').sort());
      expect(roles).to.deep.equal(
        cambioServices(loadCompose())
          .map(({ role }) => role)
          .sort(),
      );
    });

    it('configures every role with settings that load, on NATS, EventStoreDB and MongoDB', () => {
      const secretKeys = byKind(manifests, 'Secret').flatMap((secret) =>
        Object.keys({ ...secret.data, ...secret.stringData }),
      );
      const keys = [...Object.keys(config), ...secretKeys];
      const unknown = keys.filter(
        (key) => !SETTING_ENV.has(key) && !(pendingEventStore && EVENT_STORE_ENV.includes(key)),
      );
      expect(unknown, 'not settings').to.deep.equal([]);
      expect(config.CAMBIO_EVENT_STORE).to.equal('eventstoredb');
      expect(config.EVENTSTORE_URL).to.match(/^esdb(\+discover)?:\/\/eventstoredb:2113\b/);
      const env: Record<string, string> = {
        CAMBIO_SECRET: 'a-test-secret-that-is-long-enough-for-cambio',
        SMTP_URL: 'smtp://smtp:1025',
        ...Object.fromEntries(
          Object.entries(config).filter(
            ([key]) => !(pendingEventStore && EVENT_STORE_ENV.includes(key)),
          ),
        ),
      };
      for (const deployment of deployments) {
        const role = roleOfDeployment(deployment) ?? 'all';
        const loaded = loadConfig(env, { role });
        expect(loaded.bus, role).to.equal('nats');
        expect(loaded.host, role).to.equal('0.0.0.0');
        if (roleNeeds(role).readStore) expect(loaded.readStore, role).to.equal('mongodb');
        if (roleNeeds(role).notifier) expect(loaded.mail, role).to.equal('smtp');
        expect(new URL(loaded.natsUrl).hostname).to.equal('nats');
        expect(new URL(loaded.mongodbUrl).hostname).to.equal('mongodb');
      }
      if (pendingEventStore) {
        console.log(
          `      (${overlay}: ${EVENT_STORE_ENV.join(', ')} are not settings on this branch yet; checked by name only)`,
        );
      }
    });

    it('gets its settings from the ConfigMap and Secret it renders (production: the Secret operators create)', () => {
      const rendered = new Set(
        manifests
          .filter(({ kind }) => kind === 'ConfigMap' || kind === 'Secret')
          .map(({ kind, metadata }) => `${kind} ${metadata.name}`),
      );
      const missing = new Set<string>();
      for (const deployment of deployments) {
        for (const source of deployment.spec.template.spec.containers[0].envFrom) {
          const ref = source.configMapRef
            ? `ConfigMap ${source.configMapRef.name}`
            : `Secret ${source.secretRef.name}`;
          if (!rendered.has(ref)) missing.add(ref);
        }
      }
      expect([...missing]).to.deep.equal(overlay === 'production' ? ['Secret cambio-secrets'] : []);
    });

    it('agrees with docker-compose.yml on what every Cambio service shares', () => {
      const compose = cambioServices(loadCompose());
      for (const key of ['HOST', 'PORT', 'CAMBIO_BUS', 'SHUTDOWN_TIMEOUT_MS']) {
        const values = new Set(compose.map(({ service }) => environmentOf(service)[key]));
        expect([...values], key).to.deep.equal([config[key]]);
      }
      // Both put a proxy in front that limits sign-in, so Cambio's own limit is off.
      const writeApi = compose.find(({ role }) => role === 'write-api');
      expect(config.AUTH_RATE_LIMIT_PER_MINUTE).to.equal(
        environmentOf(writeApi?.service ?? {}).AUTH_RATE_LIMIT_PER_MINUTE,
      );
    });

    it('probes /health (startup, liveness) and /ready (readiness) on the configured port, as a non-root user', () => {
      for (const deployment of deployments) {
        const pod = deployment.spec.template.spec;
        const [container] = pod.containers;
        const name = deployment.metadata.name;
        expect(container.ports, name).to.deep.equal([
          { name: 'http', containerPort: Number(config.PORT) },
          { name: 'metrics', containerPort: Number(config.METRICS_PORT) },
        ]);
        expect(container.startupProbe.httpGet, name).to.deep.equal({
          path: '/health',
          port: 'http',
        });
        expect(container.livenessProbe.httpGet, name).to.deep.equal({
          path: '/health',
          port: 'http',
        });
        expect(container.readinessProbe.httpGet, name).to.deep.equal({
          path: '/ready',
          port: 'http',
        });
        expect(container.resources.requests, name).to.have.keys('cpu', 'memory');
        expect(container.resources.limits, name).to.have.property('memory');
        // The image's user `node` (uid 1000), with a read-only root and writable /data and /tmp.
        expect(pod.securityContext.runAsNonRoot, name).to.equal(true);
        expect(pod.securityContext.runAsUser, name).to.equal(1000);
        expect(container.securityContext.readOnlyRootFilesystem, name).to.equal(true);
        expect(
          container.volumeMounts.map((mount: Manifest) => mount.mountPath).sort(),
          name,
        ).to.deep.equal(['/data', '/tmp']);
        // SIGTERM leaves SHUTDOWN_TIMEOUT_MS for requests in flight, after the preStop pause.
        expect(pod.terminationGracePeriodSeconds * 1000, name).to.be.above(
          Number(config.SHUTDOWN_TIMEOUT_MS) + 5000,
        );
        expect(container.args, name).to.deep.equal([
          'start',
          '--role',
          roleOfDeployment(deployment),
        ]);
      }
    });

    it('scales the APIs with HPAs, keeps pods through disruptions and runs the projector under its lease', () => {
      const hpas = byKind(manifests, 'HorizontalPodAutoscaler');
      const scaled = hpas.map((hpa) => hpa.spec.scaleTargetRef.name).sort();
      expect(scaled).to.deep.equal(['read-api', 'write-api']);
      for (const hpa of hpas) {
        expect(hpa.spec.minReplicas).to.be.at.least(1);
        expect(hpa.spec.maxReplicas).to.be.above(hpa.spec.minReplicas);
        const target = deployments.find(
          ({ metadata }) => metadata.name === hpa.spec.scaleTargetRef.name,
        );
        expect(target?.spec.replicas, 'the HPA owns the replica count').to.equal(undefined);
      }
      for (const deployment of deployments) {
        const labels = deployment.spec.template.metadata.labels;
        expect(selects(deployment.spec.selector.matchLabels, labels)).to.equal(true);
        const budgets = byKind(manifests, 'PodDisruptionBudget').filter((pdb) =>
          selects(pdb.spec.selector.matchLabels, labels),
        );
        expect(budgets, `PDB of ${deployment.metadata.name}`).to.have.length(1);
      }
      const projector = deployments.find(
        (deployment) => roleOfDeployment(deployment) === 'projector',
      );
      // A standby waits for the lease; it exists only on the NATS bus.
      expect(projector?.spec.replicas).to.equal(2);
      expect(config.CAMBIO_BUS).to.equal('nats');
      expect(Number(config.PROJECTOR_LEASE_TTL_MS)).to.be.at.least(1000);
    });

    it("gives every role a Service on its pods' named port, and names the external servers", () => {
      const services = byKind(manifests, 'Service');
      for (const deployment of deployments) {
        const service = services.find(
          (candidate) =>
            candidate.spec.selector &&
            selects(candidate.spec.selector, deployment.spec.template.metadata.labels),
        );
        expect(service?.metadata.name).to.equal(deployment.metadata.name);
        expect(service?.spec.ports[0].targetPort).to.equal('http');
      }
      const external = Object.fromEntries(
        services
          .filter((service) => service.spec.type === 'ExternalName')
          .map((service) => [service.metadata.name, service.spec.ports[0].port]),
      );
      expect(external).to.have.keys('eventstoredb', 'mongodb', 'nats', 'smtp');
      expect(external.nats).to.equal(Number(new URL(config.NATS_URL ?? '').port));
      expect(external.mongodb).to.equal(Number(new URL(config.MONGODB_URL ?? '').port));
    });

    it('routes every path to the service the gateway does, limits sign-in as it does and keeps sockets open as long', () => {
      const conf = readText('deploy/nginx/gateway.conf');
      const locations = nginxLocations(conf);
      const routes = ingressRoutes(byKind(manifests, 'Ingress'));
      const paths = new Set(SAMPLE_PATHS);
      for (const location of locations) {
        for (const path of location.modifier === '~' || location.modifier === '~*'
          ? expandRegex(location.path)
          : [location.path]) {
          if (path.startsWith('/gateway/')) continue;
          paths.add(path.endsWith('/') ? `${path}x` : path);
        }
      }
      const rate = /limit_req_zone[^;]*rate=(\d+)r\/m/.exec(conf)?.[1];
      for (const path of paths) {
        const location = nginxLocationFor(locations, path);
        const route = ingressRouteFor(routes, path);
        if (location && path === '/metrics' && nginxBackend(conf, location) === undefined) {
          // The gateway refuses it itself; behind the Ingress the API port does not serve it.
          expect(config.METRICS_PORT, path).to.match(/^\d+$/);
          continue;
        }
        expect(route?.service, path).to.equal(location && nginxBackend(conf, location));
        const annotations: Record<string, string> = route?.ingress.metadata.annotations ?? {};
        const burst = /limit_req\s+zone=\S+\s+burst=(\d+)/.exec(location?.body ?? '')?.[1];
        if (burst === undefined) {
          expect(annotations, path).to.not.have.property('nginx.ingress.kubernetes.io/limit-rpm');
        } else {
          expect(annotations['nginx.ingress.kubernetes.io/limit-rpm'], path).to.equal(rate);
          expect(
            Number(rate) *
              Number(annotations['nginx.ingress.kubernetes.io/limit-burst-multiplier']),
            path,
          ).to.equal(Number(burst));
        }
        const readTimeout = /proxy_read_timeout\s+(\d+)h;/.exec(location?.body ?? '')?.[1];
        if (readTimeout !== undefined) {
          expect(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'], path).to.equal(
            String(Number(readTimeout) * 3600),
          );
        }
      }
    });
  });
};

describe('Kubernetes manifests (deploy/k8s)', function () {
  this.timeout(60_000);

  describe('the base, file by file', () => {
    const files = readdirSync(join(ROOT, K8S, 'base')).filter(
      (file) => file.endsWith('.yaml') && file !== 'kustomization.yaml',
    );

    it('lists every manifest file in its kustomization', () => {
      const { resources } = parseManifests(readText(`${K8S}/base/kustomization.yaml`))[0] ?? {};
      expect([...(resources as string[])].sort()).to.deep.equal(files.sort());
    });

    it('is valid against the Kubernetes schemas, with no unknown field', async () => {
      for (const file of files) {
        for (const manifest of parseManifests(readText(`${K8S}/base/${file}`))) {
          const problems = await validateStrictly(manifest);
          expect(problems, `${file}: ${manifest.kind} ${manifest.metadata?.name}`).to.deep.equal(
            [],
          );
        }
      }
    });

    it('catches a misspelt field and a wrong type (the check can fail)', async () => {
      const [deployment] = parseManifests(readText(`${K8S}/base/write-api.yaml`));
      const container = deployment?.spec.template.spec.containers[0];
      container.readinesProbe = container.readinessProbe;
      deployment!.spec.revisionHistoryLimit = 'five';
      const problems = await validateStrictly(deployment ?? {});
      expect(problems.join('\n')).to.include(
        '/spec/template/spec/containers/0/readinesProbe: unknown field',
      );
      expect(problems.join('\n')).to.include('/spec/revisionHistoryLimit type');
    });
  });

  const kustomize = findKustomize();
  const run = promisify(execFile);
  const rendered = new Map<string, Manifest[]>();
  before(async function () {
    if (kustomize === undefined) return;
    for (const overlay of OVERLAYS) {
      const { stdout } = await run(kustomize, ['build', join(ROOT, K8S, 'overlays', overlay)], {
        maxBuffer: 16 * 1024 * 1024,
      });
      rendered.set(overlay, parseManifests(stdout));
    }
  });

  describe('as kustomize renders each overlay', function () {
    before(function () {
      if (kustomize === undefined) {
        console.log(
          '    kustomize not found (KUSTOMIZE_BIN, PATH, $GOPATH/bin): skipping the overlays; bash scripts/ci-services.sh installs it',
        );
        this.skip();
      }
    });
    for (const overlay of OVERLAYS) checkRendered(overlay, () => rendered.get(overlay) ?? []);
  });
});
