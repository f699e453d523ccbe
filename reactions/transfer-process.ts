import type { Logger } from 'pino';
import type { CommandContext } from '../commands/command-context.ts';
import type { CommandHandler } from '../commands/command-handler.ts';
import { walletAggregate } from '../commands/aggregates.ts';
import { accountByMail } from '../commands/user/account-by-mail.ts';
import { isDomainError } from '../domain/errors.ts';
import { currency, parseMinorUnits } from '../domain/money/index.ts';
import { upcastWalletEvent, walletStreamId, type TransferSent } from '../domain/wallet/index.ts';
import type { EventStore, RecordedEvent } from '../ports/event-store.ts';
import type { ReadStore } from '../ports/read-store.ts';
import {
  CheckpointedSubscriber,
  readStoreCheckpoint,
} from '../projections/checkpointed-subscriber.ts';

export const TRANSFER_PROCESS_CHECKPOINT = 'reaction.transfers';

/** How a transfer ended, as this run of the process manager saw it. */
export type TransferStep = 'completed' | 'refunded' | 'already settled';

export interface TransferProcessDeps {
  handler: CommandHandler;
  /** The wallet aggregate under the operator's limits: a credit past them is declined. */
  wallet?: typeof walletAggregate;
  /**
   * The sender's mail, for the recipient's records; null while not known yet (the process
   * manager then retries the batch later). Every sender has an account: they signed in.
   */
  mailOf: (userId: string) => Promise<string | null>;
  logger?: Logger;
}

const systemContext = (event: RecordedEvent): CommandContext => ({
  actor: 'system',
  correlationId: event.metadata.correlationId,
  causationId: event.id,
  now: new Date(),
});

/**
 * Drives one transfer from its TransferSent to the end: credit the recipient, then complete;
 * or refund the sender when the recipient has no account or declines. Safe to run again at any
 * point: the sender's stream says whether the transfer is still pending, and each wallet
 * decides each step of a transfer once. The recipient's stream arbitrates: it records either a
 * credit or a decline, and only a decline (or no account at all) leads to a refund.
 */
export const advanceTransfer = async (
  deps: TransferProcessDeps,
  event: RecordedEvent,
  sent: TransferSent['data'],
): Promise<TransferStep> => {
  const { handler } = deps;
  const context = systemContext(event);
  const senderStream = walletStreamId(sent.userId);
  const { state } = await handler.load(walletAggregate, senderStream);
  if (state.sent.get(sent.transferId)?.state !== 'pending') return 'already settled';

  const refund = async (reason: string): Promise<TransferStep> => {
    await handler.handle(
      walletAggregate,
      senderStream,
      { type: 'RefundTransfer', userId: sent.userId, transferId: sent.transferId, reason },
      context,
    );
    return 'refunded';
  };

  const recipientId = await accountByMail(handler, sent.to);
  if (recipientId === null) return refund('recipient_not_found');
  // The write API refuses transfers to oneself; one that slipped through goes back.
  if (recipientId === sent.userId) return refund('self_transfer');

  const fromMail = await deps.mailOf(sent.userId);
  if (fromMail === null) throw new Error(`sender ${sent.userId} has no known mail yet`);
  try {
    await handler.handle(
      deps.wallet ?? walletAggregate,
      walletStreamId(recipientId),
      {
        type: 'ReceiveTransfer',
        userId: recipientId,
        transferId: sent.transferId,
        from: sent.userId,
        fromMail,
        currency: sent.currency,
        amount: parseMinorUnits(sent.amount, currency(sent.currency)),
      },
      context,
    );
  } catch (error) {
    // A refusal on the recipient's side (recorded as a decline) ends in a refund; anything
    // else (a conflict, the store away) fails the batch, which is retried from its checkpoint.
    if (isDomainError(error) && (error.kind === 'rule' || error.kind === 'validation')) {
      return refund('recipient_cannot_receive');
    }
    throw error;
  }
  await handler.handle(
    walletAggregate,
    senderStream,
    { type: 'CompleteTransfer', userId: sent.userId, transferId: sent.transferId, recipientId },
    context,
  );
  return 'completed';
};

const transferSentOf = (event: RecordedEvent): TransferSent['data'] | null => {
  if (event.type !== 'TransferSent') return null;
  const wallet = upcastWalletEvent(event.type, event.data, event.metadata.schemaVersion);
  return wallet?.type === 'TransferSent' ? wallet.data : null;
};

/** Transfers of one batch run side by side (each wallet stream stays serialised), this many at once. */
const CONCURRENCY = 16;

const inParallel = async <T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> => {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
};

/**
 * The transfer process manager: a checkpointed subscriber that advances every transfer sent
 * after its checkpoint. The checkpoint moves only after every transfer of a batch reached its
 * end, so a crash anywhere repeats steps, which change nothing the second time. Run one.
 */
export const transferProcess = (
  deps: TransferProcessDeps & { eventStore: EventStore; readStore: ReadStore },
): CheckpointedSubscriber => {
  const checkpoint = readStoreCheckpoint(deps.readStore, TRANSFER_PROCESS_CHECKPOINT);
  return new CheckpointedSubscriber({
    name: 'transfer-process',
    eventStore: deps.eventStore,
    loadCheckpoint: checkpoint.load,
    saveCheckpoint: checkpoint.save,
    batchSize: 200,
    handleBatch: async (events) => {
      const transfers = events.flatMap((event) => {
        const sent = transferSentOf(event);
        return sent === null ? [] : [{ event, sent }];
      });
      await inParallel(transfers, CONCURRENCY, async ({ event, sent }) => {
        const step = await advanceTransfer(deps, event, sent);
        deps.logger?.debug({ transferId: sent.transferId, step }, 'transfer advanced');
      });
    },
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
};
