/** Who asked, and under which request: becomes the metadata of every event a command writes. */
export interface CommandContext {
  /** The acting user's id, or 'anonymous' before login, or 'system' for reactions. */
  actor: string;
  correlationId: string;
  /** The id of the request (or event) that caused this command. */
  causationId: string;
  /** When the command was received; deciders get it as `now`. */
  now: Date;
  /** The client's Idempotency-Key header, scoped to the command's stream. */
  idempotencyKey?: string;
  /** Hash of the request body, so a reused key with another body is told apart. */
  requestHash?: string;
  /**
   * Optimistic concurrency chosen by the client (HTTP If-Match): the command applies only to
   * the stream exactly at this revision, else it is refused as `precondition_failed` with no
   * effect. Checked after the Idempotency-Key replay, so a retry still gets its first answer.
   */
  expectedRevision?: bigint;
}
