import { DomainError } from '../../domain/errors.ts';
import { registrationStatusOf } from '../../domain/user/index.ts';
import type { CommandHandler } from '../command-handler.ts';
import { registrationAggregate } from '../aggregates.ts';
import { registrationStreamFor } from './registration-stream.ts';

/** The account registered with `mail`, from its registration stream; 404 when there is none. */
export const registeredAccount = async (handler: CommandHandler, mail: string) => {
  const { streamId } = registrationStreamFor(mail);
  const registration = await handler.load(registrationAggregate, streamId);
  const status = registrationStatusOf(registration.state);
  const account = registration.state.registered;
  if (status.status !== 'registered' || account === null) {
    throw new DomainError('not_found', 'user_not_found', `No account is registered with ${mail}.`);
  }
  return { ...account, mail: status.mail };
};
