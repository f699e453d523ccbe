import type { DomainEvent } from '../decider.ts';
import type { Role } from './roles.ts';

// The account stream `user-<userId>`. It carries no password hash: the account's read models
// are built from it, and a secret has no business in them. Login reads the registration stream.

export type AccountOpenedData = {
  userId: string;
  mail: string;
  name: string;
  lastName: string;
  registeredAt: string;
};

export type RoleGrantedData = {
  userId: string;
  role: Role;
  /** User id of the granting admin, or 'system'. */
  grantedBy: string;
  grantedAt: string;
};

export type RoleRevokedData = {
  userId: string;
  role: Role;
  revokedBy: string;
  revokedAt: string;
};

export type AccountOpened = DomainEvent<'AccountOpened', AccountOpenedData>;
export type RoleGranted = DomainEvent<'RoleGranted', RoleGrantedData>;
export type RoleRevoked = DomainEvent<'RoleRevoked', RoleRevokedData>;

export type UserEvent = AccountOpened | RoleGranted | RoleRevoked;
export type UserEventType = UserEvent['type'];

export const USER_EVENT_TYPES: readonly UserEventType[] = Object.freeze([
  'AccountOpened',
  'RoleGranted',
  'RoleRevoked',
]);

export const isUserEvent = (event: DomainEvent): event is UserEvent =>
  (USER_EVENT_TYPES as readonly string[]).includes(event.type);
