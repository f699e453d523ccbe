import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { SETTINGS, type Config } from '../config/settings.ts';

/** Exit code for a configuration the process refuses to start with. */
export const EXIT_BAD_CONFIG = 2;

/** Only what was given on the command line; the environment and defaults are loadConfig's. */
const flagsOf = (command: Command): Partial<Record<keyof Config, string>> => {
  const flags: Partial<Record<keyof Config, string>> = {};
  const values = command.opts<Record<string, unknown>>();
  for (const setting of SETTINGS) {
    const name = command.options.find((o) => o.long === setting.flag)?.attributeName();
    if (name === undefined || command.getOptionValueSource(name) !== 'cli') continue;
    const value = values[name];
    if (typeof value === 'string') flags[setting.key] = value;
  }
  return flags;
};

/** The validated config of a command's run; a bad setting is printed and exits 2. */
export const configFrom = (command: Command): Config => {
  try {
    return loadConfig(process.env, flagsOf(command));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`cambio: ${error.message}`);
      process.exit(EXIT_BAD_CONFIG);
    }
    throw error;
  }
};
