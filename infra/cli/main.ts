import { Command, Option } from 'commander';
import { SETTINGS } from '../config/settings.ts';
import { configFrom, EXIT_BAD_CONFIG } from './config-from-command.ts';
import { projectionsCommand } from './projections-command.ts';
import { usersCommand } from './users-command.ts';
import { mailCommand } from './mail-command.ts';
import { auditCommand } from './audit-command.ts';

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
program.addCommand(auditCommand(configFrom));

await program.parseAsync(process.argv);
