/**
 * Runs many withdrawals at once through the real command path (the wallet command the HTTP
 * route calls → CommandHandler → walletAggregate → event store) and tallies the outcomes by
 * error code, so a parent can add up what several processes did to one wallet.
 */
import { randomUUID } from 'node:crypto';
import { CommandHandler } from '../../commands/command-handler.ts';
import { withdraw, type WalletDeps } from '../../commands/wallet/wallet-commands.ts';
import { DomainError } from '../../domain/errors.ts';
import type { EventStore } from '../../ports/event-store.ts';

export interface WithdrawTally {
  succeeded: number;
  /** Refusals by error code, e.g. `{ insufficient_funds: 100 }`. */
  refused: Record<string, number>;
  /** Balances reported by the successful withdrawals. */
  balances: string[];
  /** Appends that lost to another writer and were decided again inside the handler. */
  conflicts: number;
  /** Commands the handler gave up on (409 concurrent_modification) and the caller resent. */
  resent: number;
}

export const walletDeps = (handler: CommandHandler): WalletDeps => ({
  handler,
  // Withdrawals do not trade, so they never ask for rates.
  latestRates: () => null,
  maxRateAgeMs: 30_000,
});

export const contextFor = (actor: string) => {
  const id = randomUUID();
  return { actor, correlationId: id, causationId: id, now: new Date() };
};

/** `count` withdrawals of `amount` USD, all started at once on one handler of `store`. */
export const withdrawMany = async (
  store: EventStore,
  userId: string,
  count: number,
  amount = '1',
): Promise<WithdrawTally> => {
  let conflicts = 0;
  const deps = walletDeps(new CommandHandler(store, { onConflictRetry: () => (conflicts += 1) }));
  let resent = 0;
  // As a client would: a 409 concurrent_modification says "retry", so retry after Retry-After.
  const withdrawOnce = async () => {
    for (;;) {
      try {
        return await withdraw(deps, userId, { amount }, contextFor(userId));
      } catch (error) {
        if (!(error instanceof DomainError) || error.code !== 'concurrent_modification') {
          throw error;
        }
        resent += 1;
        const seconds = Number(error.details.retryAfterSeconds ?? 1);
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      }
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: count }, withdrawOnce));
  const tally: WithdrawTally = {
    succeeded: 0,
    refused: {},
    balances: [],
    conflicts: 0,
    resent: 0,
  };
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') {
      tally.succeeded += 1;
      tally.balances.push(outcome.value.balances.USD ?? '0');
      continue;
    }
    const code =
      outcome.reason instanceof DomainError ? outcome.reason.code : String(outcome.reason);
    tally.refused[code] = (tally.refused[code] ?? 0) + 1;
  }
  tally.conflicts = conflicts;
  tally.resent = resent;
  return tally;
};
