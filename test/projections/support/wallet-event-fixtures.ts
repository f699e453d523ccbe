import { randomUUID } from 'node:crypto';
import type {
  EventMetadata,
  EventStore,
  EventToAppend,
  JsonObject,
} from '../../../ports/event-store.ts';
import { currency as currencyOf } from '../../../domain/money/currency.ts';
import { formatAmount } from '../../../domain/money/decimal.ts';
import { integerBetween, mulberry32 } from '../../../infra/rates/prng.ts';

/**
 * Realistic registration, account and wallet events for projection tests and the benchmark,
 * in the shapes of domain/user and domain/wallet, with balances that add up. Seeded, so two
 * runs with one seed produce the same log (ids included).
 */

export interface StreamEvents {
  streamId: string;
  events: EventToAppend[];
}

export interface FixtureOptions {
  users: number;
  /** Wallet events in total (deposits, withdrawals, buys, sells), spread over the users. */
  walletEvents: number;
  seed?: number;
  /** First user number, so several calls can add users without clashing. Default 0. */
  firstUser?: number;
}

const CRYPTO = ['BTC', 'ETH', 'SOL'] as const;
// Units of crypto per 1 USD, and USD per whole unit, roughly: enough to look like a market.
const RATES: Record<(typeof CRYPTO)[number], { rate: string; price: bigint }> = {
  BTC: { rate: '0.0000163', price: 6134969n },
  ETH: { rate: '0.00029', price: 344828n },
  SOL: { rate: '0.0069', price: 14493n },
};

const USD = currencyOf('USD');
const START = Date.parse('2026-01-01T00:00:00.000Z');

export const fixtureUserId = (n: number): string => `user-${String(n).padStart(6, '0')}`;

/** Deterministic UUID-shaped ids, so seeded runs are identical. */
const idMaker = (seed: number) => {
  const next = mulberry32(seed ^ 0x5eed);
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return () => {
    const a = hex(next());
    const b = hex(next());
    const c = hex(next());
    const d = hex(next());
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-8${c.slice(1, 4)}-${c.slice(4)}${d}`;
  };
};

export const generateFixtureStreams = (options: FixtureOptions): StreamEvents[] => {
  const seed = options.seed ?? 7;
  const first = options.firstUser ?? 0;
  const random = mulberry32(seed);
  const nextId = idMaker(seed);
  let clock = START + first * 1000;
  const metadata = (actor: string, correlationId = nextId()): EventMetadata => {
    clock += 1000;
    return {
      correlationId,
      causationId: correlationId,
      actor,
      schemaVersion: 1,
      timestamp: new Date(clock).toISOString(),
    };
  };
  const event = (type: string, data: JsonObject, meta: EventMetadata): EventToAppend => ({
    id: nextId(),
    type,
    data,
    metadata: meta,
  });

  const streams: StreamEvents[] = [];
  const wallets: {
    userId: string;
    usd: bigint;
    crypto: Map<string, bigint>;
    events: EventToAppend[];
  }[] = [];
  for (let n = first; n < first + options.users; n++) {
    const userId = fixtureUserId(n);
    const mail = `${userId}@example.com`;
    const registeredAt = new Date(clock).toISOString();
    const registration = metadata('anonymous');
    streams.push({
      streamId: `registration-${mail}`,
      events: [
        event(
          'RegistrationCompleted',
          {
            mail,
            userId,
            name: `Name${n}`,
            lastName: `Last${n}`,
            passwordHash: '$2b$04$fixture',
            registeredAt,
          },
          registration,
        ),
      ],
    });
    const account = metadata('system', registration.correlationId);
    const roles = [
      event(
        'RoleGranted',
        { userId, role: 'user', grantedBy: 'system', grantedAt: registeredAt },
        account,
      ),
    ];
    if (n % 10 === 0) {
      roles.push(
        event(
          'RoleGranted',
          { userId, role: 'auditor', grantedBy: 'system', grantedAt: registeredAt },
          account,
        ),
      );
    }
    streams.push({
      streamId: `user-${userId}`,
      events: [
        event(
          'UserRegistered',
          { userId, mail, name: `Name${n}`, lastName: `Last${n}`, registeredAt },
          account,
        ),
        ...roles,
      ],
    });
    wallets.push({ userId, usd: 0n, crypto: new Map(), events: [] });
  }

  for (let i = 0; i < options.walletEvents; i++) {
    const wallet = wallets[integerBetween(random, 0, wallets.length - 1)];
    if (!wallet) break;
    const { userId } = wallet;
    const meta = metadata(userId);
    const roll = integerBetween(random, 0, 99);
    const held = [...wallet.crypto].filter(([, amount]) => amount > 0n);
    if (wallet.usd < 10_000n || roll < 30) {
      const amount = BigInt(integerBetween(random, 1000, 500_000));
      wallet.usd += amount;
      wallet.events.push(
        event(
          'FundsDeposited',
          {
            userId,
            currency: 'USD',
            amount: formatAmount(amount, USD),
            balance: formatAmount(wallet.usd, USD),
          },
          meta,
        ),
      );
    } else if (roll < 45) {
      const amount = BigInt(integerBetween(random, 1, Number(wallet.usd / 4n)));
      wallet.usd -= amount;
      wallet.events.push(
        event(
          'FundsWithdrawn',
          {
            userId,
            currency: 'USD',
            amount: formatAmount(amount, USD),
            balance: formatAmount(wallet.usd, USD),
          },
          meta,
        ),
      );
    } else if (roll < 75 || held.length === 0) {
      const code = CRYPTO[integerBetween(random, 0, CRYPTO.length - 1)] as (typeof CRYPTO)[number];
      const unit = currencyOf(code);
      const cost = BigInt(integerBetween(random, 100, Number(wallet.usd / 2n)));
      const amount = (cost * 10n ** BigInt(unit.scale)) / RATES[code].price;
      wallet.usd -= cost;
      const balance = (wallet.crypto.get(code) ?? 0n) + amount;
      wallet.crypto.set(code, balance);
      wallet.events.push(
        event(
          'CryptoBought',
          {
            userId,
            currency: code,
            amount: formatAmount(amount, unit),
            quoteCurrency: 'USD',
            cost: formatAmount(cost, USD),
            rate: RATES[code].rate,
            rateAt: meta.timestamp,
            price: formatAmount(RATES[code].price, USD),
            balances: { USD: formatAmount(wallet.usd, USD), [code]: formatAmount(balance, unit) },
          },
          meta,
        ),
      );
    } else {
      const [code, holding] = held[integerBetween(random, 0, held.length - 1)] as [string, bigint];
      const unit = currencyOf(code);
      const amount = holding / 2n > 0n ? holding / 2n : holding;
      const price = RATES[code as (typeof CRYPTO)[number]].price;
      const proceeds = (amount * price) / 10n ** BigInt(unit.scale);
      wallet.usd += proceeds;
      wallet.crypto.set(code, holding - amount);
      wallet.events.push(
        event(
          'CryptoSold',
          {
            userId,
            currency: code,
            amount: formatAmount(amount, unit),
            quoteCurrency: 'USD',
            proceeds: formatAmount(proceeds, USD),
            rate: RATES[code as (typeof CRYPTO)[number]].rate,
            rateAt: meta.timestamp,
            price: formatAmount(price, USD),
            balances: {
              USD: formatAmount(wallet.usd, USD),
              [code]: formatAmount(holding - amount, unit),
            },
          },
          meta,
        ),
      );
    }
  }
  for (const wallet of wallets) {
    if (wallet.events.length > 0)
      streams.push({ streamId: `wallet-${wallet.userId}`, events: wallet.events });
  }
  return streams;
};

/** An event of a type no read model knows (a later feature), to check it is skipped. */
export const unknownEvent = (): EventToAppend => {
  const correlationId = randomUUID();
  return {
    id: randomUUID(),
    type: 'TransferRequested',
    data: { transferId: randomUUID(), amount: '1.00' },
    metadata: {
      correlationId,
      causationId: correlationId,
      actor: 'system',
      schemaVersion: 1,
      timestamp: new Date(START).toISOString(),
    },
  };
};

/**
 * Appends every stream's events, interleaving streams so that the log mixes users the way
 * live traffic does. `chunk` events per stream go in one append; many appends are in flight
 * at once, so the store's group commit batches them.
 */
export const appendFixtureStreams = async (
  eventStore: EventStore,
  streams: readonly StreamEvents[],
  options: { chunk?: number; inFlight?: number } = {},
): Promise<void> => {
  const chunk = options.chunk ?? 1;
  const inFlight = options.inFlight ?? 256;
  const cursors = streams.map((stream) => ({ stream, next: 0 }));
  const appends: { streamId: string; events: EventToAppend[] }[] = [];
  let remaining = cursors.length;
  while (remaining > 0) {
    remaining = 0;
    for (const cursor of cursors) {
      if (cursor.next >= cursor.stream.events.length) continue;
      appends.push({
        streamId: cursor.stream.streamId,
        events: cursor.stream.events.slice(cursor.next, cursor.next + chunk),
      });
      cursor.next += chunk;
      if (cursor.next < cursor.stream.events.length) remaining += 1;
    }
  }
  // Appends to one stream stay in order: only one per stream is in flight at a time.
  for (let i = 0; i < appends.length;) {
    const wave: typeof appends = [];
    const streamsInWave = new Set<string>();
    while (i < appends.length && wave.length < inFlight) {
      const next = appends[i] as (typeof appends)[number];
      if (streamsInWave.has(next.streamId)) break;
      streamsInWave.add(next.streamId);
      wave.push(next);
      i += 1;
    }
    await Promise.all(
      wave.map(({ streamId, events }) =>
        eventStore.append(streamId, events, { expectedRevision: 'any' }),
      ),
    );
  }
};
