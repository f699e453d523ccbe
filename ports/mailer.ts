/** The mailer port: hands one rendered mail to a transport (file outbox or SMTP). */

export interface Mail {
  /** Stable id (the causing event's id): sending the same id twice must not duplicate. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** Resolves once the transport accepted the mail; rejects to ask for a retry. */
  send(mail: Mail): Promise<void>;
  close(): Promise<void>;
}
