import { expect } from 'chai';
import fc from 'fast-check';
import { currencies, currency } from '../../../domain/money/currency.ts';
import { convert } from '../../../domain/money/convert.ts';
import { formatDecimal, parseMinorUnits } from '../../../domain/money/decimal.ts';
import { parseRate } from '../../../domain/money/rate.ts';
import {
  auditWalletEvent,
  balanceOf,
  walletDecider,
  type WalletCommand,
  type WalletState,
} from '../../../domain/wallet/index.ts';

const USER = 'u-prop';
const AT = '2024-05-01T12:00:00.000Z';
const cryptoCodes = currencies()
  .filter((c) => c.kind === 'crypto')
  .map((c) => c.code);

/** A rate as a source would publish it: up to 12 significant digits, up to 18 decimals. */
const rate = fc
  .tuple(fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.nat({ max: 18 }))
  .map(([digits, scale]) => ({ value: formatDecimal({ digits, scale }), at: AT }));

// Amounts reach from a single minor unit to large sums, zero and negatives included, so that
// every rule gets exercised.
const amount = fc.oneof(
  fc.bigInt({ min: -2n, max: 1000n }),
  fc.bigInt({ min: 1n, max: 10n ** 12n }),
  fc.bigInt({ min: 1n, max: 10n ** 24n }),
);

/**
 * A step either names its amount or takes a share of what the wallet holds when it runs, so
 * that withdrawals and sales succeed often enough to matter.
 */
type Step = {
  type: 'Deposit' | 'Withdraw' | 'Buy' | 'Sell';
  fiat: string;
  crypto: string;
  amount: bigint;
  /** Percent of the balance to withdraw, sell, or spend on a buy, instead of `amount`. */
  share: number | null;
  rate: { value: string; at: string };
};

const step: fc.Arbitrary<Step> = fc.record({
  type: fc.constantFrom('Deposit' as const, 'Withdraw' as const, 'Buy' as const, 'Sell' as const),
  fiat: fc.constantFrom('USD', 'EUR'),
  // Few enough that sales find something bought; scales 8, 18 and 6.
  crypto: fc.constantFrom('BTC', 'ETH', 'XRP'),
  amount,
  share: fc.option(fc.integer({ min: 1, max: 100 }), { freq: 4 }),
  rate,
});

const commandFor = (s: Step, state: WalletState): WalletCommand => {
  // A sale of something never bought teaches little: sell whatever crypto is held instead.
  const held = [...state.balances].find(
    ([code, value]) => code !== 'USD' && code !== 'EUR' && value > 0n,
  );
  const crypto =
    s.type === 'Sell' && balanceOf(state, s.crypto) === 0n && held ? held[0] : s.crypto;
  const source = balanceOf(state, s.type === 'Sell' ? crypto : s.type === 'Buy' ? 'USD' : s.fiat);
  const portion = (source * BigInt(s.share ?? 0)) / 100n;
  const amount =
    s.share === null || source === 0n
      ? s.amount
      : s.type === 'Buy'
        ? convert(portion, currency('USD'), currency(crypto), parseRate(s.rate.value), 'down')
        : portion;
  switch (s.type) {
    case 'Deposit':
    case 'Withdraw':
      return { type: s.type, userId: USER, currency: s.fiat, amount };
    case 'Buy':
    case 'Sell':
      return { type: s.type, userId: USER, currency: crypto, amount, quote: 'USD', rate: s.rate };
  }
};

const balancesOf = (state: WalletState) =>
  [...state.balances.entries()].filter(([, value]) => value !== 0n);

describe('wallet decider properties', () => {
  it('keeps every balance ≥ 0 and every accepted event auditable against its history', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60, size: 'medium' }), (steps) => {
        let state = walletDecider.initialState();
        for (const next of steps) {
          const decision = walletDecider.decide(commandFor(next, state), state);
          if (decision.error) {
            expect(decision.events).to.deep.equal([]);
            continue;
          }
          expect(decision.events).to.have.length(1);
          for (const event of decision.events) {
            expect(auditWalletEvent(event, state)).to.deep.equal([]);
            state = walletDecider.evolve(state, event);
            // The balances an event records are the balances the wallet now holds.
            const recorded =
              'balance' in event.data
                ? { [event.data.currency]: event.data.balance }
                : event.data.balances;
            for (const [code, text] of Object.entries(recorded)) {
              expect(parseMinorUnits(text, currency(code))).to.equal(balanceOf(state, code));
            }
          }
          for (const [code, value] of state.balances) {
            expect(value >= 0n, `${code} went negative`).to.equal(true);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('never creates money: buying and selling back at the same rate leaves no more USD', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.constantFrom(...cryptoCodes),
        fc.bigInt({ min: 1n, max: 10n ** 20n }),
        rate,
        (usd, code, coins, quoted) => {
          let state = walletDecider.evolve(walletDecider.initialState(), {
            type: 'FundsDeposited',
            data: {
              userId: USER,
              currency: 'USD',
              amount: formatDecimal({ digits: usd, scale: 2 }),
              balance: formatDecimal({ digits: usd, scale: 2 }),
            },
          });
          const trade = { userId: USER, currency: code, amount: coins, quote: 'USD' as const };
          const bought = walletDecider.decide({ type: 'Buy', ...trade, rate: quoted }, state);
          if (bought.error) return; // too small, or more than the deposit pays for
          for (const event of bought.events) state = walletDecider.evolve(state, event);
          const sold = walletDecider.decide({ type: 'Sell', ...trade, rate: quoted }, state);
          for (const event of sold.events) state = walletDecider.evolve(state, event);
          expect(balanceOf(state, 'USD') <= usd).to.equal(true);
          expect(balanceOf(state, code)).to.equal(sold.error ? coins : 0n);
          expect(balancesOf(state).every(([, value]) => value > 0n)).to.equal(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
