import { isCurrency } from '../../domain/money/index.ts';

/**
 * The `/ws` protocol (subprotocol `cambio.v1`): JSON text frames both ways.
 *
 * Client → server (`id`, a string or number, is optional and echoed in the reply):
 *   { "op": "auth", "token": "<access token>" }
 *   { "op": "subscribe", "channel": "rates", "currencies": ["BTC", "ETH"] }   (omit = all)
 *   { "op": "subscribe", "channel": "wallet" }                                (needs auth)
 *   { "op": "unsubscribe", "channel": "rates", "currencies": ["BTC"] }        (omit = all)
 *   { "op": "unsubscribe", "channel": "wallet" }
 *   { "op": "ping" }
 *
 * Server → client, each with a `type`:
 *   welcome, authenticated, subscribed, unsubscribed, pong, error (with a `code`),
 *   rates   { currency, rates, at }                       — the base and its rates
 *   wallet  { userId, balances, position, entry?, skipped? } — `skipped` counts updates
 *           replaced by this one while the client was not reading; refetch history then.
 *           Right after `subscribed` comes the wallet as it stands, without `entry` (position
 *           "0" for a wallet that never moved); then each update newer than the last sent.
 *
 * Instead of the `auth` op, a client may offer its token when connecting, as a second
 * subprotocol: `Sec-WebSocket-Protocol: cambio.v1, bearer.<token>`. The server answers with
 * `cambio.v1` only (the token is never echoed) and refuses the upgrade with 401 when the
 * token is not valid.
 */

export const PROTOCOL = 'cambio.v1';
export const BEARER_PROTOCOL_PREFIX = 'bearer.';

export type ErrorCode =
  | 'bad_message'
  | 'bad_request'
  | 'unknown_op'
  | 'unknown_channel'
  | 'unknown_currency'
  | 'unauthorized'
  | 'auth_required'
  | 'already_authenticated'
  | 'token_expired'
  | 'too_many_subscriptions'
  | 'too_many_requests'
  | 'not_subscribed'
  | 'unavailable';

export type Channel = 'rates' | 'wallet';
export type RequestId = string | number;

export type ClientRequest =
  | { op: 'auth'; id?: RequestId; token: string }
  | { op: 'subscribe'; id?: RequestId; channel: 'rates'; currencies: string[] | null }
  | { op: 'subscribe'; id?: RequestId; channel: 'wallet' }
  | { op: 'unsubscribe'; id?: RequestId; channel: 'rates'; currencies: string[] | null }
  | { op: 'unsubscribe'; id?: RequestId; channel: 'wallet' }
  | { op: 'ping'; id?: RequestId };

export interface ProtocolError {
  code: ErrorCode;
  message: string;
  id?: RequestId;
}

export type Parsed = { ok: true; request: ClientRequest } | ({ ok: false } & ProtocolError);

const MAX_TOKEN_LENGTH = 4096;
const MAX_ID_LENGTH = 64;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const fail = (code: ErrorCode, message: string, id?: RequestId): Parsed =>
  id === undefined ? { ok: false, code, message } : { ok: false, code, message, id };

const requestIdOf = (value: unknown): RequestId | undefined | null => {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.length <= MAX_ID_LENGTH) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  return null;
};

const currenciesOf = (
  value: unknown,
  max: number,
): { ok: true; currencies: string[] | null } | { ok: false; code: ErrorCode; message: string } => {
  if (value === undefined || value === null) return { ok: true, currencies: null };
  if (!Array.isArray(value) || value.length === 0 || value.length > max) {
    return {
      ok: false,
      code: 'bad_request',
      message: `currencies must be a list of 1 to ${max} currency codes, or left out for all`,
    };
  }
  const unknown = value.filter((code) => !isCurrency(code));
  if (unknown.length > 0) {
    return {
      ok: false,
      code: 'unknown_currency',
      message: `unknown currencies: ${unknown.map((code) => JSON.stringify(code).slice(0, 20)).join(', ')}`,
    };
  }
  return { ok: true, currencies: [...new Set(value as string[])].sort() };
};

/** Reads one text frame from a client; never throws. */
export const parseRequest = (text: string, maxCurrencies: number): Parsed => {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return fail('bad_message', 'messages must be JSON objects');
  }
  if (!isRecord(message)) return fail('bad_message', 'messages must be JSON objects');
  const id = requestIdOf(message.id);
  if (id === null) {
    return fail(
      'bad_request',
      `id must be a string of at most ${MAX_ID_LENGTH} characters or an integer`,
    );
  }
  const withId = <T extends object>(request: T): T & { id?: RequestId } =>
    id === undefined ? request : { ...request, id };

  switch (message.op) {
    case 'ping':
      return { ok: true, request: withId({ op: 'ping' }) };
    case 'auth': {
      const { token } = message;
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        return fail('bad_request', 'auth needs a token', id);
      }
      return { ok: true, request: withId({ op: 'auth', token }) };
    }
    case 'subscribe':
    case 'unsubscribe': {
      const op = message.op;
      if (message.channel === 'wallet') {
        return { ok: true, request: withId({ op, channel: 'wallet' }) };
      }
      if (message.channel !== 'rates') {
        return fail('unknown_channel', 'channel must be "rates" or "wallet"', id);
      }
      const parsed = currenciesOf(message.currencies, maxCurrencies);
      if (!parsed.ok) return fail(parsed.code, parsed.message, id);
      return { ok: true, request: withId({ op, channel: 'rates', currencies: parsed.currencies }) };
    }
    default:
      return fail('unknown_op', 'op must be one of auth, subscribe, unsubscribe, ping', id);
  }
};

export const errorMessage = (error: ProtocolError): string =>
  JSON.stringify({ type: 'error', ...error });

export const replyMessage = (
  type: string,
  id: RequestId | undefined,
  fields: Record<string, unknown> = {},
): string => JSON.stringify(id === undefined ? { type, ...fields } : { type, id, ...fields });

/** The token from `Sec-WebSocket-Protocol: cambio.v1, bearer.<token>`, if offered. */
export const bearerFromProtocols = (header: string | undefined): string | null => {
  if (header === undefined) return null;
  for (const offered of header.split(',')) {
    const value = offered.trim();
    if (value.startsWith(BEARER_PROTOCOL_PREFIX) && value.length > BEARER_PROTOCOL_PREFIX.length) {
      return value.slice(BEARER_PROTOCOL_PREFIX.length);
    }
  }
  return null;
};
