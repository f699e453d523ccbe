/**
 * Reads the deployment files the way Docker Compose would, for tests that check them without
 * a Docker engine: YAML with merge keys, `${VAR}` interpolation, and which services run Cambio.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ROLES, type Role } from '../../infra/config/settings.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const readText = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

export const readYaml = (path: string): unknown => parse(readText(path), { merge: true });

export interface Healthcheck {
  test?: string[] | string;
  disable?: boolean;
}

export interface DependsOn {
  condition?: 'service_started' | 'service_healthy' | 'service_completed_successfully';
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, DependsOn> | string[];
  deploy?: { replicas?: number };
  healthcheck?: Healthcheck;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export const loadCompose = (): ComposeFile => readYaml('docker-compose.yml') as ComposeFile;

/** Sample values for the variables a user puts in `.env`. */
export const SAMPLE_ENV: Record<string, string> = {
  CAMBIO_SECRET: 'a-test-secret-that-is-long-enough-for-cambio',
};

/**
 * Compose's interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}` and `$$`. Throws, like Compose, when a required variable is missing.
 */
export const interpolate = (value: string, env: Record<string, string | undefined>): string =>
  value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced?: string, operator?: string, argument?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const name = braced ?? bare ?? '';
      const current = env[name];
      const unset = current === undefined || (operator?.startsWith(':') === true && current === '');
      if (operator?.endsWith('-')) return unset ? (argument ?? '') : (current ?? '');
      if (operator?.endsWith('?')) {
        if (unset) throw new Error(`required variable ${name} is missing: ${argument ?? ''}`);
        return current ?? '';
      }
      return current ?? '';
    },
  );

/** A service's environment as raw strings, before interpolation. */
export const rawEnvironment = (service: ComposeService): Record<string, string> => {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const at = entry.indexOf('=');
        return at === -1 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [key, value === null ? '' : String(value)]),
  );
};

export const environmentOf = (
  service: ComposeService,
  env: Record<string, string | undefined> = SAMPLE_ENV,
): Record<string, string> =>
  Object.fromEntries(
    Object.entries(rawEnvironment(service)).map(([key, value]) => [key, interpolate(value, env)]),
  );

export const commandOf = (service: ComposeService): string[] =>
  typeof service.command === 'string'
    ? service.command.split(/\s+/).filter((part) => part !== '')
    : (service.command ?? []).map(String);

/** The role a service runs: its `--role` flag, else CAMBIO_ROLE; undefined if it is not Cambio. */
export const roleOf = (service: ComposeService): Role | undefined => {
  const command = commandOf(service);
  const flagAt = command.indexOf('--role');
  const role = flagAt === -1 ? rawEnvironment(service).CAMBIO_ROLE : command[flagAt + 1];
  return ROLES.find((known) => known === role);
};

/** Services built from this repository's Dockerfile, with the role each runs. */
export const cambioServices = (
  compose: ComposeFile,
): { name: string; role: Role; service: ComposeService }[] =>
  Object.entries(compose.services)
    .filter(([, service]) => service.build !== undefined)
    .map(([name, service]) => {
      const role = roleOf(service);
      if (role === undefined)
        throw new Error(`service ${name} is built from the Dockerfile but runs no role`);
      return { name, role, service };
    });

export const dependenciesOf = (service: ComposeService): Record<string, DependsOn> => {
  const dependsOn = service.depends_on ?? {};
  return Array.isArray(dependsOn)
    ? Object.fromEntries(dependsOn.map((name) => [name, { condition: 'service_started' }]))
    : dependsOn;
};

/** `source:target[:mode]` of a short-syntax volume entry. */
export const parseVolume = (entry: string): { source: string; target: string; mode?: string } => {
  const [source = '', target = '', mode] = entry.split(':');
  return mode === undefined ? { source, target } : { source, target, mode };
};
