import { isDomainError, type DomainErrorKind } from '../../domain/errors.ts';

/** An RFC 9457 problem detail, ready to send as application/problem+json. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/** An error that already knows its HTTP answer; thrown by the edge (auth, validation, ...). */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extensions: Record<string, unknown> = {},
    /** Extra response headers, e.g. Retry-After or WWW-Authenticate. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const STATUS_BY_KIND: Record<DomainErrorKind, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition: 412,
  rule: 422,
  too_many: 429,
  unavailable: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export const problemType = (code: string): string => `/problems/${code.replaceAll('_', '-')}`;

/**
 * An error body-parser raised about the request (http-errors shape): a `type` such as
 * `entity.too.large`, or a zlib error it marked `expose` with a 4xx status (a body that is not
 * the gzip, deflate or br its Content-Encoding claims).
 */
interface BodyParserError {
  type?: string;
  status: number;
  expose?: boolean;
  code?: string;
}

const isBodyParserError = (error: unknown): error is BodyParserError =>
  typeof error === 'object' &&
  error !== null &&
  typeof (error as BodyParserError).status === 'number' &&
  (typeof (error as BodyParserError).type === 'string' ||
    (error as BodyParserError).expose === true);

/**
 * A problem about one field (a domain rule names it as `field`) also lists it in `errors`, as
 * schema validation does, so clients read every field error from one place.
 */
const withFieldErrors = (
  detail: string,
  extensions: Record<string, unknown>,
): Record<string, unknown> =>
  typeof extensions.field === 'string' && extensions.errors === undefined
    ? { ...extensions, errors: [{ field: extensions.field, message: detail }] }
    : extensions;

/** Maps anything thrown to a problem; unknown errors become a bare 500 with no internals. */
export const toProblem = (
  error: unknown,
): { body: ProblemBody; headers: Record<string, string>; unexpected: boolean } => {
  const make = (
    status: number,
    code: string,
    detail: string,
    extensions: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) => ({
    body: {
      type: problemType(code),
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      code,
      ...withFieldErrors(detail, extensions),
    },
    headers,
    unexpected: false,
  });

  if (error instanceof HttpProblem) {
    return make(error.status, error.code, error.message, error.extensions, error.headers);
  }
  if (isDomainError(error)) {
    const status = STATUS_BY_KIND[error.kind];
    const headers: Record<string, string> = {};
    const retryAfter = error.details.retryAfterSeconds;
    if (typeof retryAfter === 'number') headers['Retry-After'] = String(Math.ceil(retryAfter));
    return make(status, error.code, error.message, error.details, headers);
  }
  if (isBodyParserError(error)) {
    if (error.type === 'entity.too.large') {
      return make(413, 'body_too_large', 'The request body is larger than this server accepts.');
    }
    if (error.type === 'entity.parse.failed') {
      return make(400, 'malformed_json', 'The request body is not valid JSON.');
    }
    if (error.type === 'encoding.unsupported' || error.type === 'charset.unsupported') {
      return make(415, 'unsupported_encoding', 'The request body encoding is not supported.');
    }
    if (typeof error.code === 'string' && error.code.startsWith('Z_')) {
      return make(
        400,
        'malformed_body',
        'The request body is not valid data of its Content-Encoding.',
      );
    }
    if (error.status >= 400 && error.status < 500) {
      return make(error.status, 'bad_request', 'The request could not be read.');
    }
  }
  return {
    ...make(500, 'internal', 'Something went wrong on our side; the request id helps us find it.'),
    unexpected: true,
  };
};
