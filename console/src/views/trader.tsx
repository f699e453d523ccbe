import type { Features } from '../api/features.ts';
import type { HistoryEntry } from '../api/live.ts';
import type { Session } from '../api/session.ts';
import type { Market as MarketState } from '../live/market.ts';
import type { Wallet } from '../live/wallet.ts';
import { Balances } from './balances.tsx';
import { History } from './history.tsx';
import { Market } from './market.tsx';
import { Trade, type CommandAnswer } from './trade.tsx';

/** The trader's page: balances, prices, the money forms and the history. */
export const Trader = (props: {
  session: Session;
  market: MarketState;
  wallet: Wallet;
  features: Features | null;
  liveEntry: HistoryEntry | null;
  historyReloads: number;
  onAnswer: (answer: CommandAnswer) => void;
}) => (
  <div class="grid">
    <div class="column">
      <Balances wallet={props.wallet} market={props.market} />
      <Trade
        session={props.session}
        market={props.market}
        wallet={props.wallet}
        features={props.features}
        onAnswer={props.onAnswer}
      />
    </div>
    <div class="column">
      <Market market={props.market} />
      <History
        session={props.session}
        liveEntry={props.liveEntry}
        reloads={props.historyReloads}
        types={props.features?.historyTypes ?? null}
      />
    </div>
  </div>
);
