import { useEffect, useMemo, useState } from 'preact/hooks';
import { TIME_PARAMETERS, type Features, type Operation } from '../api/features.ts';
import type { Session } from '../api/session.ts';
import { replayWallet, type AuditEvent } from '../audit/replay.ts';
import { ProblemNotice } from '../components/notice.tsx';

const PAGE = 25;
const WALLET_PREFIX = 'wallet-';

interface WalletReport {
  userId: string;
  events: number;
  balances: Record<string, string>;
  problems: { revision: string; eventId: string; problem: string }[];
}

const summary = (event: AuditEvent): string => {
  const data = event.data;
  const parts = ['currency', 'amount', 'cost', 'proceeds', 'price', 'mail', 'role']
    .filter((key) => typeof data[key] === 'string')
    .map((key) => `${key} ${String(data[key])}`);
  return parts.join(' · ');
};

const EventRows = (props: { events: AuditEvent[]; onStream?: (id: string) => void }) => (
  <div class="table-wrap">
    <table class="events">
      <thead>
        <tr>
          <th scope="col">Position</th>
          <th scope="col">Stream</th>
          <th scope="col">Rev</th>
          <th scope="col">Type</th>
          <th scope="col">At</th>
          <th scope="col">Data</th>
        </tr>
      </thead>
      <tbody>
        {props.events.map((event) => (
          <tr key={event.id}>
            <td>{event.position}</td>
            <td>
              {props.onStream ? (
                <button type="button" class="link" onClick={() => props.onStream?.(event.streamId)}>
                  {event.streamId}
                </button>
              ) : (
                event.streamId
              )}
            </td>
            <td>{event.revision}</td>
            <td>{event.type}</td>
            <td>
              {event.metadata.timestamp ? new Date(event.metadata.timestamp).toLocaleString() : ''}
            </td>
            <td class="data">{summary(event)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

/** The global log, page by page from any position. */
const EventLog = ({ session, onStream }: { session: Session; onStream: (id: string) => void }) => {
  const [after, setAfter] = useState('0');
  const [jump, setJump] = useState('0');
  const [previous, setPrevious] = useState<string[]>([]);
  const [page, setPage] = useState<{ events: AuditEvent[]; next: string } | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    setError(null);
    session
      .call<{ events: AuditEvent[]; next: string }>(
        `/api/audit/events?after=${after}&limit=${PAGE}`,
      )
      .then(setPage, setError);
  }, [after, session]);

  const go = (to: string, back = false) => {
    setPrevious(back ? previous.slice(0, -1) : [...previous, after]);
    setAfter(to);
  };

  return (
    <section class="card wide" aria-labelledby="log-title">
      <h2 id="log-title">Event log</h2>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (/^[0-9]+$/.test(jump)) go(jump);
        }}
      >
        <label for="log-after">Events after position</label>
        <input
          id="log-after"
          inputMode="numeric"
          value={jump}
          onInput={(e) => setJump(e.currentTarget.value)}
        />
        <button type="submit">Show</button>
      </form>
      <ProblemNotice error={error} />
      {page ? (
        <>
          <p class="muted small" role="status">
            {page.events.length === 0
              ? `No events after position ${after}.`
              : `Positions ${page.events[0]?.position} to ${page.next}`}
          </p>
          <EventRows events={page.events} onStream={onStream} />
          <div class="pager">
            <button
              type="button"
              disabled={previous.length === 0}
              onClick={() => go(previous[previous.length - 1] ?? '0', true)}
            >
              Previous page
            </button>
            <button
              type="button"
              disabled={page.events.length < PAGE}
              onClick={() => go(page.next)}
            >
              Next page
            </button>
          </div>
        </>
      ) : null}
    </section>
  );
};

/** The server's own wallet at one step, where it offers a point-in-time query. */
const ServerWalletAt = (props: {
  session: Session;
  operation: Operation;
  userId: string;
  event: AuditEvent;
}) => {
  const [balances, setBalances] = useState<Record<string, string> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const parameter = TIME_PARAMETERS.find((name) => props.operation.queryParameters.includes(name));
  useEffect(() => {
    if (parameter === undefined) return;
    const value = /position/i.test(parameter)
      ? props.event.position
      : (props.event.metadata.timestamp ?? '');
    const path = props.operation.path.replace(
      /\{[^}]+\}|:[A-Za-z]+/,
      encodeURIComponent(props.userId),
    );
    setError(null);
    props.session
      .call<{ balances?: Record<string, string> }>(
        `${path}?${new URLSearchParams({ [parameter]: value })}`,
      )
      .then((answer) => setBalances(answer.balances ?? null), setError);
  }, [props.event, parameter]);
  return (
    <div class="small" data-testid="server-wallet-at">
      <ProblemNotice error={error} />
      {balances ? (
        <>
          The server's replay at this point:{' '}
          {Object.entries(balances)
            .map(([code, amount]) => `${amount} ${code}`)
            .join(', ')}
        </>
      ) : null}
    </div>
  );
};

/** One stream's events; a wallet stream also replays, step by step, with a slider. */
const StreamView = (props: { session: Session; streamId: string; features: Features | null }) => {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [report, setReport] = useState<WalletReport | null>(null);
  const [step, setStep] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const userId = props.streamId.startsWith(WALLET_PREFIX)
    ? props.streamId.slice(WALLET_PREFIX.length)
    : null;

  useEffect(() => {
    setEvents(null);
    setReport(null);
    setError(null);
    const id = encodeURIComponent(props.streamId);
    props.session
      .call<{ events: AuditEvent[] }>(`/api/audit/streams/${id}?limit=1000`)
      .then((answer) => {
        setEvents(answer.events);
        setStep(Math.max(0, answer.events.length - 1));
      }, setError);
    if (userId !== null) {
      props.session
        .call<WalletReport>(`/api/audit/wallets/${encodeURIComponent(userId)}`)
        .then(setReport, setError);
    }
  }, [props.streamId, props.session]);

  const steps = useMemo(() => (userId !== null && events ? replayWallet(events) : []), [events]);
  const current = steps[Math.min(step, steps.length - 1)];

  return (
    <section class="card wide" aria-labelledby="stream-title">
      <h2 id="stream-title">
        Stream <code>{props.streamId}</code>
      </h2>
      <ProblemNotice error={error} />
      {report ? (
        <div
          class={`verdict ${report.problems.length === 0 ? 'ok' : 'bad'}`}
          role="status"
          data-testid="wallet-verdict"
        >
          {report.problems.length === 0
            ? `Replayed ${report.events} events on the server: every amount, rate and balance checks out.`
            : `Replayed ${report.events} events on the server: ${report.problems.length} discrepancies.`}
          {report.problems.map((p) => (
            <div key={p.eventId}>
              revision {p.revision}: {p.problem}
            </div>
          ))}
        </div>
      ) : null}
      {current ? (
        <div class="replay">
          <label for="replay-step">
            Wallet after event {step + 1} of {steps.length}
          </label>
          <input
            id="replay-step"
            type="range"
            min={0}
            max={steps.length - 1}
            value={step}
            onInput={(e) => setStep(Number(e.currentTarget.value))}
            aria-valuetext={`event ${step + 1}: ${current.event.type} at ${current.event.metadata.timestamp ?? ''}`}
          />
          <p class="small">
            {current.event.type} at position {current.event.position},{' '}
            {current.event.metadata.timestamp
              ? new Date(current.event.metadata.timestamp).toLocaleString()
              : ''}
          </p>
          <ul class="balances compact" data-testid="replay-balances">
            {Object.entries(current.balances).map(([code, amount]) => (
              <li key={code}>
                <span class="code">{code}</span> <span class="amount">{amount}</span>
              </li>
            ))}
          </ul>
          {current.problems.length > 0 ? (
            <p class="notice notice-error">{current.problems.join('; ')}</p>
          ) : null}
          {props.features?.walletAt && userId !== null ? (
            <ServerWalletAt
              session={props.session}
              operation={props.features.walletAt}
              userId={userId}
              event={current.event}
            />
          ) : (
            <p class="muted small">
              Replayed here from the stream's events. This server has no point-in-time wallet query
              yet; the slider will ask it once it does.
            </p>
          )}
        </div>
      ) : null}
      {events ? <EventRows events={events} /> : null}
    </section>
  );
};

/** The hash-chain check of the whole log, where the server offers one. */
const ChainCheck = ({ session, features }: { session: Session; features: Features | null }) => {
  const [result, setResult] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const operation = features?.verifyChain ?? null;
  return (
    <section class="card" aria-labelledby="chain-title">
      <h2 id="chain-title">Chain verification</h2>
      {operation === null ? (
        <p class="muted" data-testid="chain-unavailable">
          This server does not offer a chain verification yet.
        </p>
      ) : (
        <>
          <button
            type="button"
            onClick={() => {
              setError(null);
              session
                .call<Record<string, unknown>>(operation.path, {
                  method: operation.method === 'POST' ? 'POST' : 'GET',
                })
                .then(setResult, setError);
            }}
          >
            Verify the event log
          </button>
          <ProblemNotice error={error} />
          {result ? <pre class="result">{JSON.stringify(result, null, 2)}</pre> : null}
        </>
      )}
    </section>
  );
};

/** For auditors: the log, a stream, a wallet replay and the chain check. */
export const Auditor = ({ session, features }: { session: Session; features: Features | null }) => {
  const [streamId, setStreamId] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  return (
    <div class="stack">
      <EventLog session={session} onStream={setStreamId} />
      <section class="card" aria-labelledby="open-stream-title">
        <h2 id="open-stream-title">Open a stream</h2>
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (typed.trim()) setStreamId(typed.trim());
          }}
        >
          <label for="stream-id">Stream id (a wallet is wallet-&lt;user id&gt;)</label>
          <input id="stream-id" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
          <button type="submit">Open</button>
        </form>
      </section>
      {streamId ? <StreamView session={session} streamId={streamId} features={features} /> : null}
      <ChainCheck session={session} features={features} />
    </div>
  );
};
