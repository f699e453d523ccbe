/**
 * The wallet decider: one stream per user holds every balance, so both legs of a buy or sell
 * land in one atomic append and a balance can be checked against every other in one decision.
 */
import { accept, reject, type Decider, type Decision } from '../decider.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { convert } from '../money/convert.ts';
import { currency, type Currency } from '../money/currency.ts';
import { formatAmount, maxMinorUnits } from '../money/decimal.ts';
import { invert, type Rational } from '../money/rational.ts';
import { canonicalRate, parseRate } from '../money/rate.ts';
import {
  NO_WALLET_LIMITS,
  requireBalanceWithinPolicy,
  requireDepositWithinLimit,
  type WalletLimits,
} from './wallet-limits.ts';
import type { Buy, Deposit, QuotedRate, Sell, WalletCommand, Withdraw } from './wallet-commands.ts';
import type { WalletEvent } from './wallet-events.ts';
import { balanceOf, evolveWallet, initialWalletState, type WalletState } from './wallet-state.ts';
import { openDepositIntent, settleDepositIntent } from './deposit-intents.ts';
import { completeTransfer, receiveTransfer, refundTransfer, sendTransfer } from './transfers.ts';
import {
  ofKind,
  requireAmountWithinLimit,
  requireBalanceWithinLimit,
  requireCovered,
  requirePositive,
  requireUser,
} from './wallet-rules.ts';

/** The id of the stream holding `userId`'s wallet. */
export const walletStreamId = (userId: string): string => `wallet-${userId}`;

/** The only currency crypto is traded against. */
const QUOTE_CURRENCY = 'USD';

const quoteOf = (code: string): Currency => {
  if (code !== QUOTE_CURRENCY) {
    throw new DomainError(
      'validation',
      'currency_not_supported',
      `crypto is traded against ${QUOTE_CURRENCY} only, not ${String(code).slice(0, 20)}`,
      { currency: String(code).slice(0, 20), supported: [QUOTE_CURRENCY] },
    );
  }
  return currency(QUOTE_CURRENCY);
};

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The rate handed in by the command handler; unusable rates are its fault, not the user's. */
const readRate = (
  quoted: QuotedRate,
  coin: Currency,
): { perQuote: Rational; text: string; at: string } => {
  const unusable = (why: string) =>
    new DomainError('unavailable', 'rate_invalid', `no usable ${coin.code} rate: ${why}`, {
      currency: coin.code,
    });
  let perQuote: Rational;
  let text: string;
  try {
    perQuote = parseRate(quoted.value);
    text = canonicalRate(quoted.value);
  } catch (error) {
    throw isDomainError(error) ? unusable(error.message) : error;
  }
  const at =
    typeof quoted.at === 'string' && ISO_INSTANT.test(quoted.at) ? Date.parse(quoted.at) : NaN;
  if (Number.isNaN(at))
    throw unusable(`observation time ${JSON.stringify(quoted.at)} is not an ISO-8601 instant`);
  return { perQuote, text, at: new Date(at).toISOString() };
};

const deposit = (
  command: Deposit,
  state: WalletState,
  limits: WalletLimits,
): Decision<WalletEvent> => {
  const userId = requireUser(command.userId);
  const unit = ofKind(command.currency ?? 'USD', 'fiat', 'deposits');
  requirePositive(command.amount, 'amount', 'amount_not_positive', unit);
  requireAmountWithinLimit(command.amount, unit);
  requireDepositWithinLimit(limits, command.amount, unit);
  const balance = balanceOf(state, unit.code) + command.amount;
  requireBalanceWithinLimit(balance, unit);
  requireBalanceWithinPolicy(limits, balance, unit);
  return accept({
    type: 'FundsDeposited',
    data: {
      userId,
      currency: unit.code,
      amount: formatAmount(command.amount, unit),
      balance: formatAmount(balance, unit),
    },
  });
};

const withdraw = (command: Withdraw, state: WalletState): Decision<WalletEvent> => {
  const userId = requireUser(command.userId);
  const unit = ofKind(command.currency ?? 'USD', 'fiat', 'withdrawals');
  requirePositive(command.amount, 'amount', 'amount_not_positive', unit);
  requireAmountWithinLimit(command.amount, unit);
  requireCovered(state, unit, command.amount);
  const balance = balanceOf(state, unit.code) - command.amount;
  return accept({
    type: 'FundsWithdrawn',
    data: {
      userId,
      currency: unit.code,
      amount: formatAmount(command.amount, unit),
      balance: formatAmount(balance, unit),
    },
  });
};

/** What a trade needs, validated: the two currencies, the rate and its inverse. */
const readTrade = (command: Buy | Sell, purpose: string) => {
  const userId = requireUser(command.userId);
  const coin = ofKind(command.currency, 'crypto', purpose);
  const quote = quoteOf(command.quote);
  requirePositive(command.amount, 'amount', 'amount_not_positive', coin);
  requireAmountWithinLimit(command.amount, coin);
  const rate = readRate(command.rate, coin);
  const quotePerCoin = invert(rate.perQuote);
  const oneCoin = 10n ** BigInt(coin.scale);
  if (convert(oneCoin, coin, quote, quotePerCoin, 'down') > maxMinorUnits(quote)) {
    throw new DomainError(
      'unavailable',
      'rate_invalid',
      `no usable ${coin.code} rate: ${rate.text} ${coin.code} per ${quote.code} prices 1 ${coin.code} beyond any limit`,
      { currency: coin.code },
    );
  }
  return { userId, coin, quote, rate, quotePerCoin, oneCoin };
};

/**
 * Refuses a trade worth less than one minor unit of the quote currency: it would round to
 * nothing, or charge a whole cent for a fraction of one.
 */
const requireTradeable = (
  amount: bigint,
  trade: ReturnType<typeof readTrade>,
  worthRoundedDown: bigint,
): void => {
  if (worthRoundedDown > 0n) return;
  const { coin, quote } = trade;
  const minimum = convert(1n, quote, coin, trade.rate.perQuote, 'up');
  throw new DomainError(
    'rule',
    'amount_too_small',
    `${formatAmount(amount, coin)} ${coin.code} is worth less than ${formatAmount(1n, quote)} ${quote.code} at this rate; the smallest amount is ${formatAmount(minimum, coin)} ${coin.code}`,
    {
      currency: coin.code,
      amount: formatAmount(amount, coin),
      minimum: formatAmount(minimum, coin),
    },
  );
};

const priceMoved = (
  trade: ReturnType<typeof readTrade>,
  price: bigint,
  limitName: 'maxPrice' | 'minPrice',
  limit: bigint,
): DomainError => {
  const { coin, quote } = trade;
  const direction = limitName === 'maxPrice' ? 'above' : 'below';
  return new DomainError(
    'rule',
    'price_moved',
    `1 ${coin.code} now costs ${formatAmount(price, quote)} ${quote.code}, ${direction} the ${limitName} of ${formatAmount(limit, quote)} ${quote.code}`,
    {
      currency: coin.code,
      price: formatAmount(price, quote),
      [limitName]: formatAmount(limit, quote),
    },
  );
};

const buy = (command: Buy, state: WalletState, limits: WalletLimits): Decision<WalletEvent> => {
  const trade = readTrade(command, 'purchases');
  const { userId, coin, quote, rate, quotePerCoin, oneCoin } = trade;
  // maxPrice is whole minor units, so the ceiling exceeds it exactly when the exact price does.
  const price = convert(oneCoin, coin, quote, quotePerCoin, 'up');
  if (command.maxPrice !== undefined) {
    requirePositive(command.maxPrice, 'maxPrice', 'price_not_positive', quote);
    if (price > command.maxPrice) throw priceMoved(trade, price, 'maxPrice', command.maxPrice);
  }
  requireTradeable(
    command.amount,
    trade,
    convert(command.amount, coin, quote, quotePerCoin, 'down'),
  );
  // The user pays: the cost rounds up.
  const cost = convert(command.amount, coin, quote, quotePerCoin, 'up');
  requireCovered(state, quote, cost);
  requireBalanceWithinLimit(balanceOf(state, coin.code) + command.amount, coin);
  requireBalanceWithinPolicy(limits, balanceOf(state, coin.code) + command.amount, coin);
  return accept({
    type: 'CryptoBought',
    data: {
      userId,
      currency: coin.code,
      amount: formatAmount(command.amount, coin),
      quoteCurrency: quote.code,
      cost: formatAmount(cost, quote),
      rate: rate.text,
      rateAt: rate.at,
      price: formatAmount(price, quote),
      balances: {
        [quote.code]: formatAmount(balanceOf(state, quote.code) - cost, quote),
        [coin.code]: formatAmount(balanceOf(state, coin.code) + command.amount, coin),
      },
    },
  });
};

const sell = (command: Sell, state: WalletState, limits: WalletLimits): Decision<WalletEvent> => {
  const trade = readTrade(command, 'sales');
  const { userId, coin, quote, rate, quotePerCoin, oneCoin } = trade;
  // minPrice is whole minor units, so the floor is below it exactly when the exact price is.
  const price = convert(oneCoin, coin, quote, quotePerCoin, 'down');
  if (command.minPrice !== undefined) {
    requirePositive(command.minPrice, 'minPrice', 'price_not_positive', quote);
    if (price < command.minPrice) throw priceMoved(trade, price, 'minPrice', command.minPrice);
  }
  // The user receives: the proceeds round down.
  const proceeds = convert(command.amount, coin, quote, quotePerCoin, 'down');
  requireTradeable(command.amount, trade, proceeds);
  requireCovered(state, coin, command.amount);
  requireBalanceWithinLimit(balanceOf(state, quote.code) + proceeds, quote);
  requireBalanceWithinPolicy(limits, balanceOf(state, quote.code) + proceeds, quote);
  return accept({
    type: 'CryptoSold',
    data: {
      userId,
      currency: coin.code,
      amount: formatAmount(command.amount, coin),
      quoteCurrency: quote.code,
      proceeds: formatAmount(proceeds, quote),
      rate: rate.text,
      rateAt: rate.at,
      price: formatAmount(price, quote),
      balances: {
        [quote.code]: formatAmount(balanceOf(state, quote.code) + proceeds, quote),
        [coin.code]: formatAmount(balanceOf(state, coin.code) - command.amount, coin),
      },
    },
  });
};

/**
 * Decides a wallet command. Refusals are DomainErrors returned on the decision; a malformed
 * command (no user id, an amount that is not a bigint) is a caller bug and throws.
 */
export const decideWallet = (
  command: WalletCommand,
  state: WalletState,
  limits: WalletLimits = NO_WALLET_LIMITS,
): Decision<WalletEvent> => {
  try {
    switch (command.type) {
      case 'Deposit':
        return deposit(command, state, limits);
      case 'Withdraw':
        return withdraw(command, state);
      case 'Buy':
        return buy(command, state, limits);
      case 'Sell':
        return sell(command, state, limits);
      case 'SendTransfer':
        return sendTransfer(command, state);
      case 'ReceiveTransfer':
        return receiveTransfer(command, state, limits);
      case 'CompleteTransfer':
        return completeTransfer(command, state);
      case 'RefundTransfer':
        return refundTransfer(command, state);
      case 'OpenDepositIntent':
        return openDepositIntent(command, state, limits);
      case 'SettleDepositIntent':
        return settleDepositIntent(command, state);
      default:
        throw new TypeError(
          `unknown wallet command ${String((command as { type: unknown }).type)}`,
        );
    }
  } catch (error) {
    if (isDomainError(error)) return reject(error);
    throw error;
  }
};

/**
 * The wallet aggregate on one stream per user: deposits, withdrawals, buys, sells, both sides of
 * transfers and deposits through a payment provider.
 */
export const walletDecider: Decider<WalletCommand, WalletState, WalletEvent> = {
  initialState: initialWalletState,
  decide: decideWallet,
  evolve: evolveWallet,
};

/** The wallet aggregate under the operator's deposit and balance limits. */
export const walletDeciderWith = (
  limits: WalletLimits,
): Decider<WalletCommand, WalletState, WalletEvent> => ({
  ...walletDecider,
  decide: (command, state) => decideWallet(command, state, limits),
});
