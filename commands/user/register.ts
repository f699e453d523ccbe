import { randomUUID } from 'node:crypto';
import type { CommandContext } from '../command-context.ts';
import type { CommandHandler } from '../command-handler.ts';
import { registrationAggregate } from '../aggregates.ts';
import { hashCode, issueCode } from './verification-codes.ts';
import { registrationStreamFor } from './registration-stream.ts';
import type { PasswordHashing } from '../session/session-deps.ts';
import { normalizePassword } from '../../domain/user/index.ts';

export interface RegisterDeps {
  handler: CommandHandler;
  /** Key that derives and hashes verification codes (shared with the mail reaction). */
  codeKey: Buffer;
  passwords: PasswordHashing;
  /** Default: the registration aggregate with the default policy. */
  registration?: typeof registrationAggregate;
}

export interface RegisterInput {
  name: string;
  lastName: string;
  mail: string;
  password: string;
  verification?: string;
}

export type RegisterResult =
  | { verificationSent: true; mail: string; expiresAt: string; position: bigint }
  | { registered: true; userId: string; mail: string; position: bigint };

/**
 * The seed's two-step registration. Without a code: issue one (the mail reaction sends it
 * from the event, so a crash after the append still delivers it). With a code: verify it and
 * complete the account on the address's stream, which doubles as its uniqueness reservation.
 */
export const register = async (
  deps: RegisterDeps,
  input: RegisterInput,
  context: CommandContext,
): Promise<RegisterResult> => {
  const { mail, streamId } = registrationStreamFor(input.mail);
  // Checked at the first step too, so a password that can never be accepted is told at once.
  const password = normalizePassword(input.password);
  const aggregate = deps.registration ?? registrationAggregate;
  const now = context.now.toISOString();
  if (input.verification === undefined) {
    const { nonce, codeHash } = issueCode(deps.codeKey, mail);
    // A registered address is answered the same (RegistrationAttempted, no enumeration): the
    // same work, the same answer; its owner gets a notice instead of the code.
    const outcome = await deps.handler.handle(
      aggregate,
      streamId,
      { type: 'RequestCode', mail, codeHash, codeNonce: nonce, now },
      context,
    );
    const issued = outcome.events.find(
      (event) => event.type === 'VerificationCodeIssued' || event.type === 'RegistrationAttempted',
    );
    return {
      verificationSent: true,
      mail,
      expiresAt: String(issued?.data.expiresAt ?? ''),
      position: outcome.position,
    };
  }
  const passwordHash = await deps.passwords.hash(password);
  const outcome = await deps.handler.handle(
    aggregate,
    streamId,
    {
      type: 'Verify',
      mail,
      codeHash: hashCode(deps.codeKey, mail, input.verification),
      now,
      userId: randomUUID(),
      name: input.name,
      lastName: input.lastName,
      passwordHash,
    },
    context,
  );
  const completed = outcome.state.registered;
  if (completed === null) throw new Error('registration completed without an account');
  return { registered: true, userId: completed.userId, mail, position: outcome.position };
};
