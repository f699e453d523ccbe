import { createRequire } from 'node:module';
import { Command, Option } from 'commander';
import { SETTINGS } from '../config/settings.ts';
import { configFrom, EXIT_BAD_CONFIG } from './config-from-command.ts';
import { projectionsCommand } from './projections-command.ts';
import { usersCommand } from './users-command.ts';
import { mailCommand } from './mail-command.ts';
import { auditCommand } from './audit-command.ts';

/** A command that ran and failed (exit 2 is for a configuration refused before running). */
const EXIT_FAILED = 1;

const addSettingOptions = (command: Command): Command => {
  for (const setting of SETTINGS) {
    const fallback = typeof setting.default === 'string' ? setting.default : 'derived';
    const shown = fallback === '' ? '' : ` (default: ${fallback})`;
    // No commander default: loadConfig applies (and validates) defaults and the environment.
    command.addOption(
      new Option(
        `${setting.flag} ${setting.arg}`,
        `${setting.description} Allowed: ${setting.allowed}.${shown}`,
      ).env(setting.env),
    );
  }
  return command;
};

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('cambio')
  .description('Cambio: an event-sourced crypto wallet backend')
  .version(version, '-V, --version', 'print the version of Cambio');

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
program.addCommand(auditCommand(configFrom));

/** A usage mistake in any subcommand (unknown choice, missing argument) exits 2, as at the top. */
const exitTwoOnUsageErrors = (command: Command): void => {
  command.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT_BAD_CONFIG));
  command.showHelpAfterError();
  for (const sub of command.commands) exitTwoOnUsageErrors(sub);
};
exitTwoOnUsageErrors(program);

/**
 * What an operator can get wrong (a name, a directory, an address no account has) and a store
 * that cannot be reached end in one line and exit 1; only `LOG_LEVEL=debug` shows a stack.
 */
try {
  await program.parseAsync(process.argv);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`cambio: ${message}`);
  if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) console.error(error.stack);
  process.exit(EXIT_FAILED);
}
