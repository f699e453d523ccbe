import { randomUUID } from 'node:crypto';
import { DomainError, isDomainError } from '../../domain/errors.ts';
import { normalizeMail } from '../../domain/user/mail.ts';
import { walletStreamId, type TransferSent } from '../../domain/wallet/index.ts';
import type { CommandContext } from '../command-context.ts';
import type { CommandHandler } from '../command-handler.ts';
import { walletAggregate } from '../aggregates.ts';
import { accountByMail } from '../user/account-by-mail.ts';
import { balancesOf, parseField } from './wallet-commands.ts';

export interface TransferInput {
  /** The recipient's mail. */
  to: string;
  amount: string;
  /** Any currency of the registry; USD when omitted. */
  currency?: string;
}

export interface TransferAccepted {
  transferId: string;
  state: 'pending';
  to: string;
  currency: string;
  amount: string;
  /** The sender's balances right after the debit. */
  balances: Record<string, string>;
  position: bigint;
  replayed: boolean;
}

const recipientMail = (to: string): string => {
  try {
    return normalizeMail(to);
  } catch (error) {
    if (!isDomainError(error)) throw error;
    throw new DomainError(error.kind, 'recipient_invalid', `to: ${error.message}`, {
      field: 'to',
    });
  }
};

/**
 * Debits the sender and leaves the rest to the transfer process manager. The answer is the
 * same whether the recipient has an account or not: the outcome shows in the transfer's state.
 * Only a transfer to the caller's own address is refused here, which tells nothing new.
 */
export const sendTransfer = async (
  handler: CommandHandler,
  userId: string,
  input: TransferInput,
  context: CommandContext,
): Promise<TransferAccepted> => {
  const code = input.currency ?? 'USD';
  const amount = parseField(input.amount, code, 'amount');
  const to = recipientMail(input.to);
  if ((await accountByMail(handler, to)) === userId) {
    throw new DomainError('rule', 'self_transfer', 'to: a transfer needs another account', {
      field: 'to',
    });
  }
  const outcome = await handler.handle(
    walletAggregate,
    walletStreamId(userId),
    { type: 'SendTransfer', userId, transferId: randomUUID(), to, currency: code, amount },
    context,
  );
  const sent = outcome.events.find((event) => event.type === 'TransferSent');
  if (sent === undefined) throw new Error('a transfer was accepted without a TransferSent event');
  const data = sent.data as TransferSent['data'];
  return {
    transferId: data.transferId,
    state: 'pending',
    to: data.to,
    currency: data.currency,
    amount: data.amount,
    balances: balancesOf(outcome.state),
    position: outcome.position,
    replayed: outcome.replayed,
  };
};
