import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandHandler } from '../../commands/command-handler.ts';
import { walletAggregate } from '../../commands/aggregates.ts';
import { registrationStreamFor } from '../../commands/user/registration-stream.ts';
import { deposit } from '../../commands/wallet/wallet-commands.ts';
import { sendTransfer } from '../../commands/wallet/transfers.ts';
import { USER_EVENT_SCHEMA_VERSION } from '../../domain/user/index.ts';
import { walletStreamId, type TransferSent } from '../../domain/wallet/index.ts';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import type { CommandContext } from '../../commands/command-context.ts';
import type { RecordedEvent } from '../../ports/event-store.ts';

/** A real event store in a temp file, a command handler on it, and the steps transfers need. */
export const openTransferWorld = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cambio-transfers-'));
  const store = await SqliteEventStore.open({ file: join(dir, 'events.sqlite') });
  const handler = new CommandHandler(store);
  const mails = new Map<string, string>();
  const context = (actor: string): CommandContext => ({
    actor,
    correlationId: randomUUID(),
    causationId: randomUUID(),
    now: new Date(),
  });

  /** An account as a completed registration leaves it on the address's stream. */
  const register = async (mail: string): Promise<string> => {
    const userId = randomUUID();
    const { streamId, mail: normalized } = registrationStreamFor(mail);
    const now = new Date().toISOString();
    await store.append(
      streamId,
      [
        {
          id: randomUUID(),
          type: 'UserRegistered',
          data: {
            mail: normalized,
            userId,
            name: 'A',
            lastName: 'B',
            passwordHash: 'x',
            registeredAt: now,
          },
          metadata: {
            correlationId: 'c',
            causationId: 'c',
            actor: 'anonymous',
            schemaVersion: USER_EVENT_SCHEMA_VERSION,
            timestamp: now,
          },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    mails.set(userId, normalized);
    return userId;
  };

  const fund = (userId: string, amount: string) =>
    deposit(
      { handler, latestRates: () => null, maxRateAgeMs: 1 },
      userId,
      { amount },
      context(userId),
    );

  /** Sends, and hands back the recorded TransferSent as the process manager would see it. */
  const send = async (userId: string, to: string, amount: string) => {
    const accepted = await sendTransfer(handler, userId, { to, amount }, context(userId));
    const events = await store.readStream(walletStreamId(userId));
    const event = events.find(
      (e) => e.type === 'TransferSent' && e.data.transferId === accepted.transferId,
    ) as RecordedEvent;
    return { event, sent: event.data as TransferSent['data'] };
  };

  const wallet = async (userId: string) =>
    (await handler.load(walletAggregate, walletStreamId(userId))).state;

  const types = async (userId: string) =>
    (await store.readStream(walletStreamId(userId))).map((e) => e.type);

  return {
    store,
    handler,
    register,
    fund,
    send,
    wallet,
    types,
    context,
    mailOf: async (userId: string) => mails.get(userId) ?? null,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

export type TransferWorld = Awaited<ReturnType<typeof openTransferWorld>>;
