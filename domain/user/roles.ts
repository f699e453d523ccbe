/** What an account may do: every account is a 'user'; auditors replay streams; admins manage. */
export const ROLES = Object.freeze(['user', 'auditor', 'admin'] as const);
export type Role = (typeof ROLES)[number];

/** The role every account holds from registration on and can never lose. */
export const BASE_ROLE: Role = 'user';

export const isRole = (value: unknown): value is Role =>
  typeof value === 'string' && (ROLES as readonly string[]).includes(value);
