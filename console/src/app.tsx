import { useEffect, useState } from 'preact/hooks';
import { loadFeatures, type Features } from './api/features.ts';
import { connectLive, type HistoryEntry, type LiveStatus } from './api/live.ts';
import type { Session } from './api/session.ts';
import { emptyMarket, withRates, type Market } from './live/market.ts';
import { emptyWallet, withUpdate, type Wallet } from './live/wallet.ts';
import { Auditor } from './views/auditor.tsx';
import { Operator } from './views/operator.tsx';
import { SignIn } from './views/sign-in.tsx';
import { Trader } from './views/trader.tsx';

type View = 'trade' | 'audit' | 'operate';

const viewOf = (hash: string): View =>
  hash === '#/audit' ? 'audit' : hash === '#/operate' ? 'operate' : 'trade';

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

export const App = ({ session }: { session: Session }) => {
  const [state, setState] = useState(session.state());
  const [view, setView] = useState<View>(viewOf(location.hash));
  const [features, setFeatures] = useState<Features | null>(null);
  const [market, setMarket] = useState<Market>(emptyMarket);
  const [wallet, setWallet] = useState<Wallet>(emptyWallet);
  const [liveEntry, setLiveEntry] = useState<HistoryEntry | null>(null);
  const [historyReloads, setHistoryReloads] = useState(0);
  const [status, setStatus] = useState<LiveStatus>('connecting');

  useEffect(() => session.onChange(() => setState(session.state())), [session]);
  useEffect(() => {
    void session.restore();
    loadFeatures().then(setFeatures, () => setFeatures(null));
    const onHash = () => setView(viewOf(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, [session]);

  useEffect(() => {
    const live = connectLive(
      {
        onRates: (message) => setMarket((before) => withRates(before, message)),
        onWallet: (message) => {
          setWallet((before) => withUpdate(before, message));
          if (message.entry) setLiveEntry(message.entry);
          if (message.skipped) setHistoryReloads((n) => n + 1);
        },
        onStatus: setStatus,
        // Whatever happened while the socket was down is in the history: read it again.
        onReconnected: () => setHistoryReloads((n) => n + 1),
      },
      session.token(),
    );
    const stopTokens = session.onToken((token) => {
      if (token === null) setWallet(emptyWallet);
      live.setToken(token);
    });
    return () => {
      stopTokens();
      live.close();
    };
  }, [session]);

  if (state.status === 'restoring') {
    return (
      <main class="signin" id="main">
        <p role="status">Loading…</p>
      </main>
    );
  }
  if (state.status === 'signed-out') return <SignIn session={session} notice={state.notice} />;

  const { profile } = state;
  const canAudit = profile.roles.includes('auditor') || profile.roles.includes('admin');
  const canOperate = profile.roles.includes('admin');
  const shown: View =
    view === 'audit' && canAudit ? 'audit' : view === 'operate' && canOperate ? 'operate' : 'trade';
  const link = (to: View, label: string) => (
    <a href={`#/${to}`} aria-current={shown === to ? 'page' : undefined}>
      {label}
    </a>
  );

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Cambio</span>
        <nav aria-label="Views">
          {link('trade', 'Trade')}
          {canAudit ? link('audit', 'Audit') : null}
          {canOperate ? link('operate', 'Operate') : null}
        </nav>
        <span class={`live live-${status}`} role="status" data-testid="live-status">
          {STATUS_TEXT[status]}
        </span>
        <span class="who">{profile.name}</span>
        <button type="button" onClick={() => void session.logout()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <h1 class="visually-hidden">
          {shown === 'trade' ? 'Trade' : shown === 'audit' ? 'Audit' : 'Operate'}
        </h1>
        {shown === 'trade' ? (
          <Trader
            session={session}
            market={market}
            wallet={wallet}
            features={features}
            liveEntry={liveEntry}
            historyReloads={historyReloads}
            onAnswer={(answer) => setWallet((before) => withUpdate(before, answer))}
          />
        ) : shown === 'audit' ? (
          <Auditor session={session} features={features} />
        ) : (
          <Operator session={session} features={features} />
        )}
      </main>
    </>
  );
};
