import type { UserRegisteredData } from './registration-events.ts';
import type { Role } from './roles.ts';

/** Opens the account stream; made from a UserRegistered (see registerUserFrom). */
export type RegisterUser = {
  type: 'RegisterUser';
  userId: string;
  mail: string;
  name: string;
  lastName: string;
  registeredAt: string;
  /** Roles beyond 'user' to start with, e.g. the first admin created from the command line. */
  extraRoles?: Role[];
};

export type GrantRole = {
  type: 'GrantRole';
  userId: string;
  role: Role;
  /** The acting admin's user id, or 'system'. */
  grantedBy: string;
  now: string;
};

export type RevokeRole = {
  type: 'RevokeRole';
  userId: string;
  role: Role;
  revokedBy: string;
  now: string;
};

export type UserCommand = RegisterUser | GrantRole | RevokeRole;

export const registerUserFrom = (
  completed: UserRegisteredData,
  extraRoles: Role[] = [],
): RegisterUser => ({
  type: 'RegisterUser',
  userId: completed.userId,
  mail: completed.mail,
  name: completed.name,
  lastName: completed.lastName,
  registeredAt: completed.registeredAt,
  ...(extraRoles.length > 0 ? { extraRoles } : {}),
});
