import type { DomainEvent } from '../decider.ts';

/**
 * A person's data was erased (crypto-shredded): their key is destroyed, so every field once
 * encrypted with it now reads as ERASED. Appended to their registration stream by
 * `cambio users forget` (or the admin route), for the read models and as the audit record.
 */
export const PERSONAL_DATA_ERASED = 'PersonalDataErased';

/** What an erased personal field reads as, everywhere. */
export const ERASED = '[erased]';

export type PersonalDataErasedData = {
  /** Whose keys: the registration stream's key derived from the address. */
  subject: string;
  /** The account, when the address had completed its registration. */
  userId: string | null;
  registeredAt: string | null;
  /** The keys destroyed, so every reader drops any copy it holds. */
  keyIds: string[];
  erasedAt: string;
};

export type PersonalDataErased = DomainEvent<typeof PERSONAL_DATA_ERASED, PersonalDataErasedData>;
