import { InvalidSettingValue, SETTINGS, type Config, type Setting } from './settings.ts';

/** A setting had a value outside what it allows; the message names the setting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly setting: Setting,
    readonly value: string,
    source: string,
    allowed = setting.allowed,
  ) {
    super(
      `invalid ${source}: ${JSON.stringify(value)} — ${setting.key} (${setting.env} / ${setting.flag}) must be ${allowed}`,
    );
  }
}

/** Settings that are each valid alone but not together. */
const checkCombination = (config: Config, sources: Record<string, string>): void => {
  if (config.role !== 'all' && config.bus === 'in-process') {
    const bus = SETTINGS.find((setting) => setting.key === 'bus');
    if (bus === undefined) throw new Error('the bus setting is missing');
    throw new ConfigError(
      bus,
      config.bus,
      sources.bus ?? 'default',
      `nats when the role is ${config.role}: separate processes only meet over NATS`,
    );
  }
  // Every process that reads or writes events must decrypt with the same keys; a SQLite key
  // file is one process's (or one host's) unless the event store is that host's file too.
  // Only the split roles are refused: they exist to run as several processes on one store.
  // Role `all` on a server store may be the only process (then its own key file is enough);
  // several `all` processes on one server store need a shared key store too (README).
  const opensEvents = config.role === 'write-api' || config.role === 'projector';
  if (opensEvents && config.keyStore === 'sqlite' && config.eventStore !== 'sqlite') {
    const keyStore = SETTINGS.find((setting) => setting.key === 'keyStore');
    if (keyStore === undefined) throw new Error('the key store setting is missing');
    throw new ConfigError(
      keyStore,
      config.keyStore,
      sources.keyStore ?? 'default',
      `mongodb or postgres when the role is ${config.role} on a shared event store (${config.eventStore}): every process must read personal data with the same keys`,
    );
  }
};

/**
 * Resolves every setting: a flag wins over the environment, which wins over the default.
 * `flags` maps setting keys to raw flag values. Throws ConfigError on the first bad value.
 */
export const loadConfig = (
  env: Record<string, string | undefined>,
  flags: Partial<Record<keyof Config, string>> = {},
): Config => {
  const raw: Record<string, string> = {};
  const sources: Record<string, string> = {};
  for (const setting of SETTINGS) {
    const fromFlag = flags[setting.key];
    const fromEnv = env[setting.env];
    if (fromFlag !== undefined) {
      raw[setting.key] = fromFlag;
      sources[setting.key] = `flag ${setting.flag}`;
    } else if (fromEnv !== undefined) {
      raw[setting.key] = fromEnv;
      sources[setting.key] = `environment variable ${setting.env}`;
    }
  }
  const config: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const value =
      raw[setting.key] ??
      (typeof setting.default === 'function' ? setting.default(raw) : setting.default);
    try {
      config[setting.key] = setting.parse(value);
    } catch (error) {
      if (!(error instanceof InvalidSettingValue)) throw error;
      throw new ConfigError(setting, value, sources[setting.key] ?? 'default');
    }
  }
  checkCombination(config as unknown as Config, sources);
  return config as unknown as Config;
};
