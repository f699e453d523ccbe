/**
 * Business rule violations, as typed data. Domain code returns or throws these; the HTTP
 * edge maps each `kind` to a status (validation 400, not_found 404, conflict 409,
 * precondition 412, rule 422, too_many 429, unavailable 503). Domain code never knows about HTTP.
 */
export type DomainErrorKind =
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition'
  | 'rule'
  | 'too_many'
  | 'unavailable';

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly kind: DomainErrorKind,
    /** Stable machine-readable code, e.g. `insufficient_funds`; becomes the problem type. */
    readonly code: string,
    message: string,
    /** Extra facts for the client (the field at fault, seconds to wait, ...). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;
