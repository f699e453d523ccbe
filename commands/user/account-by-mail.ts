import type { CommandHandler } from '../command-handler.ts';
import { registrationAggregate } from '../aggregates.ts';
import { registrationStreamFor } from './registration-stream.ts';

/**
 * The id of the account registered with `mail`, or null. Read from the address's own
 * registration stream (its uniqueness reservation), never from a projection that may lag.
 */
export const accountByMail = async (
  handler: CommandHandler,
  mail: string,
): Promise<string | null> => {
  const { streamId } = registrationStreamFor(mail);
  const { state } = await handler.load(registrationAggregate, streamId);
  return state.registered?.userId ?? null;
};
