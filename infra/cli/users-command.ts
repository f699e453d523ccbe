import { randomUUID } from 'node:crypto';
import { Argument, Command } from 'commander';
import { CommandHandler } from '../../commands/command-handler.ts';
import { grantRole } from '../../commands/user/grant-role.ts';
import { revokeRole } from '../../commands/user/revoke-role.ts';
import { BASE_ROLE, ROLES, type Role } from '../../domain/user/roles.ts';
import { createLogger } from '../logging/logger.ts';
import { openEventLog, openEventStore } from '../process/adapters.ts';
import { forgetPerson } from '../../commands/user/forget-person.ts';
import { DomainError } from '../../domain/errors.ts';
import { ERASED } from '../../domain/user/personal-data-erased.ts';
import type { Config } from '../config/settings.ts';
import { requireEventStore } from './operator-error.ts';

type RoleChange = typeof grantRole;

/** Runs a role change on the configured event store and prints the roles that result. */
const changeRole = async (
  change: RoleChange,
  config: Config,
  input: { mail: string; role: Role },
  done: string,
): Promise<void> => {
  requireEventStore(config);
  const logger = createLogger({ level: 'warn', role: 'cli' });
  const store = await openEventStore(config, logger);
  try {
    const id = randomUUID();
    const result = await change(new CommandHandler(store), input, {
      actor: 'operator',
      correlationId: id,
      causationId: id,
      now: new Date(),
    });
    console.log(`${input.mail} (${result.userId}) now has roles: ${result.roles.join(', ')}`);
    console.log(done);
  } finally {
    await store.close();
  }
};

const roleCommand = (name: string, description: string): Command =>
  new Command(name)
    .description(description)
    .argument('<mail>', 'the address the account registered with')
    .addArgument(new Argument('<role>', 'the role').choices(ROLES))
    .option(
      '--data-dir <dir>',
      'data directory of the embedded event store (env: CAMBIO_DATA_DIR; default: ./data)',
    );

/** `cambio users grant-role|revoke-role <mail> <role>` and `cambio users forget <mail>`. */
export const usersCommand = (configFrom: (command: Command) => Config): Command => {
  const users = new Command('users').description('Manage accounts');
  users.addCommand(
    roleCommand(
      'grant-role',
      `Grant a role (${ROLES.join(' | ')}) to the account registered with <mail>`,
    ).action(async (mail: string, role: Role, _options, command: Command) => {
      await changeRole(
        grantRole,
        configFrom(command),
        { mail, role },
        'New access tokens carry the role; log in again to get one.',
      );
    }),
  );
  users.addCommand(
    roleCommand(
      'revoke-role',
      `Revoke a role (${ROLES.filter((r) => r !== BASE_ROLE).join(' | ')}) from the account registered with <mail>`,
    ).action(async (mail: string, role: Role, _options, command: Command) => {
      await changeRole(
        revokeRole,
        configFrom(command),
        { mail, role },
        'Access tokens issued before keep it until they expire (ACCESS_TOKEN_TTL_SECONDS); new ones do not carry it.',
      );
    }),
  );
  users
    .command('forget')
    .description(
      "Erase a person's personal data (crypto-shredding): destroy their key, so their name and address read as erased everywhere; balances and the hash chain stay intact",
    )
    .argument('<mail>')
    .option('--data-dir <dir>', 'data directory of the embedded stores (env: CAMBIO_DATA_DIR)')
    .action(async (mail: string, _options, command: Command) => {
      const config = configFrom(command);
      requireEventStore(config);
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
