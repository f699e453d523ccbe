import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { SETTINGS, type Config } from '../config/settings.ts';
import { projectionsCommand } from './projections-command.ts';
import { usersCommand } from './users-command.ts';
import { mailCommand } from './mail-command.ts';

/** Exit code for a configuration the process refuses to start with. */
const EXIT_BAD_CONFIG = 2;

const addSettingOptions = (command: Command): Command => {
  for (const setting of SETTINGS) {
    const fallback = typeof setting.default === 'string' ? setting.default : 'derived';
    const shown = fallback === '' ? '' : ` (default: ${fallback})`;
    // No commander default: loadConfig applies (and validates) defaults and the environment.
    command.addOption(
      new Option(`${setting.flag} ${setting.arg}`, `${setting.description}${shown}`).env(
        setting.env,
      ),
    );
  }
  return command;
};

/** Only what was given on the command line; the environment and defaults are loadConfig's. */
const flagsOf = (command: Command): Partial<Record<keyof Config, string>> => {
  const flags: Partial<Record<keyof Config, string>> = {};
  const values = command.opts<Record<string, unknown>>();
  for (const setting of SETTINGS) {
    const name = command.options.find((o) => o.long === setting.flag)?.attributeName();
    if (name === undefined) continue;
    if (command.getOptionValueSource(name) !== 'cli') continue;
    const value = values[name];
    if (typeof value === 'string') flags[setting.key] = value;
  }
  return flags;
};

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

const program = new Command('cambio')
  .description('Cambio: an event-sourced crypto wallet backend')
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT_BAD_CONFIG));

addSettingOptions(
  program.command('start').description('Start Cambio (every role in one process by default)'),
).action(async (_options, command: Command) => {
  const config = configFrom(command);
  const { startProcess } = await import('../process/start-process.ts');
  await startProcess(config);
});

program.addCommand(projectionsCommand(configFrom));
program.addCommand(usersCommand(configFrom));
program.addCommand(mailCommand(configFrom));

await program.parseAsync(process.argv);
