import { randomUUID } from 'node:crypto';
import {
  PERSONAL_DATA_ERASED,
  USER_EVENT_SCHEMA_VERSION,
  type PersonalDataErasedData,
} from '../../domain/user/index.ts';
import { DomainError } from '../../domain/errors.ts';
import type { EventStore, JsonObject } from '../../ports/event-store.ts';
import type { PersonalDataKeys } from '../../ports/personal-data-keys.ts';
import type { CommandContext } from '../command-context.ts';
import { registrationStreamFor } from './registration-stream.ts';

export interface ForgetDeps {
  /** The decrypting event store, told at once which keys are gone. */
  events: EventStore & { forgetKeys(keyIds: readonly string[]): void };
  keys: PersonalDataKeys;
}

export type ForgetResult = Omit<PersonalDataErasedData, 'subject'> & {
  /** False when an earlier erasure had already destroyed every key. */
  erased: boolean;
};

/** Event types that complete a sign-up (the name before and after the rename). */
const SIGN_UP_TYPES = new Set(['UserRegistered', 'RegistrationCompleted']);

/**
 * Erases a person's data by destroying their key (crypto-shredding): every event field once
 * encrypted with it now reads as erased, on every store and in every copy of the log, while
 * the events themselves, balances and the hash chain stay intact. Then records the erasure on
 * the address's registration stream, for the read models (which rewrite the person's
 * documents) and as the audit trail. The key goes first: a crash in between leaves the data
 * erased, and running it again records it.
 */
export const forgetPerson = async (
  deps: ForgetDeps,
  mail: string,
  context: CommandContext,
): Promise<ForgetResult> => {
  const { streamId, key: subject } = registrationStreamFor(mail);
  const history = await deps.events.readStream(streamId);
  const signUp = history.find((event) => SIGN_UP_TYPES.has(event.type));
  const userId = typeof signUp?.data.userId === 'string' ? signUp.data.userId : null;
  const registeredAt =
    typeof signUp?.data.registeredAt === 'string' ? signUp.data.registeredAt : null;
  const keyIds = await deps.keys.destroy(subject);
  deps.events.forgetKeys(keyIds);
  const alreadyErased = history.some((event) => event.type === PERSONAL_DATA_ERASED);
  if (keyIds.length === 0 && (history.length === 0 || alreadyErased)) {
    if (history.length === 0) {
      throw new DomainError(
        'not_found',
        'person_not_found',
        'No personal data is held for this address.',
      );
    }
    return { userId, registeredAt, keyIds, erasedAt: context.now.toISOString(), erased: false };
  }
  const data: PersonalDataErasedData = {
    subject,
    userId,
    registeredAt,
    keyIds,
    erasedAt: context.now.toISOString(),
  };
  await deps.events.append(
    streamId,
    [
      {
        id: randomUUID(),
        type: PERSONAL_DATA_ERASED,
        data: data as unknown as JsonObject,
        metadata: {
          correlationId: context.correlationId,
          causationId: context.causationId,
          actor: context.actor,
          schemaVersion: USER_EVENT_SCHEMA_VERSION,
          timestamp: context.now.toISOString(),
        },
      },
    ],
    { expectedRevision: 'any' },
  );
  const { subject: _subject, ...result } = data;
  return { ...result, erased: true };
};
