/**
 * Mail requests the notifier gave up on, as operators see and replay them: the NATS parked
 * stream on the distributed bus, the delivery log's table embedded. Served to admins at
 * /api/admin/mail/parked where the notifier runs.
 */
export interface ParkedMailEntry {
  /** The parked request's id (the causing event's id, with a suffix once replayed). */
  id: string;
  /** The mail's own id and recipient, when the request could be read. */
  mailId: string | null;
  to: string | null;
  deliveries: number;
  error: string;
  /** ISO-8601. */
  parkedAt: string;
}

export interface ParkedMail {
  /** Every parked request, oldest first. */
  list(): Promise<ParkedMailEntry[]>;
  /**
   * Puts the request named by `id` (its id or its mail id) back on the mail queue; resolves
   * with what was replayed, empty when nothing parked has that id.
   */
  replay(id: string): Promise<ParkedMailEntry[]>;
  close(): Promise<void>;
}
