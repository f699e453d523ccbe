import { accept, reject } from '../decider.ts';
import type { Decider, Decision } from '../decider.ts';
import { constantTimeEqual } from './constant-time-equal.ts';
import { addSeconds, canonicalInstant, parseInstant, secondsUntil } from './instant.ts';
import { tryNormalizeMail } from './mail.ts';
import { ERASED, PERSONAL_DATA_ERASED } from './personal-data-erased.ts';
import {
  nameInvalid,
  resendTooSoon,
  verificationBlocked,
  verificationExpired,
  verificationFailed,
  verificationNotRequested,
} from './registration-errors.ts';
import type { RegistrationCommand, RequestCode, Verify } from './registration-commands.ts';
import type { RegistrationEvent, VerificationFailed } from './registration-events.ts';
import { GUESS_WINDOW_SECONDS, registrationPolicy } from './registration-policy.ts';
import type { RegistrationPolicy } from './registration-policy.ts';

/**
 * One registration stream per address: code issuance, wrong attempts, blocks and finally the
 * account. Completing it is also the address's uniqueness reservation.
 */
export type RegistrationState = {
  mail: string | null;
  /** The one code that can still be used; null when none was issued, or it was used or killed by a block. */
  code: { hash: string; issuedAt: string; expiresAt: string; attempts: number } | null;
  /** When the newest code was issued, for the resend cooldown (kept after the code dies). */
  lastIssuedAt: string | null;
  blockedUntil: string | null;
  /** Instants of wrong codes within the last day, across codes (the address's budget). */
  guesses: readonly string[];
  registered: {
    userId: string;
    name: string;
    lastName: string;
    passwordHash: string;
    registeredAt: string;
  } | null;
};

export const initialRegistrationState = (): RegistrationState => ({
  mail: null,
  code: null,
  lastIssuedAt: null,
  blockedUntil: null,
  guesses: [],
  registered: null,
});

export const evolveRegistration = (
  state: RegistrationState,
  event: RegistrationEvent,
): RegistrationState => {
  switch (event.type) {
    case 'VerificationCodeIssued': {
      const { mail, codeHash, issuedAt, expiresAt } = event.data;
      // A new code replaces the old one and starts a fresh attempt count.
      return {
        ...state,
        mail,
        code: { hash: codeHash, issuedAt, expiresAt, attempts: 0 },
        lastIssuedAt: issuedAt,
        blockedUntil: null,
      };
    }
    case 'VerificationFailed': {
      const { at } = event.data;
      // Bounded: the budget stops guesses long before this (its setting allows at most 1000).
      const guesses = at === undefined ? state.guesses : [...state.guesses, at].slice(-1000);
      return state.code
        ? { ...state, guesses, code: { ...state.code, attempts: event.data.attempts } }
        : { ...state, guesses };
    }
    case 'RegistrationAttempted': {
      const { codeHash, issuedAt, expiresAt } = event.data;
      return {
        ...state,
        code: { hash: codeHash, issuedAt, expiresAt, attempts: 0 },
        lastIssuedAt: issuedAt,
      };
    }
    case 'VerificationBlocked':
      return { ...state, code: null, blockedUntil: event.data.until };
    case 'UserRegistered': {
      const { mail, userId, name, lastName, passwordHash, registeredAt } = event.data;
      return {
        ...state,
        mail,
        code: null,
        registered: { userId, name, lastName, passwordHash, registeredAt },
      };
    }
    case PERSONAL_DATA_ERASED:
      // What decrypting the stream now gives; a cached state must not keep the plaintext.
      return {
        ...state,
        mail: state.mail === null ? null : ERASED,
        code: null,
        registered: state.registered && {
          ...state.registered,
          name: ERASED,
          lastName: ERASED,
          passwordHash: ERASED,
        },
      };
  }
};

/** Fields the handler computes must be present; their absence is a bug, not a user error. */
const requireInternal = (command: RegistrationCommand, fields: readonly string[]): void => {
  const record = command as unknown as Record<string, unknown>;
  for (const field of fields) {
    const value = record[field];
    if (typeof value !== 'string' || value.length === 0) {
      throw new TypeError(`${command.type} command: ${field} must be a non-empty string`);
    }
  }
  parseInstant(command.now);
};

/** The stream key is derived from the address; a different address on it means a caller bug. */
const assertSameAddress = (state: RegistrationState, mail: string): void => {
  // An erased address reads as ERASED: the stream is still the one of this address.
  if (state.mail !== null && state.mail !== mail && state.mail !== ERASED) {
    throw new Error('registration stream holds a different address than the command');
  }
};

const isBlocked = (
  state: RegistrationState,
  now: string,
): state is RegistrationState & {
  blockedUntil: string;
} => state.blockedUntil !== null && parseInstant(now) < parseInstant(state.blockedUntil);

// Control characters have no place in a name that ends up in mail headers and dashboards.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

const checkName = (
  field: 'name' | 'lastName',
  value: string,
  policy: RegistrationPolicy,
): { ok: true; value: string } | { ok: false; error: ReturnType<typeof nameInvalid> } => {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  if (trimmed.length === 0) return { ok: false, error: nameInvalid(field, 'is required') };
  if ([...trimmed].length > policy.maxNameLength) {
    return {
      ok: false,
      error: nameInvalid(field, `is longer than ${policy.maxNameLength} characters`),
    };
  }
  if (CONTROL_CHARACTERS.test(trimmed)) {
    return { ok: false, error: nameInvalid(field, 'contains control characters') };
  }
  return { ok: true, value: trimmed };
};

/**
 * Why this address takes neither a code nor a verification right now, if it does not. A
 * registered address is not refused here: it is answered like a new one (no enumeration).
 */
const closedReason = (state: RegistrationState, now: string) => {
  if (isBlocked(state, now)) {
    return verificationBlocked(state.blockedUntil, secondsUntil(now, state.blockedUntil));
  }
  return null;
};

const decideRequestCode = (
  command: RequestCode,
  state: RegistrationState,
  policy: RegistrationPolicy,
): Decision<RegistrationEvent> => {
  requireInternal(command, ['codeHash', 'codeNonce', 'now']);
  const parsed = tryNormalizeMail(command.mail);
  if (!parsed.ok) return reject(parsed.error);
  const { mail } = parsed;
  assertSameAddress(state, mail);
  const now = canonicalInstant(command.now);

  const closed = closedReason(state, now);
  if (closed) return reject(closed);
  if (state.lastIssuedAt !== null) {
    const nextAllowed = addSeconds(state.lastIssuedAt, policy.resendCooldownSeconds);
    if (parseInstant(now) < parseInstant(nextAllowed)) {
      return reject(resendTooSoon(secondsUntil(now, nextAllowed)));
    }
  }
  if (state.registered) {
    return accept({
      type: 'RegistrationAttempted',
      data: {
        mail,
        codeHash: command.codeHash,
        issuedAt: now,
        expiresAt: addSeconds(now, policy.codeTtlSeconds),
      },
    });
  }
  return accept({
    type: 'VerificationCodeIssued',
    data: {
      mail,
      codeHash: command.codeHash,
      codeNonce: command.codeNonce,
      issuedAt: now,
      expiresAt: addSeconds(now, policy.codeTtlSeconds),
    },
  });
};

const decideVerify = (
  command: Verify,
  state: RegistrationState,
  policy: RegistrationPolicy,
): Decision<RegistrationEvent> => {
  requireInternal(command, ['codeHash', 'now', 'userId', 'passwordHash']);
  // The request's own faults come first: they must not cost the user an attempt.
  const parsed = tryNormalizeMail(command.mail);
  if (!parsed.ok) return reject(parsed.error);
  const name = checkName('name', command.name, policy);
  if (!name.ok) return reject(name.error);
  const lastName = checkName('lastName', command.lastName, policy);
  if (!lastName.ok) return reject(lastName.error);
  const { mail } = parsed;
  assertSameAddress(state, mail);
  const now = canonicalInstant(command.now);

  const closed = closedReason(state, now);
  if (closed) return reject(closed);
  const { code } = state;
  if (code === null) return reject(verificationNotRequested());
  if (parseInstant(now) >= parseInstant(code.expiresAt)) {
    return reject(verificationExpired(code.expiresAt));
  }

  // On a registered address every code is wrong: the one it was "sent" was mailed to nobody.
  if (state.registered !== null || !constantTimeEqual(command.codeHash, code.hash)) {
    const attempts = code.attempts + 1;
    const dayStart = parseInstant(now) - GUESS_WINDOW_SECONDS * 1000;
    const guesses = state.guesses.filter((at) => parseInstant(at) > dayStart).length + 1;
    const remaining = Math.max(
      0,
      Math.min(policy.maxAttempts - attempts, policy.maxGuessesPerDay - guesses),
    );
    const failed: VerificationFailed = {
      type: 'VerificationFailed',
      data: { mail, attempts, remaining, at: now },
    };
    if (remaining > 0) return reject(verificationFailed(remaining), failed);
    // The daily budget locks for longer than one code's attempts do.
    const seconds =
      guesses >= policy.maxGuessesPerDay
        ? Math.max(policy.dailyLockSeconds, policy.blockSeconds)
        : policy.blockSeconds;
    const until = addSeconds(now, seconds);
    return reject<RegistrationEvent>(verificationBlocked(until, seconds), failed, {
      type: 'VerificationBlocked',
      data: { mail, until },
    });
  }

  return accept({
    type: 'UserRegistered',
    data: {
      mail,
      userId: command.userId,
      name: name.value,
      lastName: lastName.value,
      passwordHash: command.passwordHash,
      registeredAt: now,
    },
  });
};

export const decideRegistration = (
  command: RegistrationCommand,
  state: RegistrationState,
  policy: RegistrationPolicy = registrationPolicy(),
): Decision<RegistrationEvent> => {
  switch (command.type) {
    case 'RequestCode':
      return decideRequestCode(command, state, policy);
    case 'Verify':
      return decideVerify(command, state, policy);
  }
};

/** The registration decider; pass `policy` to change expiry, cooldown, attempt limit or block. */
export const registrationDecider = (
  policy: Partial<RegistrationPolicy> = {},
): Decider<RegistrationCommand, RegistrationState, RegistrationEvent> => {
  const resolved = registrationPolicy(policy);
  return {
    initialState: initialRegistrationState,
    decide: (command, state) => decideRegistration(command, state, resolved),
    evolve: evolveRegistration,
  };
};
