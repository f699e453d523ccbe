import { useMemo, useState } from 'preact/hooks';
import { createCommandAttempts } from '../api/command-attempt.ts';
import type { Features } from '../api/features.ts';
import { ApiProblem } from '../api/problem.ts';
import type { Session } from '../api/session.ts';
import { Field } from '../components/field.tsx';
import { ProblemNotice, SuccessNotice } from '../components/notice.tsx';
import type { Market } from '../live/market.ts';
import type { Wallet } from '../live/wallet.ts';
import { CRYPTO, estimate, FIAT, groupThousands, priceLimit, showPrice } from '../money.ts';

type Action = 'deposit' | 'withdraw' | 'buy' | 'sell' | 'transfer';

export interface CommandAnswer {
  balances: Record<string, string>;
  position: string;
  event?: { type: string; data: Record<string, unknown> };
}

const TOLERANCES = [
  { bps: 50, label: '0.5 %' },
  { bps: 100, label: '1 %' },
  { bps: 200, label: '2 %' },
  { bps: 500, label: '5 %' },
  { bps: -1, label: 'No protection' },
];

const RECIPIENT_FIELDS = ['to', 'toMail', 'recipient', 'recipientMail', 'mail', 'toUserId'];

const LABELS: Record<Action, string> = {
  deposit: 'Deposit',
  withdraw: 'Withdraw',
  buy: 'Buy',
  sell: 'Sell',
  transfer: 'Transfer',
};

const describeSuccess = (action: Action, answer: CommandAnswer, fallback: string): string => {
  const data = answer.event?.data ?? {};
  const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : '');
  switch (action) {
    case 'buy':
      return `Bought ${text('amount')} ${text('currency')} for ${text('cost')} USD at ${text('price')} USD each.`;
    case 'sell':
      return `Sold ${text('amount')} ${text('currency')} for ${text('proceeds')} USD at ${text('price')} USD each.`;
    default:
      return fallback;
  }
};

/** Deposit, withdraw, buy and sell (and transfer, where the server has it). */
export const Trade = (props: {
  session: Session;
  market: Market;
  wallet: Wallet;
  features: Features | null;
  onAnswer: (answer: CommandAnswer) => void;
}) => {
  const transfer = props.features?.transfer ?? null;
  const actions: Action[] = [
    'deposit',
    'withdraw',
    'buy',
    'sell',
    ...(transfer ? ['transfer' as const] : []),
  ];
  const [action, setAction] = useState<Action>('deposit');
  const [amount, setAmount] = useState('');
  const [fiat, setFiat] = useState('USD');
  const [coin, setCoin] = useState('BTC');
  const [tolerance, setTolerance] = useState(100);
  const [recipient, setRecipient] = useState('');
  const [transferCurrency, setTransferCurrency] = useState('USD');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const attempt = useMemo(createCommandAttempts, []);

  const quote = props.market.prices[coin]?.price;
  const side = action === 'sell' ? 'sell' : 'buy';
  const limit = quote && tolerance >= 0 ? priceLimit(quote, tolerance, side) : null;
  const estimated = quote ? estimate(amount.trim(), quote, side) : null;

  const commandOf = (): { path: string; body: Record<string, string> } => {
    const value = amount.trim();
    switch (action) {
      case 'deposit':
      case 'withdraw':
        return { path: `/api/user/wallet/${action}`, body: { amount: value, currency: fiat } };
      case 'buy':
        return {
          path: '/api/user/wallet/buy',
          body: { currency: coin, amount: value, ...(limit ? { maxPrice: limit } : {}) },
        };
      case 'sell':
        return {
          path: '/api/user/wallet/sell',
          body: { currency: coin, amount: value, ...(limit ? { minPrice: limit } : {}) },
        };
      case 'transfer': {
        const fields = transfer?.bodyFields ?? [];
        const to = RECIPIENT_FIELDS.find((name) => fields.includes(name)) ?? 'to';
        return {
          path: transfer?.path ?? '/api/user/wallet/transfer',
          body: {
            [to]: recipient.trim(),
            amount: value,
            ...(fields.includes('currency') ? { currency: transferCurrency } : {}),
          },
        };
      }
    }
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    const command = commandOf();
    try {
      const answer = await attempt(command, (key) =>
        props.session.call<CommandAnswer>(command.path, {
          body: command.body,
          idempotencyKey: key,
        }),
      );
      props.onAnswer(answer);
      setDone(
        describeSuccess(
          action,
          answer,
          `${LABELS[action]} of ${command.body.amount} ${command.body.currency ?? ''} done.`,
        ),
      );
      setAmount('');
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const problem = error instanceof ApiProblem ? error : null;
  const choose = (next: Action) => {
    setAction(next);
    setError(null);
    setDone(null);
  };

  return (
    <section class="card" aria-labelledby="trade-title">
      <h2 id="trade-title">Move money</h2>
      <div class="tabs" role="group" aria-label="What to do">
        {actions.map((name) => (
          <button
            key={name}
            type="button"
            aria-pressed={action === name}
            onClick={() => choose(name)}
          >
            {LABELS[name]}
          </button>
        ))}
      </div>
      <form onSubmit={submit} aria-label={LABELS[action]}>
        {action === 'transfer' ? (
          <Field id="trade-recipient" label="Recipient's e-mail" name="to" problem={problem}>
            {(describedBy, invalid) => (
              <input
                id="trade-recipient"
                type="email"
                required
                value={recipient}
                onInput={(e) => setRecipient(e.currentTarget.value)}
                aria-describedby={describedBy}
                aria-invalid={invalid}
              />
            )}
          </Field>
        ) : null}
        {action === 'buy' || action === 'sell' ? (
          <Field id="trade-coin" label="Coin" name="currency" problem={problem}>
            {(describedBy) => (
              <select
                id="trade-coin"
                value={coin}
                onChange={(e) => setCoin(e.currentTarget.value)}
                aria-describedby={describedBy}
              >
                {CRYPTO.map((code) => (
                  <option key={code} value={code}>
                    {code}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : action === 'transfer' ? (
          <Field id="trade-transfer-currency" label="Currency" name="currency" problem={problem}>
            {() => (
              <select
                id="trade-transfer-currency"
                value={transferCurrency}
                onChange={(e) => setTransferCurrency(e.currentTarget.value)}
              >
                {[...FIAT, ...CRYPTO].map((code) => (
                  <option key={code} value={code}>
                    {code}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : (
          <Field id="trade-fiat" label="Currency" name="currency" problem={problem}>
            {() => (
              <select id="trade-fiat" value={fiat} onChange={(e) => setFiat(e.currentTarget.value)}>
                {FIAT.map((code) => (
                  <option key={code} value={code}>
                    {code}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Field
          id="trade-amount"
          label={action === 'buy' || action === 'sell' ? `Amount of ${coin}` : 'Amount'}
          name="amount"
          problem={problem}
          hint={
            (action === 'buy' || action === 'sell') && quote ? (
              <>
                1 {coin} ≈ {showPrice(quote)} USD
                {estimated
                  ? ` · ${action === 'buy' ? 'cost' : 'proceeds'} ≈ ${groupThousands(estimated)} USD`
                  : ''}
              </>
            ) : undefined
          }
        >
          {(describedBy, invalid) => (
            <input
              id="trade-amount"
              inputMode="decimal"
              autocomplete="off"
              required
              pattern="[0-9]+([.][0-9]+)?"
              placeholder="0.00"
              value={amount}
              onInput={(e) => setAmount(e.currentTarget.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </Field>
        {action === 'buy' || action === 'sell' ? (
          <Field
            id="trade-tolerance"
            label="Price protection"
            name={action === 'buy' ? 'maxPrice' : 'minPrice'}
            problem={problem}
            hint={
              limit
                ? `Refused if 1 ${coin} ${action === 'buy' ? 'costs more' : 'fetches less'} than ${groupThousands(limit)} USD when the order arrives.`
                : 'The order fills at whatever the price is when it arrives.'
            }
          >
            {(describedBy) => (
              <select
                id="trade-tolerance"
                value={String(tolerance)}
                onChange={(e) => setTolerance(Number(e.currentTarget.value))}
                aria-describedby={describedBy}
              >
                {TOLERANCES.map((t) => (
                  <option key={t.bps} value={String(t.bps)}>
                    {t.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        <button class="primary" type="submit" disabled={busy}>
          {busy ? 'Working…' : LABELS[action]}
        </button>
      </form>
      <ProblemNotice error={error} />
      <SuccessNotice text={done} />
    </section>
  );
};
