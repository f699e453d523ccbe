import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { HistoryEntry } from '../api/live.ts';
import type { Session } from '../api/session.ts';
import { ProblemNotice } from '../components/notice.tsx';
import { currencies } from '../../../domain/money/index.ts';
import { groupThousands } from '../money.ts';

/** The types this release knows; the server's OpenAPI document may list more (transfers). */
const KNOWN_TYPES = ['deposit', 'withdrawal', 'buy', 'sell'];
const PAGE = 20;

interface Page {
  entries: HistoryEntry[];
  nextCursor: string | null;
}

const detailOf = (entry: HistoryEntry): string => {
  const text = (key: string) => (typeof entry[key] === 'string' ? (entry[key] as string) : null);
  const price = text('price');
  const quote = text('quoteCurrency') ?? 'USD';
  if (entry.type === 'buy' && text('cost')) return `paid ${text('cost')} ${quote} at ${price}`;
  if (entry.type === 'sell' && text('proceeds'))
    return `got ${text('proceeds')} ${quote} at ${price}`;
  const balance = text('balance');
  return balance ? `balance ${groupThousands(balance)}` : '';
};

/**
 * The wallet's transactions, newest first: filters, more pages as the list scrolls into view
 * (and a button for keyboards and screen readers), and new entries as they happen.
 */
export const History = (props: {
  session: Session;
  /** The newest entry pushed live, and a counter that asks for a full reload. */
  liveEntry: HistoryEntry | null;
  reloads: number;
  types: string[] | null;
}) => {
  const types = props.types ?? KNOWN_TYPES;
  const [type, setType] = useState('');
  const [currency, setCurrency] = useState('');
  const [entries, setEntries] = useState<HistoryEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [exhausted, setExhausted] = useState(false);
  const sentinel = useRef<HTMLDivElement>(null);
  const generation = useRef(0);

  const load = useCallback(
    async (from: string | null) => {
      const mine = generation.current;
      setLoading(true);
      setError(null);
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (type) query.set('type', type);
      if (currency) query.set('currency', currency);
      if (from) query.set('cursor', from);
      try {
        const page = await props.session.call<Page>(`/api/user/wallet/history?${query}`);
        if (mine !== generation.current) return;
        setEntries((before) => {
          const seen = new Set(before.map((e) => e.id));
          return [...(from ? before : []), ...page.entries.filter((e) => !from || !seen.has(e.id))];
        });
        setCursor(page.nextCursor);
        setExhausted(page.nextCursor === null);
      } catch (caught) {
        if (mine === generation.current) setError(caught);
      } finally {
        if (mine === generation.current) setLoading(false);
      }
    },
    [type, currency, props.session],
  );

  useEffect(() => {
    generation.current++;
    setEntries([]);
    setCursor(null);
    setExhausted(false);
    void load(null);
  }, [load, props.reloads]);

  useEffect(() => {
    const entry = props.liveEntry;
    if (!entry || (type && entry.type !== type) || (currency && entry.currency !== currency))
      return;
    setEntries((before) => (before.some((e) => e.id === entry.id) ? before : [entry, ...before]));
  }, [props.liveEntry]);

  useEffect(() => {
    const target = sentinel.current;
    if (!target || exhausted || loading || error) return;
    const observer = new IntersectionObserver((seen) => {
      if (seen.some((s) => s.isIntersecting) && cursor) void load(cursor);
    });
    observer.observe(target);
    return () => observer.disconnect();
  }, [cursor, exhausted, loading, error, load]);

  return (
    <section class="card history" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <div class="filters">
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">All</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Currency
          <select value={currency} onChange={(e) => setCurrency(e.currentTarget.value)}>
            <option value="">All</option>
            {currencies().map((c) => (
              <option key={c.code} value={c.code}>
                {c.code}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ProblemNotice error={error} />
      {entries.length === 0 && !loading && !error ? (
        <p class="muted">No transactions yet.</p>
      ) : null}
      <ol class="entries" aria-label="Transactions, newest first">
        {entries.map((entry) => (
          <li key={entry.id} class={`entry entry-${entry.type}`} data-type={entry.type}>
            <time dateTime={entry.at}>{new Date(entry.at).toLocaleString()}</time>
            <span class="kind">{entry.type}</span>
            <span class="amount">
              {groupThousands(entry.amount)} {entry.currency}
            </span>
            <span class="detail">{detailOf(entry)}</span>
          </li>
        ))}
      </ol>
      <div ref={sentinel} class="sentinel" aria-hidden="true" />
      {loading ? (
        <p class="muted" role="status">
          Loading…
        </p>
      ) : null}
      {!exhausted && !loading && cursor ? (
        <button type="button" onClick={() => void load(cursor)}>
          Load older transactions
        </button>
      ) : null}
      {exhausted && entries.length > 0 ? <p class="muted small">That is everything.</p> : null}
    </section>
  );
};
