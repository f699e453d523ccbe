import type { RecordedEvent } from '../../ports/event-store.ts';
import { decodeUserDomainEvent, type UserDomainEvent } from '../../domain/user/index.ts';
import { upcastWalletEvent, type WalletEvent } from '../../domain/wallet/wallet-events.ts';

// Read models see events through the domain's upcasters, so an old stored shape is projected
// exactly like the current one. A schema version newer than this code throws: a projector of
// an older deployment must stop rather than guess at data it does not understand.

const schemaVersionOf = (event: RecordedEvent): number => event.metadata.schemaVersion;

/** The wallet event in its current shape, or null for any other event. */
export const decodeWalletEvent = (event: RecordedEvent): WalletEvent | null =>
  upcastWalletEvent(event.type, event.data, schemaVersionOf(event));

/** The registration or account event in its current shape, or null for any other event. */
export const decodeUserEvent = (event: RecordedEvent): UserDomainEvent | null =>
  decodeUserDomainEvent({ type: event.type, data: event.data }, schemaVersionOf(event));
