import type { Logger } from 'pino';
import type { RateSnapshot, RateSource } from '../../ports/rate-source.ts';
import { backoffDelayMs, parseRetryAfterMs } from './backoff.ts';
import type { BackoffPolicy } from './backoff.ts';
import { RATE_BASE } from './currencies.ts';
import { isDomainError } from '../../domain/errors.ts';
import { formatDecimal, parseDecimal, rationalFromDecimal } from '../../domain/money/index.ts';
import type { Rational } from '../../domain/money/index.ts';
import { movedMoreThan } from './rate-move.ts';
import { createListenerSet } from './listener-set.ts';

/**
 * Live rates from Coinbase's public `GET /v2/exchange-rates?currency=USD`, polled.
 *
 * Trust is per currency. A value that is missing, not a decimal, not positive, or more
 * than `maxMove` away from the last trusted value is not trusted: the last trusted value
 * stays in the snapshot. A failed request or a malformed body keeps the whole previous
 * snapshot.
 *
 * A snapshot's `at` is the time of its OLDEST rate, i.e. the start of the most recent
 * request whose answer was trusted for every currency in the snapshot. So if BTC keeps
 * being rejected, `at` stops advancing although the other rates refresh, and freshness
 * checks refuse to trade on it. A currency never trusted since start is absent from
 * `rates` (callers must check presence) and does not hold `at` back.
 *
 * A jump beyond `maxMove` is usually a glitch, but markets do crash: when the same new
 * level (each reading within `maxMove` of the previous one) is seen on `confirmJumpAfter`
 * polls in a row, it becomes trusted.
 */

export interface CoinbaseRateSourceOptions {
  /** Scheme and host, optionally a path prefix: `https://api.coinbase.com`. */
  baseUrl: string;
  /** Pause between successful polls. */
  intervalMs: number;
  /** Limit for a whole request, body included. */
  timeoutMs: number;
  /** Largest trusted move between two readings, a decimal fraction: "0.2" is 20%. */
  maxMove: string;
  /** Codes to keep from the payload. The base (USD) is always "1". */
  currencies: readonly string[];
  logger: Logger;
  clock?: () => Date;
  /** Ceiling of the backoff after failures; default the larger of intervalMs and 60 s. */
  maxBackoffMs?: number;
  /** Polls in a row that confirm a jump; 0 never trusts one. Default 3. */
  confirmJumpAfter?: number;
  /** Larger bodies are refused. Default 1 MiB (the real payload is ~10 KiB). */
  maxBodyBytes?: number;
  /** Jitter source for the backoff, [0, 1). */
  random?: () => number;
}

export type RateRejection = 'missing' | 'not_numeric' | 'not_positive' | 'jump';

export interface CoinbaseRateSourceStatus {
  lastAttemptAt: Date | null;
  /** The last request answered with a well-formed body. */
  lastSuccessAt: Date | null;
  consecutiveFailures: number;
  lastError: string | null;
  /** Currencies not trusted on the last well-formed answer, and why. */
  untrusted: Record<string, RateRejection>;
}

export interface CoinbaseRateSource extends RateSource {
  status(): CoinbaseRateSourceStatus;
}

interface TrustedRate {
  value: Rational;
  text: string;
  trustedAt: Date;
}

interface PendingJump {
  value: Rational;
  count: number;
}

type FetchOutcome =
  | { ok: true; body: string }
  | { ok: false; reason: string; retryAfterMs: number | null; stopped: boolean };

const CURRENCY_CODE = /^[A-Z0-9]{2,10}$/;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `rates` object of a well-formed answer for `base`, or null. */
const ratesOf = (body: string, base: string): Record<string, unknown> | null => {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return null;
  }
  if (!isRecord(payload) || !isRecord(payload.data)) return null;
  const { currency, rates } = payload.data;
  return currency === base && isRecord(rates) ? rates : null;
};

const describe = (raw: unknown): string =>
  typeof raw === 'string' ? raw.slice(0, 40) : raw === undefined ? 'absent' : typeof raw;

const readBody = async (response: Response, maxBytes: number): Promise<string> => {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new Error(`body of ${declared} bytes exceeds ${maxBytes}`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new Error(`body exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
};

/** The exact value and canonical text of rate text, or why it is not a usable rate. */
const readRate = (
  raw: unknown,
): { value: Rational; text: string } | 'not_numeric' | 'not_positive' => {
  if (typeof raw !== 'string') return 'not_numeric';
  try {
    const decimal = parseDecimal(raw, 'rate');
    return { value: rationalFromDecimal(decimal), text: formatDecimal(decimal) };
  } catch (error) {
    if (isDomainError(error) && error.code === 'rate_not_positive') return 'not_positive';
    if (isDomainError(error)) return 'not_numeric';
    throw error;
  }
};

const positiveInteger = (name: string, value: number): number => {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`coinbase rates: ${name} must be a positive integer, got ${value}`);
  }
  return value;
};

export const createCoinbaseRateSource = (
  options: CoinbaseRateSourceOptions,
): CoinbaseRateSource => {
  const { logger, clock = () => new Date(), confirmJumpAfter = 3 } = options;
  const base = RATE_BASE;
  const intervalMs = positiveInteger('intervalMs', options.intervalMs);
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs);
  const maxBodyBytes = positiveInteger(
    'maxBodyBytes',
    options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  );
  const backoff: BackoffPolicy = {
    // The first retry waits one to two intervals; later ones double up to the ceiling.
    initialMs: intervalMs * 2,
    maxMs: positiveInteger('maxBackoffMs', options.maxBackoffMs ?? Math.max(intervalMs, 60_000)),
    random: options.random ?? Math.random,
  };
  if (!Number.isSafeInteger(confirmJumpAfter) || confirmJumpAfter < 0) {
    throw new RangeError('coinbase rates: confirmJumpAfter must be a whole number');
  }
  const maxMoveRead = readRate(options.maxMove);
  if (typeof maxMoveRead === 'string') {
    throw new RangeError(
      `coinbase rates: maxMove must be a positive decimal, got ${options.maxMove}`,
    );
  }
  const maxMove = maxMoveRead.value;
  const currencies = [...new Set(options.currencies)];
  if (currencies.length === 0) throw new RangeError('coinbase rates: no currencies');
  const badCode = currencies.find((code) => !CURRENCY_CODE.test(code));
  if (badCode !== undefined) throw new RangeError(`coinbase rates: bad currency code ${badCode}`);
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v2/exchange-rates?currency=${base}`;
  try {
    new URL(url);
  } catch {
    throw new RangeError(`coinbase rates: bad baseUrl ${options.baseUrl}`);
  }

  const trusted = new Map<string, TrustedRate>();
  const pending = new Map<string, PendingJump>();
  const listeners = createListenerSet<RateSnapshot>((error) =>
    logger.error({ err: error }, 'rate tick listener failed'),
  );
  let latest: RateSnapshot | null = null;
  const status: CoinbaseRateSourceStatus = {
    lastAttemptAt: null,
    lastSuccessAt: null,
    consecutiveFailures: 0,
    lastError: null,
    untrusted: {},
  };
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let inflightRequest: AbortController | undefined;
  let inflightPoll: Promise<void> | undefined;

  const fetchBody = async (): Promise<FetchOutcome> => {
    const controller = new AbortController();
    inflightRequest = controller;
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      const response = await fetch(url, {
        signal: controller.signal,
        headers: { accept: 'application/json' },
      });
      if (!response.ok) {
        await response.body?.cancel();
        const retryAfterMs =
          response.status === 429 || response.status === 503
            ? parseRetryAfterMs(response.headers.get('retry-after'), clock())
            : null;
        return { ok: false, reason: `HTTP ${response.status}`, retryAfterMs, stopped: false };
      }
      return { ok: true, body: await readBody(response, maxBodyBytes) };
    } catch (error) {
      const reason = timedOut
        ? `no complete answer within ${timeoutMs} ms`
        : `request failed: ${error instanceof Error ? error.message : String(error)}`;
      return { ok: false, reason, retryAfterMs: null, stopped: !running && !timedOut };
    } finally {
      clearTimeout(deadline);
      inflightRequest = undefined;
    }
  };

  /** Whether to trust `raw` as the new rate for `code`; it may confirm a pending jump. */
  const judge = (code: string, raw: unknown, fetchedAt: Date): TrustedRate | RateRejection => {
    if (raw === undefined || raw === null) return 'missing';
    const read = readRate(raw);
    if (typeof read === 'string') return read;
    const candidate = { ...read, trustedAt: fetchedAt };
    const previous = trusted.get(code);
    if (!previous || !movedMoreThan(previous.value, read.value, maxMove)) return candidate;
    const jump = pending.get(code);
    const count = jump && !movedMoreThan(jump.value, read.value, maxMove) ? jump.count + 1 : 1;
    if (confirmJumpAfter === 0 || count < confirmJumpAfter) {
      pending.set(code, { value: read.value, count });
      return 'jump';
    }
    logger.warn(
      { currency: code, from: previous.text, to: read.text, polls: count },
      'rate jump confirmed; trusting the new level',
    );
    return candidate;
  };

  /** Trusts or rejects each currency of a well-formed answer; returns the rejections. */
  const apply = (
    rates: Record<string, unknown>,
    fetchedAt: Date,
  ): Record<string, RateRejection> => {
    const rejected: Record<string, RateRejection> = {};
    for (const code of currencies) {
      const raw = code === base ? '1' : Object.hasOwn(rates, code) ? rates[code] : undefined;
      const verdict = judge(code, raw, fetchedAt);
      if (typeof verdict !== 'string') {
        trusted.set(code, verdict);
        pending.delete(code);
        continue;
      }
      // A jump is confirmed only by consecutive readings; anything else breaks the streak.
      if (verdict !== 'jump') pending.delete(code);
      rejected[code] = verdict;
      const previous = trusted.get(code);
      logger.warn(
        {
          currency: code,
          reason: verdict,
          received: describe(raw),
          kept: previous?.text ?? null,
          keptSince: previous?.trustedAt.toISOString() ?? null,
        },
        'rate not trusted; keeping the last trusted value',
      );
    }
    return rejected;
  };
  const buildSnapshot = (): RateSnapshot | null => {
    const rates: Record<string, string> = {};
    let oldest: number | null = null;
    for (const code of currencies) {
      const rate = trusted.get(code);
      if (!rate) continue;
      rates[code] = rate.text;
      const time = rate.trustedAt.getTime();
      if (oldest === null || time < oldest) oldest = time;
    }
    if (oldest === null) return null;
    return Object.freeze({ base, rates: Object.freeze(rates), at: new Date(oldest) });
  };

  const sameSnapshot = (a: RateSnapshot | null, b: RateSnapshot): boolean =>
    a !== null &&
    a.at.getTime() === b.at.getTime() &&
    Object.keys(a.rates).length === Object.keys(b.rates).length &&
    Object.entries(b.rates).every(([code, rate]) => a.rates[code] === rate);

  const recordFailure = (reason: string, retryAfterMs: number | null): number => {
    status.consecutiveFailures += 1;
    status.lastError = reason;
    const delay = Math.max(backoffDelayMs(status.consecutiveFailures, backoff), retryAfterMs ?? 0);
    logger.warn(
      { reason, consecutiveFailures: status.consecutiveFailures, retryInMs: delay, retryAfterMs },
      'rate poll failed; keeping the previous snapshot',
    );
    return delay;
  };

  /** One request and its consequences; returns the delay before the next one. Never throws. */
  const poll = async (): Promise<number | null> => {
    const fetchedAt = clock();
    status.lastAttemptAt = fetchedAt;
    try {
      const outcome = await fetchBody();
      if (!outcome.ok) {
        return outcome.stopped ? null : recordFailure(outcome.reason, outcome.retryAfterMs);
      }
      const rates = ratesOf(outcome.body, base);
      if (rates === null) {
        return recordFailure(`malformed body: ${describe(outcome.body.slice(0, 40))}`, null);
      }
      if (status.consecutiveFailures > 0) {
        logger.info({ after: status.consecutiveFailures }, 'rate feed answering again');
      }
      status.consecutiveFailures = 0;
      status.lastError = null;
      status.lastSuccessAt = fetchedAt;
      status.untrusted = apply(rates, fetchedAt);
      const next = buildSnapshot();
      if (next && !sameSnapshot(latest, next)) {
        latest = next;
        listeners.emit(next);
      }
      return intervalMs;
    } catch (error) {
      // Nothing above should throw; if it does, keep polling rather than die silently.
      logger.error({ err: error }, 'rate poll crashed');
      return recordFailure(error instanceof Error ? error.message : String(error), null);
    }
  };

  const pollAndSchedule = async (): Promise<void> => {
    timer = undefined;
    const current = poll();
    inflightPoll = current.then(() => undefined);
    const delay = await current;
    inflightPoll = undefined;
    if (running && delay !== null) {
      timer = setTimeout(() => void pollAndSchedule(), delay);
      // The poller never holds the process open on its own; servers do that.
      timer.unref();
    }
  };

  return {
    async start() {
      if (running) return;
      running = true;
      await pollAndSchedule();
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      timer = undefined;
      inflightRequest?.abort();
      await inflightPoll;
    },
    latest: () => latest,
    onTick: (listener) => listeners.add(listener),
    status: () => ({ ...status, untrusted: { ...status.untrusted } }),
  };
};
