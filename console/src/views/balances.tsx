import type { Market } from '../live/market.ts';
import type { Wallet } from '../live/wallet.ts';
import { currencyName, estimate, FIAT, groupThousands, isZero } from '../money.ts';

const RECENT_MS = 2_000;

/** Every balance held, fiat first, with the USD value of coins at the live price. */
export const Balances = ({ wallet, market }: { wallet: Wallet; market: Market }) => {
  const held = Object.entries(wallet.balances)
    .filter(([, amount]) => !isZero(amount))
    .sort(
      ([a], [b]) => Number(!FIAT.includes(a)) - Number(!FIAT.includes(b)) || a.localeCompare(b),
    );
  const now = Date.now();
  return (
    <section class="card" aria-labelledby="balances-title">
      <h2 id="balances-title">Balances</h2>
      {wallet.position === '-1' ? (
        <p class="muted">Loading your wallet…</p>
      ) : held.length === 0 ? (
        <p class="muted">Nothing here yet: start with a deposit.</p>
      ) : (
        <ul class="balances" aria-live="polite">
          {held.map(([code, amount]) => {
            const price = market.prices[code]?.price;
            const value = price ? estimate(amount, price, 'sell') : null;
            const recent = now - (wallet.changed[code] ?? 0) < RECENT_MS;
            return (
              <li key={code} class={recent ? 'moved' : ''} data-currency={code}>
                <span class="code">{code}</span>
                <span class="name">{currencyName(code)}</span>
                <span class="amount" data-testid={`balance-${code}`}>
                  {groupThousands(amount)}
                </span>
                <span class="value">{value ? `≈ ${groupThousands(value)} USD` : ''}</span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
};
