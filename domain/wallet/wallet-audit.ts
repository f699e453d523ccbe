/**
 * What an auditor checks on one wallet event: its own arithmetic (the cost or proceeds follow
 * from the amount and the recorded rate, rounded in the house's favour) and, given the wallet
 * before it, that the recorded balances follow too and never go below zero.
 */
import { isDomainError } from '../errors.ts';
import { convert } from '../money/convert.ts';
import { currency, type Currency, type CurrencyCode } from '../money/currency.ts';
import { formatAmount, parseMinorUnits } from '../money/decimal.ts';
import { invert } from '../money/rational.ts';
import { canonicalRate, parseRate } from '../money/rate.ts';
import type { Rounding } from '../money/rational.ts';
import type { DepositIntentEvent, TransferEvent, WalletEvent } from './wallet-events.ts';
import { balanceOf, type WalletState } from './wallet-state.ts';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** How each saga step moves its currency's balance: by -amount, 0 or +amount. */
const SIGN: Record<(TransferEvent | DepositIntentEvent)['type'], bigint> = {
  TransferSent: -1n,
  TransferReceived: 1n,
  TransferDeclined: 0n,
  TransferCompleted: 0n,
  TransferRefunded: 1n,
  DepositIntentOpened: 0n,
  DepositIntentSucceeded: 1n,
  DepositIntentClosed: 0n,
};

/** Each step of a transfer or intent happens once and in order, for what the wallet held. */
const sagaProblems = (event: TransferEvent | DepositIntentEvent, before: WalletState): string[] => {
  switch (event.type) {
    case 'TransferSent':
      return before.sent.has(event.data.transferId) ? ['transfer sent twice'] : [];
    case 'TransferReceived':
    case 'TransferDeclined':
      return before.received.has(event.data.transferId) ? ['transfer received twice'] : [];
    case 'TransferCompleted':
    case 'TransferRefunded': {
      const sent = before.sent.get(event.data.transferId);
      if (sent === undefined) return ['settles a transfer never sent'];
      if (sent.state !== 'pending') return [`settles a transfer already ${sent.state}`];
      const unit = currency(sent.currency);
      return sent.currency === event.data.currency &&
        formatAmount(sent.amount, unit) === event.data.amount
        ? []
        : ['settles a different amount than was sent'];
    }
    case 'DepositIntentOpened':
      return before.intents.has(event.data.intentId) ? ['intent opened twice'] : [];
    case 'DepositIntentSucceeded':
    case 'DepositIntentClosed': {
      const intent = before.intents.get(event.data.intentId);
      if (intent === undefined) return ['settles an intent never opened'];
      return intent.state === 'open' ? [] : [`settles an intent already ${intent.state}`];
    }
  }
};

/** Discrepancies found in `event` (empty when it checks out); `before` adds balance checks. */
export const auditWalletEvent = (event: WalletEvent, before?: WalletState): string[] => {
  const problems: string[] = [];
  const note = (problem: string) => problems.push(`${event.type}: ${problem}`);

  const money = (text: string, unit: Currency, label: string): bigint => {
    const value = parseMinorUnits(text, unit);
    if (formatAmount(value, unit) !== text) note(`${label} ${text} is not in canonical form`);
    return value;
  };
  const expectKind = (unit: Currency, kind: Currency['kind']) => {
    if (unit.kind !== kind) note(`${unit.code} is ${unit.kind}, expected ${kind}`);
  };
  const expectBalance = (unit: Currency, recorded: bigint, delta: bigint) => {
    if (before === undefined) return;
    const expected = balanceOf(before, unit.code) + delta;
    if (recorded !== expected) {
      note(
        `${unit.code} balance ${formatAmount(recorded, unit)} should be ${formatAmount(expected, unit)}`,
      );
    }
  };

  try {
    switch (event.type) {
      case 'FundsDeposited':
      case 'FundsWithdrawn': {
        const unit = currency(event.data.currency);
        expectKind(unit, 'fiat');
        const amount = money(event.data.amount, unit, 'amount');
        if (amount <= 0n) note('amount is not positive');
        const balance = money(event.data.balance, unit, 'balance');
        expectBalance(unit, balance, event.type === 'FundsDeposited' ? amount : -amount);
        break;
      }
      case 'CryptoBought':
      case 'CryptoSold': {
        const bought = event.type === 'CryptoBought';
        const data = event.data;
        const coin = currency(data.currency);
        const quote = currency(data.quoteCurrency);
        expectKind(coin, 'crypto');
        expectKind(quote, 'fiat');
        const amount = money(data.amount, coin, 'amount');
        if (amount <= 0n) note('amount is not positive');
        if (canonicalRate(data.rate) !== data.rate) note(`rate ${data.rate} is not canonical`);
        if (!ISO_INSTANT.test(data.rateAt)) note(`rateAt ${data.rateAt} is not an ISO instant`);
        const quotePerCoin = invert(parseRate(data.rate));
        // The house's favour: the user pays rounded up and receives rounded down.
        const rounding: Rounding = bought ? 'up' : 'down';
        const [label, recordedText] =
          event.type === 'CryptoBought'
            ? ['cost', event.data.cost]
            : ['proceeds', event.data.proceeds];
        const recorded = money(recordedText, quote, label);
        const expected = convert(amount, coin, quote, quotePerCoin, rounding);
        if (recorded !== expected) {
          note(`${label} ${recordedText} should be ${formatAmount(expected, quote)}`);
        }
        const price = convert(10n ** BigInt(coin.scale), coin, quote, quotePerCoin, rounding);
        if (money(data.price, quote, 'price') !== price) {
          note(`price ${data.price} should be ${formatAmount(price, quote)}`);
        }
        const codes: CurrencyCode[] = Object.keys(data.balances).sort();
        if (codes.join() !== [coin.code, quote.code].sort().join()) {
          note(`balances name ${codes.join(', ')}, expected ${coin.code} and ${quote.code}`);
        }
        const coinBalance = data.balances[coin.code];
        const quoteBalance = data.balances[quote.code];
        if (coinBalance !== undefined) {
          expectBalance(coin, money(coinBalance, coin, 'balance'), bought ? amount : -amount);
        }
        if (quoteBalance !== undefined) {
          const recordedQuote = money(quoteBalance, quote, 'balance');
          expectBalance(quote, recordedQuote, bought ? -recorded : recorded);
        }
        break;
      }
      case 'TransferSent':
      case 'TransferReceived':
      case 'TransferDeclined':
      case 'TransferCompleted':
      case 'TransferRefunded':
      case 'DepositIntentOpened':
      case 'DepositIntentSucceeded':
      case 'DepositIntentClosed': {
        const unit = currency(event.data.currency);
        const amount = money(event.data.amount, unit, 'amount');
        if (amount <= 0n) note('amount is not positive');
        const balance = money(event.data.balance, unit, 'balance');
        expectBalance(unit, balance, SIGN[event.type] * amount);
        if (before !== undefined) {
          for (const problem of sagaProblems(event, before)) note(problem);
        }
        break;
      }
      default:
        note('unknown wallet event type');
    }
  } catch (error) {
    if (!isDomainError(error)) throw error;
    note(error.message);
  }
  return problems;
};
