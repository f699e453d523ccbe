import type { Bus } from '../ports/bus.ts';
import type { JsonValue, RecordedEvent } from '../ports/event-store.ts';
import { walletSubject, type WalletUpdateMessage } from '../ports/live-messages.ts';
import type { ReadStore } from '../ports/read-store.ts';
import type { BatchListener } from './batch-listener.ts';
import { readBalances } from './queries.ts';
import { walletEtag } from '../domain/wallet/wallet-version.ts';
import { sortedBalances, walletBalancesAfter } from './read-models/balances.ts';
import { historyDocumentOf, historyEntryOf } from './read-models/history.ts';

/**
 * One WalletUpdateMessage per wallet event of a batch, each with the wallet's full balances as
 * of that event: the balances stored before the batch, folded forward over the batch's events.
 */
export const walletUpdatesOf = (
  events: readonly RecordedEvent[],
  balancesBefore: ReadonlyMap<string, Record<string, string>>,
): WalletUpdateMessage[] => {
  const running = new Map<string, Record<string, string>>();
  const messages: WalletUpdateMessage[] = [];
  for (const event of events) {
    const after = walletBalancesAfter(event);
    const doc = historyDocumentOf(event);
    if (!after || !doc) continue;
    const balances = running.get(after.userId) ?? { ...balancesBefore.get(after.userId) };
    Object.assign(balances, after.balances);
    running.set(after.userId, balances);
    messages.push({
      userId: after.userId,
      balances: sortedBalances(balances),
      position: event.position.toString(),
      etag: walletEtag(event.revision),
      entry: historyEntryOf(event.id, event.position, doc),
    });
  }
  return messages;
};

/** Publishes each wallet's updates on `wallets.<userId>` once the batch has committed. */
export const walletLiveUpdates = (bus: Bus, readStore: ReadStore): BatchListener => ({
  async beforeApply(events, generation) {
    const users = new Set<string>();
    for (const event of events) {
      const after = walletBalancesAfter(event);
      if (after) users.add(after.userId);
    }
    if (users.size === 0) return () => {};
    const balancesBefore = new Map(
      await Promise.all(
        [...users].map(
          async (userId) => [userId, await readBalances(readStore, generation, userId)] as const,
        ),
      ),
    );
    const messages = walletUpdatesOf(events, balancesBefore);
    return () => {
      for (const message of messages) {
        // Built from strings only (historyEntryOf leaves no field undefined), so it is JSON.
        bus.publish(walletSubject(message.userId), message as unknown as JsonValue);
      }
    };
  },
});
