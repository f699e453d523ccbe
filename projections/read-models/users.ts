import type { RecordedEvent } from '../../ports/event-store.ts';
import type { DocumentWrite } from '../../ports/read-store.ts';
import { BASE_ROLE, type Role } from '../../domain/user/roles.ts';
import {
  ERASED,
  PERSONAL_DATA_ERASED,
  type PersonalDataErasedData,
} from '../../domain/user/personal-data-erased.ts';
import type { ReadModel } from '../read-model.ts';
import { decodeUserEvent } from './decode-events.ts';

export const USERS = 'users';
/**
 * Roles live in documents of their own (one per user and role) rather than in a list on the
 * user's document: a grant or revoke then maps to a write by itself, without reading the
 * stored list, and re-delivery stays a no-op. Queries put the list back together.
 */
export const USER_ROLES = 'user_roles';

export type UserDocument = {
  userId: string;
  /** Normalized (trimmed, lower-case), as the registration recorded it. */
  mail: string;
  name: string;
  lastName: string;
  registeredAt: string;
};

export type UserRoleDocument = {
  userId: string;
  role: Role;
  granted: boolean;
};

export const userRoleId = (userId: string, role: string): string => `${userId}:${role}`;

const roleWrite = (userId: string, role: Role, granted: boolean, position: bigint) => {
  const doc: UserRoleDocument = { userId, role, granted };
  return { collection: USER_ROLES, id: userRoleId(userId, role), doc, position };
};

/** An erased person's profile: the account stays, with nothing left that names them. */
const erasedProfile = (event: RecordedEvent): DocumentWrite[] => {
  const { userId, registeredAt } = event.data as Partial<PersonalDataErasedData>;
  if (typeof userId !== 'string') return [];
  const doc: UserDocument = {
    userId,
    mail: ERASED,
    name: ERASED,
    lastName: ERASED,
    registeredAt: registeredAt ?? ERASED,
  };
  return [{ collection: USERS, id: userId, doc, position: event.position }];
};

const project = (event: RecordedEvent): DocumentWrite[] => {
  if (event.type === PERSONAL_DATA_ERASED) return erasedProfile(event);
  const decoded = decodeUserEvent(event);
  if (!decoded) return [];
  const { position } = event;
  switch (decoded.type) {
    // The sign-up (registration stream) comes before the account stream is opened; the user
    // is visible from the sign-up on, so a client reading its own write finds it.
    case 'UserRegistered':
    case 'AccountOpened': {
      const { userId, mail, name, lastName, registeredAt } = decoded.data;
      const doc: UserDocument = { userId, mail, name, lastName, registeredAt };
      const writes: DocumentWrite[] = [{ collection: USERS, id: userId, doc, position }];
      if (decoded.type === 'UserRegistered') {
        writes.push(roleWrite(userId, BASE_ROLE, true, position));
      }
      return writes;
    }
    case 'RoleGranted':
      return [roleWrite(decoded.data.userId, decoded.data.role, true, position)];
    case 'RoleRevoked':
      return [roleWrite(decoded.data.userId, decoded.data.role, false, position)];
    default:
      return [];
  }
};

export const usersReadModel: ReadModel = {
  collections: [
    { name: USERS, indexes: [['mail']] },
    { name: USER_ROLES, indexes: [['userId', 'granted']] },
  ],
  project,
};
