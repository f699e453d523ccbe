/**
 * A small HTTP client for end-to-end tests: JSON in and out, the status and headers kept,
 * and the steps a newcomer takes (register, read the code from the mail, verify, log in).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A parsed JSON body; fields are `unknown` until a test looks at them. */
export type JsonRecord = Record<string, unknown>;

export interface HttpResponse<T = JsonRecord> {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or `{}` when the body was empty or not JSON. */
  body: T;
  /** The raw body. */
  text: string;
  /** The media type without parameters, e.g. `application/problem+json`. */
  contentType: string;
}

export interface RequestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
  /** A JSON value, serialised; or a string sent as it is. */
  body?: unknown;
}

/** An RFC 9457 problem as Cambio sends it. */
export interface Problem extends JsonRecord {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  requestId?: string;
  errors?: { field: string; message: string }[];
  field?: string;
}

export type Balances = Record<string, string>;

/** A decimal string as minor units at `scale` decimals, so tests add money exactly. */
export const toMinor = (decimal: string, scale: number): bigint => {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(decimal);
  const [, whole = '', fraction = ''] = match ?? [];
  if (match === null || fraction.length > scale) {
    throw new Error(`not a decimal with at most ${scale} places: ${decimal}`);
  }
  return BigInt(whole + fraction.padEnd(scale, '0'));
};

export interface WalletAnswer extends JsonRecord {
  status: boolean;
  balances: Balances;
  position: string;
  event: { id: string; type: string; data: JsonRecord };
  replayed: boolean;
}

export interface HistoryEntry extends JsonRecord {
  id: string;
  type: 'deposit' | 'withdrawal' | 'buy' | 'sell';
  currency: string;
  amount: string;
  position: string;
}

export interface HistoryPage extends JsonRecord {
  entries: HistoryEntry[];
  nextCursor: string | null;
}

export interface TokenPair extends JsonRecord {
  token: string;
  refreshToken: string;
  userId: string;
  expiresIn: number;
}

export interface HttpClient {
  request<T = JsonRecord>(
    method: string,
    path: string,
    options?: RequestOptions,
  ): Promise<HttpResponse<T>>;
  get<T = JsonRecord>(path: string, options?: RequestOptions): Promise<HttpResponse<T>>;
  post<T = JsonRecord>(
    path: string,
    body?: unknown,
    options?: RequestOptions,
  ): Promise<HttpResponse<T>>;
}

/** `baseUrl` may be a function, so a client follows a server that restarts on a new port. */
export const httpClient = (baseUrl: string | (() => string)): HttpClient => {
  const base = typeof baseUrl === 'string' ? () => baseUrl : baseUrl;
  const request = async <T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<HttpResponse<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
        headers['content-type'] = 'application/json';
      }
    }
    const response = await fetch(`${base()}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    let parsed: unknown = {};
    if (contentType.endsWith('json') && text !== '') parsed = JSON.parse(text);
    return {
      status: response.status,
      headers: response.headers,
      body: parsed as T,
      text,
      contentType,
    };
  };
  return {
    request,
    get: (path, options) => request('GET', path, options),
    post: (path, body, options) =>
      request('POST', path, { ...options, ...(body === undefined ? {} : { body }) }),
  };
};

/** A mail in the file outbox: who it is for and the verification code it carries. */
export interface OutboxMail {
  file: string;
  to: string;
  subject: string;
  code: string | null;
}

const headerOf = (head: string, name: string): string => {
  const match = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(head);
  return (match?.[1] ?? '').replace(/\r?\n[ \t]+/g, ' ').trim();
};

/** Every `.eml` in the outbox (temp files of a write in progress are not mails yet). */
export const readOutbox = async (outboxDir: string): Promise<OutboxMail[]> => {
  let names: string[];
  try {
    names = await readdir(outboxDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const mails: OutboxMail[] = [];
  for (const name of names.filter((n) => n.endsWith('.eml'))) {
    const content = await readFile(join(outboxDir, name), 'utf8');
    const head = content.split(/\r?\n\r?\n/, 1)[0] ?? '';
    const subject = headerOf(head, 'Subject');
    mails.push({
      file: name,
      to: headerOf(head, 'To'),
      subject,
      code: /verification code: (\d{6})/.exec(subject)?.[1] ?? null,
    });
  }
  return mails;
};

export const mailsTo = async (outboxDir: string, address: string): Promise<OutboxMail[]> =>
  (await readOutbox(outboxDir)).filter((mail) => mail.to === address);

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolvePromise) => setTimeout(resolvePromise, ms));

/** Polls until `probe` returns a value other than undefined, or fails after `timeoutMs`. */
export const eventually = async <T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
};

/** The code of the newest verification mail to `address`, waiting for it to arrive. */
export const verificationCode = (outboxDir: string, address: string): Promise<string> =>
  eventually(`a verification mail to ${address}`, async () => {
    const mails = await mailsTo(outboxDir, address);
    return mails.find((mail) => mail.code !== null)?.code ?? undefined;
  });

let users = 0;
/** A mail address no other test in this run uses. */
export const uniqueMail = (prefix = 'user'): string =>
  `${prefix}-${process.pid}-${++users}-${Date.now().toString(36)}@example.com`;

export interface NewUser extends TokenPair {
  mail: string;
  password: string;
}

const expectStatus = (response: HttpResponse<unknown>, status: number, step: string): void => {
  if (response.status !== status) {
    throw new Error(`${step}: expected ${status}, got ${response.status}: ${response.text}`);
  }
};

/** Register (code mailed) → read the code from the outbox → register with it → log in. */
export const registerAndLogin = async (
  client: HttpClient,
  outboxDir: string,
  person: { mail?: string; password?: string; name?: string; lastName?: string } = {},
): Promise<NewUser> => {
  const mail = person.mail ?? uniqueMail();
  const password = person.password ?? 'correct horse battery';
  const details = {
    name: person.name ?? 'Ada',
    lastName: person.lastName ?? 'Lovelace',
    mail,
    password,
  };
  expectStatus(await client.post('/api/user/register', details), 200, 'register');
  const verification = await verificationCode(outboxDir, mail);
  expectStatus(
    await client.post('/api/user/register', { ...details, verification }),
    201,
    'register with the code',
  );
  return { ...(await login(client, mail, password)), mail, password };
};

export const login = async (
  client: HttpClient,
  mail: string,
  password: string,
): Promise<TokenPair> => {
  const response = await client.post<TokenPair>('/api/user/login', { mail, password });
  expectStatus(response, 200, 'login');
  return response.body;
};
