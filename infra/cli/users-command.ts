import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { CommandHandler } from '../../commands/command-handler.ts';
import { grantRole } from '../../commands/user/grant-role.ts';
import { isRole, ROLES } from '../../domain/user/roles.ts';
import { createLogger } from '../logging/logger.ts';
import { openEventLog, openEventStore } from '../process/adapters.ts';
import { forgetPerson } from '../../commands/user/forget-person.ts';
import { DomainError } from '../../domain/errors.ts';
import { ERASED } from '../../domain/user/personal-data-erased.ts';
import type { Config } from '../config/settings.ts';

/** `cambio users grant-role <mail> <role>`: how operators make auditors and admins. */
export const usersCommand = (configFrom: (command: Command) => Config): Command => {
  const users = new Command('users').description('Manage accounts');
  users
    .command('grant-role')
    .description(`Grant a role (${ROLES.join(', ')}) to the account registered with <mail>`)
    .argument('<mail>')
    .argument('<role>')
    .option('--data-dir <dir>', 'data directory of the embedded event store (env: CAMBIO_DATA_DIR)')
    .action(async (mail: string, role: string, _options, command: Command) => {
      if (!isRole(role)) {
        console.error(`cambio: role must be one of ${ROLES.join(', ')}`);
        process.exit(2);
      }
      const config = configFrom(command);
      const logger = createLogger({ level: 'warn', role: 'cli' });
      const store = await openEventStore(config, logger);
      try {
        const id = randomUUID();
        const result = await grantRole(
          new CommandHandler(store),
          { mail, role },
          { actor: 'operator', correlationId: id, causationId: id, now: new Date() },
        );
        console.log(`${mail} (${result.userId}) now has roles: ${result.roles.join(', ')}`);
        console.log('New access tokens carry the role; log in again to get one.');
      } finally {
        await store.close();
      }
    });
  users
    .command('forget')
    .description(
      "Erase a person's personal data (crypto-shredding): destroy their key, so their name and address read as erased everywhere; balances and the hash chain stay intact",
    )
    .argument('<mail>')
    .option('--data-dir <dir>', 'data directory of the embedded stores (env: CAMBIO_DATA_DIR)')
    .action(async (mail: string, _options, command: Command) => {
      const config = configFrom(command);
      const logger = createLogger({ level: 'warn', role: 'cli' });
      const log = await openEventLog(config, logger);
      try {
        const id = randomUUID();
        const result = await forgetPerson(log, mail, {
          actor: 'operator',
          correlationId: id,
          causationId: id,
          now: new Date(),
        });
        console.log(
          result.erased
            ? `erased: ${result.keyIds.length} key(s) destroyed${result.userId ? ` for account ${result.userId}` : ''}; name and address now read as ${ERASED}`
            : 'already erased: no key was left to destroy',
        );
      } catch (error) {
        if (!(error instanceof DomainError) || error.kind !== 'not_found') throw error;
        console.error(`cambio: ${error.message}`);
        process.exitCode = 3;
      } finally {
        await log.events.close();
      }
    });
  return users;
};
