/**
 * Whether a transport error is final for this one mail, so retrying cannot help and the
 * request is parked at once. SMTP says so with a 5xx reply to the mail's own commands
 * (sender, recipient, content). A 5xx to authentication or at the greeting is a problem of
 * the server or of our settings, not of the mail: those are retried like a 4xx or a broken
 * connection, so fixing the settings lets every waiting mail through without a replay.
 */

const MAIL_COMMANDS = new Set(['MAIL FROM', 'RCPT TO', 'DATA']);
/** nodemailer refuses some mails before talking to the server (no recipient, bad address). */
const REFUSED_BEFORE_SENDING = new Set(['EENVELOPE', 'EMESSAGE']);

interface SmtpErrorFields {
  code?: unknown;
  responseCode?: unknown;
  command?: unknown;
}

export const isPermanentMailError = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false;
  const { code, responseCode, command } = error as SmtpErrorFields;
  if (typeof responseCode === 'number') {
    return (
      responseCode >= 500 &&
      responseCode < 600 &&
      typeof command === 'string' &&
      MAIL_COMMANDS.has(command)
    );
  }
  return command === 'API' && typeof code === 'string' && REFUSED_BEFORE_SENDING.has(code);
};
