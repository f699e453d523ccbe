import { DomainError } from '../../domain/errors.ts';
import { currency as currencyOf, formatAmount, parseAmount } from '../../domain/money/index.ts';
import { walletStreamId, type WalletCommand, type WalletState } from '../../domain/wallet/index.ts';
import type { CommandContext } from '../command-context.ts';
import type { CommandHandler, AppendedEvent } from '../command-handler.ts';
import { walletAggregate } from '../aggregates.ts';

/** The newest trusted rates: units of each currency per 1 USD, and when they were observed. */
export interface RateQuote {
  rates: Record<string, string>;
  at: string;
}

export interface WalletDeps {
  handler: CommandHandler;
  /** The latest rates seen on the bus, or null before the first tick. */
  latestRates: () => RateQuote | null;
  /** Trades are refused (503) with rates older than this. */
  maxRateAgeMs: number;
  /** Default: the wallet aggregate without deposit or balance limits. */
  wallet?: typeof walletAggregate;
}

export interface WalletOutcome {
  balances: Record<string, string>;
  position: bigint;
  /** The wallet stream's revision after the command (its ETag names the version). */
  revision: bigint;
  events: AppendedEvent[];
  replayed: boolean;
}

/** An amount field parsed for its currency; errors name the field the client sent. */
export const parseField = (value: string, code: string, field: string): bigint => {
  try {
    return parseAmount(value, currencyOf(code));
  } catch (error) {
    if (error instanceof DomainError) {
      throw new DomainError(error.kind, error.code, `${field}: ${error.message}`, {
        ...error.details,
        field,
      });
    }
    throw error;
  }
};

export const balancesOf = (state: WalletState): Record<string, string> =>
  Object.fromEntries(
    [...state.balances].map(([code, minor]) => [code, formatAmount(minor, currencyOf(code))]),
  );

const run = async (
  deps: WalletDeps,
  userId: string,
  command: WalletCommand,
  context: CommandContext,
): Promise<WalletOutcome> => {
  const outcome = await deps.handler.handle(
    deps.wallet ?? walletAggregate,
    walletStreamId(userId),
    command,
    context,
  );
  return {
    balances: balancesOf(outcome.state),
    position: outcome.position,
    revision: outcome.revision,
    events: outcome.events,
    replayed: outcome.replayed,
  };
};

/** The rate for `code` if fresh enough to trade on; 503 otherwise. */
const freshRate = (deps: WalletDeps, code: string, now: Date) => {
  const quote = deps.latestRates();
  if (quote === null) {
    throw new DomainError(
      'unavailable',
      'rates_unavailable',
      'No exchange rates yet; retry shortly.',
      {
        retryAfterSeconds: 2,
      },
    );
  }
  const ageMs = now.getTime() - Date.parse(quote.at);
  if (ageMs > deps.maxRateAgeMs) {
    throw new DomainError(
      'unavailable',
      'rates_stale',
      `The newest exchange rates are ${Math.round(ageMs / 1000)} s old; trading resumes when fresh rates arrive.`,
      { ratesAt: quote.at, retryAfterSeconds: 5 },
    );
  }
  const value = quote.rates[code];
  if (value === undefined) {
    throw new DomainError('unavailable', 'rate_unavailable', `No exchange rate for ${code} yet.`, {
      currency: code,
      retryAfterSeconds: 5,
    });
  }
  return { value, at: quote.at };
};

/** Deposit and withdraw differ only in the command type: fiat, USD when not named. */
const fiatMovement =
  (type: 'Deposit' | 'Withdraw') =>
  (
    deps: WalletDeps,
    userId: string,
    input: { amount: string; currency?: string },
    context: CommandContext,
  ) => {
    const code = input.currency ?? 'USD';
    const amount = parseField(input.amount, code, 'amount');
    return run(deps, userId, { type, userId, currency: code, amount }, context);
  };

export const deposit = fiatMovement('Deposit');
export const withdraw = fiatMovement('Withdraw');

export const buy = (
  deps: WalletDeps,
  userId: string,
  input: { currency: string; amount: string; maxPrice?: string },
  context: CommandContext,
) =>
  run(
    deps,
    userId,
    {
      type: 'Buy',
      userId,
      currency: input.currency,
      amount: parseField(input.amount, input.currency, 'amount'),
      quote: 'USD',
      rate: freshRate(deps, input.currency, context.now),
      ...(input.maxPrice === undefined
        ? {}
        : { maxPrice: parseField(input.maxPrice, 'USD', 'maxPrice') }),
    },
    context,
  );

export const sell = (
  deps: WalletDeps,
  userId: string,
  input: { currency: string; amount: string; minPrice?: string },
  context: CommandContext,
) =>
  run(
    deps,
    userId,
    {
      type: 'Sell',
      userId,
      currency: input.currency,
      amount: parseField(input.amount, input.currency, 'amount'),
      quote: 'USD',
      rate: freshRate(deps, input.currency, context.now),
      ...(input.minPrice === undefined
        ? {}
        : { minPrice: parseField(input.minPrice, 'USD', 'minPrice') }),
    },
    context,
  );
