import { useEffect, useState } from 'preact/hooks';
import type { Features } from '../api/features.ts';
import { ApiProblem } from '../api/problem.ts';
import type { Session } from '../api/session.ts';
import { ProblemNotice, SuccessNotice } from '../components/notice.tsx';
import { Sparkline } from '../components/sparkline.tsx';

const POLL_MS = 2_000;

interface ProjectionStatus {
  projection: string;
  generation: number | null;
  position: string;
  head: string;
  lag: string;
  rebuilding: { generation: number; position: string; lag: string } | null;
}

interface ParkedMail {
  id: string;
  to: string | null;
  deliveries: number;
  error: string;
  parkedAt: string;
}

/** Each projection's position against the log's head, polled while the page is open. */
const Projections = ({ session }: { session: Session }) => {
  const [statuses, setStatuses] = useState<ProjectionStatus[] | null>(null);
  const [lagSeries, setLagSeries] = useState<Record<string, number[]>>({});
  const [error, setError] = useState<unknown>(null);
  const [checkedAt, setCheckedAt] = useState<Date | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const answer = await session.call<{ projections: ProjectionStatus[] }>(
          '/api/admin/projections',
        );
        if (stopped) return;
        setStatuses(answer.projections);
        setError(null);
        setCheckedAt(new Date());
        setLagSeries((before) => {
          const next = { ...before };
          for (const s of answer.projections) {
            // Lag is a count of events: a plotting coordinate, not money.
            next[s.projection] = [...(before[s.projection] ?? []), Number(s.lag)].slice(-30);
          }
          return next;
        });
      } catch (caught) {
        if (!stopped) setError(caught);
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [session]);

  return (
    <section class="card wide" aria-labelledby="projections-title">
      <h2 id="projections-title">Projections</h2>
      <ProblemNotice error={error} />
      {statuses ? (
        <div class="table-wrap">
          <table class="projections">
            <thead>
              <tr>
                <th scope="col">Projection</th>
                <th scope="col">Generation</th>
                <th scope="col">Position</th>
                <th scope="col">Head</th>
                <th scope="col">Lag</th>
                <th scope="col">Lag, last minute</th>
                <th scope="col">Rebuild</th>
              </tr>
            </thead>
            <tbody>
              {statuses.map((s) => (
                <tr key={s.projection} data-projection={s.projection}>
                  <td>{s.projection}</td>
                  <td>{s.generation ?? '—'}</td>
                  <td data-testid="projection-position">{s.position}</td>
                  <td>{s.head}</td>
                  <td class={s.lag === '0' ? 'ok' : 'warn'}>{s.lag}</td>
                  <td>
                    <Sparkline
                      values={lagSeries[s.projection] ?? []}
                      label={`${s.projection} lag`}
                    />
                  </td>
                  <td>
                    {s.rebuilding
                      ? `generation ${s.rebuilding.generation} at ${s.rebuilding.position} (${s.rebuilding.lag} to go)`
                      : 'none in progress'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {checkedAt ? (
        <p class="muted small">
          Checked {checkedAt.toLocaleTimeString()}, every {POLL_MS / 1000} s. Rebuild with{' '}
          <code>cambio projections rebuild</code>; its progress shows here.
        </p>
      ) : null}
    </section>
  );
};

const PARKED_PATH = '/api/admin/mail/parked';
const REPLAY_PATH = '/api/admin/mail/parked/{id}/replay';

/**
 * Mail the notifier gave up on, and putting it back on the queue. Asked for even when the
 * OpenAPI document does not list it: behind a gateway, that document is another role's, and
 * /api/admin/* may be served elsewhere. A 404 means this deployment does not serve it.
 */
const ParkedMailView = ({ session, features }: { session: Session; features: Features | null }) => {
  const listPath = features?.parkedMail?.path ?? PARKED_PATH;
  const replayPath = features?.replayParkedMail?.path ?? REPLAY_PATH;
  const [parked, setParked] = useState<ParkedMail[] | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    session.call<{ parked: ParkedMail[] }>(listPath).then(
      (answer) => {
        setParked(answer.parked);
        setUnavailable(false);
      },
      (caught: unknown) => {
        if (caught instanceof ApiProblem && caught.status === 404) setUnavailable(true);
        else setError(caught);
      },
    );
  }, [listPath, reloads, session]);

  const replayOne = async (id: string) => {
    setError(null);
    try {
      await session.call(replayPath.replace(/\{[^}]+\}|:[A-Za-z]+/, encodeURIComponent(id)), {
        method: 'POST',
      });
      setDone(`Mail ${id} is back on the queue.`);
      setReloads((n) => n + 1);
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <section class="card wide" aria-labelledby="parked-title">
      <h2 id="parked-title">Parked mail</h2>
      {unavailable ? (
        <p class="muted" data-testid="parked-unavailable">
          This server does not list parked mail (it is served where the notifier runs). From a
          shell: <code>cambio mail parked</code> and <code>cambio mail replay &lt;id&gt;</code>.
        </p>
      ) : (
        <>
          <button type="button" onClick={() => setReloads((n) => n + 1)}>
            Refresh the list
          </button>
          <ProblemNotice error={error} />
          <SuccessNotice text={done} />
          {parked && parked.length === 0 ? (
            <p class="muted" data-testid="parked-empty">
              No parked mail: every mail was delivered.
            </p>
          ) : null}
          {parked && parked.length > 0 ? (
            <ul class="parked">
              {parked.map((mail) => (
                <li key={mail.id}>
                  <div>
                    <strong>{mail.to ?? 'unknown recipient'}</strong> · {mail.deliveries} deliveries
                    · {new Date(mail.parkedAt).toLocaleString()}
                  </div>
                  <div class="small">{mail.error}</div>
                  <button type="button" onClick={() => void replayOne(mail.id)}>
                    Replay mail to {mail.to ?? mail.id}
                  </button>
                </li>
              ))}
            </ul>
          ) : null}
        </>
      )}
    </section>
  );
};

/** For operators: projections and parked mail. */
export const Operator = ({
  session,
  features,
}: {
  session: Session;
  features: Features | null;
}) => (
  <div class="stack">
    <Projections session={session} />
    <ParkedMailView session={session} features={features} />
  </div>
);
