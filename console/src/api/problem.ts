/**
 * What went wrong, as the API said it (application/problem+json), and how to say it to a
 * person: a headline per known code, the server's own detail, and errors by field.
 */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    /** Field name → message, from the problem's `errors`. */
    readonly fields: Record<string, string> = {},
    /** Seconds to wait, from Retry-After. */
    readonly retryAfter: number | null = null,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

const HEADLINES: Record<string, string> = {
  network: 'Cannot reach Cambio',
  insufficient_funds: 'Not enough funds',
  price_moved: 'The price moved past your limit',
  rates_stale: 'Prices are out of date',
  rates_unavailable: 'No prices yet',
  rate_unavailable: 'No price for this coin',
  balance_limit_exceeded: 'Balance limit reached',
  amount_too_large: 'Amount too large',
  amount_too_precise: 'Too many decimals',
  validation_failed: 'Please check the highlighted fields',
  invalid_credentials: 'Wrong e-mail or password',
  mail_taken: 'That e-mail already has an account',
  user_exists: 'That e-mail already has an account',
  verification_failed: 'That code is not right',
  verification_expired: 'That code has expired',
  verification_blocked: 'Too many wrong codes',
  verification_not_requested: 'Ask for a code first',
  resend_too_soon: 'A code was sent a moment ago',
  too_many_requests: 'Too many attempts',
  concurrent_modification: 'Something changed at the same time',
  idempotency_key_in_use: 'Still working on your previous request',
  invalid_refresh_token: 'Your session ended',
  refresh_token_expired: 'Your session ended',
  refresh_token_reused: 'Your session ended',
  session_revoked: 'Your session ended',
  unauthorized: 'Please sign in again',
  forbidden: 'Not allowed',
  not_found: 'Not available on this server',
};

const BY_STATUS: Record<number, string> = {
  400: 'The request was not accepted',
  401: 'Please sign in again',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Something changed at the same time',
  422: 'Not possible',
  429: 'Too many attempts',
  503: 'Temporarily unavailable',
};

/** What a person should read about a problem: a headline and a sentence of what to do. */
export const describeProblem = (error: unknown): { headline: string; detail: string } => {
  if (!(error instanceof ApiProblem)) {
    return { headline: 'Something went wrong', detail: String(error) };
  }
  const headline = HEADLINES[error.code] ?? BY_STATUS[error.status] ?? 'Something went wrong';
  const wait = error.retryAfter === null ? '' : ` Try again in ${Math.max(1, error.retryAfter)} s.`;
  return { headline, detail: `${error.detail}${wait}` };
};

interface ProblemJson {
  code?: unknown;
  type?: unknown;
  detail?: unknown;
  title?: unknown;
  errors?: unknown;
  [extension: string]: unknown;
}

const codeOf = (body: ProblemJson, status: number): string => {
  if (typeof body.code === 'string') return body.code;
  if (typeof body.type === 'string') return body.type.replace(/^.*\//, '').replaceAll('-', '_');
  return `http_${status}`;
};

/** Turns a failed response into an ApiProblem, whatever its body. */
export const problemFrom = async (response: Response): Promise<ApiProblem> => {
  let body: ProblemJson = {};
  try {
    body = (await response.json()) as ProblemJson;
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  const fields: Record<string, string> = {};
  if (Array.isArray(body.errors)) {
    for (const entry of body.errors as { field?: unknown; message?: unknown }[]) {
      if (typeof entry.field === 'string' && typeof entry.message === 'string') {
        fields[entry.field.replace(/^\//, '')] ??= entry.message;
      }
    }
  }
  const retryAfter = Number(response.headers.get('Retry-After') ?? NaN);
  const detail =
    typeof body.detail === 'string'
      ? body.detail
      : typeof body.title === 'string'
        ? body.title
        : `The server answered ${response.status}.`;
  return new ApiProblem(
    response.status,
    codeOf(body, response.status),
    detail,
    fields,
    Number.isFinite(retryAfter) ? retryAfter : null,
    body,
  );
};

export const networkProblem = (): ApiProblem =>
  new ApiProblem(0, 'network', 'Check your connection; nothing was changed by this attempt.');
