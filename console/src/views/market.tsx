import { Sparkline } from '../components/sparkline.tsx';
import type { Market as MarketState } from '../live/market.ts';
import { CRYPTO, currencyName, showPrice } from '../money.ts';

/** Live prices of every coin, each with the line of its recent prices. */
export const Market = ({ market }: { market: MarketState }) => (
  <section class="card" aria-labelledby="market-title">
    <h2 id="market-title">Prices</h2>
    {market.at === null ? (
      <p class="muted">Waiting for the first prices…</p>
    ) : (
      <>
        <p class="muted small">
          USD per coin, as of{' '}
          <time dateTime={market.at}>{new Date(market.at).toLocaleTimeString()}</time>
        </p>
        <ul class="market">
          {CRYPTO.filter((code) => market.prices[code]).map((code) => {
            const quote = market.prices[code];
            if (!quote) return null;
            return (
              <li key={code} data-coin={code}>
                <span class="code" title={currencyName(code)}>
                  {code}
                </span>
                <Sparkline values={quote.series} label={`${currencyName(code)} price`} />
                <span class="price" data-testid={`price-${code}`}>
                  {showPrice(quote.price)}
                </span>
              </li>
            );
          })}
        </ul>
      </>
    )}
  </section>
);
