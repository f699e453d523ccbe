import type {
  UserRegistered,
  RequestCode,
  VerificationBlocked,
  VerificationCodeIssued,
  VerificationFailed,
  Verify,
} from '../../../domain/user/index.ts';

export const T0 = '2025-03-01T12:00:00.000Z';
export const MAIL = 'alice@example.com';

/** The instant `seconds` after T0, in the canonical form events carry. */
export const at = (seconds: number): string =>
  new Date(Date.parse(T0) + seconds * 1000).toISOString();

export const requestCode = (seconds: number, codeHash = 'hash-A', mail = MAIL): RequestCode => ({
  type: 'RequestCode',
  mail,
  codeHash,
  codeNonce: `nonce-${codeHash}`,
  now: at(seconds),
});

export const verify = (
  seconds: number,
  codeHash = 'hash-A',
  overrides: Partial<Verify> = {},
): Verify => ({
  type: 'Verify',
  mail: MAIL,
  codeHash,
  now: at(seconds),
  userId: 'user-1',
  name: 'Alice',
  lastName: 'Liddell',
  passwordHash: '$2b$10$passwordhash',
  ...overrides,
});

export const issued = (
  seconds: number,
  codeHash = 'hash-A',
  ttlSeconds = 600,
): VerificationCodeIssued => ({
  type: 'VerificationCodeIssued',
  data: {
    mail: MAIL,
    codeHash,
    codeNonce: `nonce-${codeHash}`,
    issuedAt: at(seconds),
    expiresAt: at(seconds + ttlSeconds),
  },
});

/** `seconds`: when it was sent (events decided now carry it; older ones do not). */
export const failed = (
  attempts: number,
  remaining: number,
  seconds?: number,
): VerificationFailed => ({
  type: 'VerificationFailed',
  data: { mail: MAIL, attempts, remaining, ...(seconds === undefined ? {} : { at: at(seconds) }) },
});

export const blocked = (untilSeconds: number): VerificationBlocked => ({
  type: 'VerificationBlocked',
  data: { mail: MAIL, until: at(untilSeconds) },
});

export const completed = (seconds: number): UserRegistered => ({
  type: 'UserRegistered',
  data: {
    mail: MAIL,
    userId: 'user-1',
    name: 'Alice',
    lastName: 'Liddell',
    passwordHash: '$2b$10$passwordhash',
    registeredAt: at(seconds),
  },
});
