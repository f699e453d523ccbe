/**
 * The numbers behind registration and e-mail verification. Deciders take an optional
 * `Partial<RegistrationPolicy>` so tests and configuration can change any of them.
 */
export interface RegistrationPolicy {
  /** Digits in a mailed verification code. */
  codeDigits: number;
  /** A code is valid for this long after it was issued. */
  codeTtlSeconds: number;
  /** A new code cannot be requested sooner than this after the previous one. */
  resendCooldownSeconds: number;
  /** Wrong codes allowed per issued code; the last one blocks the address. */
  maxAttempts: number;
  /** How long an address stays blocked after too many wrong codes. */
  blockSeconds: number;
  /**
   * Wrong codes an address may send within 24 hours, across every code it was sent: a resend
   * starts a new code's count but not this one. The last one locks the address.
   */
  maxGuessesPerDay: number;
  /** How long an address that used up its daily guesses stays locked. */
  dailyLockSeconds: number;
  /** Longest accepted `name` / `lastName`, in characters after trimming. */
  maxNameLength: number;
}

export const VERIFICATION_CODE_DIGITS = 6;
export const CODE_TTL_SECONDS = 10 * 60;
export const RESEND_COOLDOWN_SECONDS = 60;
export const MAX_VERIFICATION_ATTEMPTS = 5;
export const BLOCK_SECONDS = 15 * 60;
export const MAX_NAME_LENGTH = 100;
export const MAX_GUESSES_PER_DAY = 10;
export const DAILY_LOCK_SECONDS = 6 * 60 * 60;
/** The window of `maxGuessesPerDay`. */
export const GUESS_WINDOW_SECONDS = 24 * 60 * 60;

export const DEFAULT_REGISTRATION_POLICY: Readonly<RegistrationPolicy> = Object.freeze({
  codeDigits: VERIFICATION_CODE_DIGITS,
  codeTtlSeconds: CODE_TTL_SECONDS,
  resendCooldownSeconds: RESEND_COOLDOWN_SECONDS,
  maxAttempts: MAX_VERIFICATION_ATTEMPTS,
  blockSeconds: BLOCK_SECONDS,
  maxNameLength: MAX_NAME_LENGTH,
  maxGuessesPerDay: MAX_GUESSES_PER_DAY,
  dailyLockSeconds: DAILY_LOCK_SECONDS,
});

/**
 * Fills the gaps from the defaults and refuses nonsense (a zero attempt limit would block on
 * the first request), so a bad configuration fails at start rather than at the first user.
 */
export const registrationPolicy = (
  overrides: Partial<RegistrationPolicy> = {},
): Readonly<RegistrationPolicy> => {
  const policy = { ...DEFAULT_REGISTRATION_POLICY };
  for (const key of Object.keys(DEFAULT_REGISTRATION_POLICY) as (keyof RegistrationPolicy)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    const minimum = key === 'resendCooldownSeconds' ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < minimum) {
      throw new RangeError(
        `registration policy: ${key} must be an integer >= ${minimum}, got ${String(value)}`,
      );
    }
    policy[key] = value;
  }
  return Object.freeze(policy);
};
