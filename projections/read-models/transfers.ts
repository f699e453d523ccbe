import type { RecordedEvent } from '../../ports/event-store.ts';
import type { DocumentWrite } from '../../ports/read-store.ts';
import type { ReadModel } from '../read-model.ts';
import { decodeWalletEvent } from './decode-events.ts';

/** What was sent, written once by TransferSent. */
export const TRANSFERS = 'transfers';
/** Where the saga stands, rewritten by each later step (position-guarded: the newest wins). */
export const TRANSFER_STATES = 'transfer_states';
/** One document per side that may see a transfer: the sender at once, the recipient once credited. */
export const TRANSFER_PARTIES = 'transfer_parties';

export type TransferDocument = {
  transferId: string;
  senderId: string;
  /** The recipient's mail as the sender gave it (normalized). */
  to: string;
  currency: string;
  amount: string;
  sentAt: string;
};

export type TransferStateDocument = {
  transferId: string;
  state: 'pending' | 'completed' | 'refunded';
  recipientId: string | null;
  reason: string | null;
  updatedAt: string;
};

export type TransferPartyDocument = {
  userId: string;
  transferId: string;
  direction: 'out' | 'in';
  /** The other side's mail. */
  counterparty: string;
};

export const transferPartyId = (transferId: string, userId: string): string =>
  `${transferId}:${userId}`;

const party = (doc: TransferPartyDocument, position: bigint): DocumentWrite => ({
  collection: TRANSFER_PARTIES,
  id: transferPartyId(doc.transferId, doc.userId),
  doc,
  position,
});

const state = (doc: TransferStateDocument, position: bigint): DocumentWrite => ({
  collection: TRANSFER_STATES,
  id: doc.transferId,
  doc,
  position,
});

const project = (event: RecordedEvent): DocumentWrite[] => {
  const wallet = decodeWalletEvent(event);
  if (!wallet) return [];
  const { position } = event;
  const at = event.metadata.timestamp;
  switch (wallet.type) {
    case 'TransferSent': {
      const { userId, transferId, to, currency, amount } = wallet.data;
      const doc: TransferDocument = {
        transferId,
        senderId: userId,
        to,
        currency,
        amount,
        sentAt: at,
      };
      return [
        { collection: TRANSFERS, id: transferId, doc, position },
        party({ userId, transferId, direction: 'out', counterparty: to }, position),
      ];
    }
    case 'TransferReceived': {
      const { userId, transferId, fromMail } = wallet.data;
      return [
        party({ userId, transferId, direction: 'in', counterparty: fromMail }, position),
        state(
          { transferId, state: 'pending', recipientId: userId, reason: null, updatedAt: at },
          position,
        ),
      ];
    }
    case 'TransferDeclined': {
      const { transferId, reason } = wallet.data;
      return [
        state({ transferId, state: 'pending', recipientId: null, reason, updatedAt: at }, position),
      ];
    }
    case 'TransferCompleted': {
      const { transferId, recipientId } = wallet.data;
      return [
        state(
          { transferId, state: 'completed', recipientId, reason: null, updatedAt: at },
          position,
        ),
      ];
    }
    case 'TransferRefunded': {
      const { transferId, reason } = wallet.data;
      return [
        state(
          { transferId, state: 'refunded', recipientId: null, reason, updatedAt: at },
          position,
        ),
      ];
    }
    default:
      return [];
  }
};

export const transfersReadModel: ReadModel = {
  collections: [
    { name: TRANSFERS, indexes: [] },
    { name: TRANSFER_STATES, indexes: [] },
    { name: TRANSFER_PARTIES, indexes: [['userId']] },
  ],
  project,
};
