// The user domain's public surface: registration with e-mail verification, and accounts.
export * from './constant-time-equal.ts';
export * from './instant.ts';
export * from './mail.ts';
export * from './personal-data-erased.ts';
export * from './registration.ts';
export * from './registration-commands.ts';
export * from './registration-errors.ts';
export * from './registration-events.ts';
export * from './registration-policy.ts';
export * from './registration-status.ts';
export * from './roles.ts';
export * from './upcast.ts';
export * from './user.ts';
export * from './user-commands.ts';
export * from './user-events.ts';
export * from './password.ts';
