import type { Mail } from '../ports/mailer.ts';
import type {
  RegistrationAttemptMailRequest,
  SignInLockedMailRequest,
} from '../ports/mail-requests.ts';
import { escapeHtml } from './verification-mail.ts';

const page = (title: string, paragraphs: string[]): string =>
  `<!doctype html><html><body style="font-family:sans-serif">
<h1>${escapeHtml(title)}</h1>
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
</body></html>`;

const mail = (id: string, to: string, subject: string, title: string, lines: string[]): Mail => ({
  id,
  to,
  subject,
  text: [title, '', ...lines.flatMap((line) => [line, ''])].join('\n').trimEnd(),
  html: page(title, lines),
});

/**
 * Sent instead of a verification code when someone registers with an address that already has
 * an account: the answer to the registration is the same as for a new address (no account
 * enumeration), and the owner learns of the attempt.
 */
export const renderRegistrationAttemptMail = (request: RegistrationAttemptMailRequest): Mail =>
  mail(
    request.eventId,
    request.to,
    'Someone tried to register a Cambio account with your address',
    'You already have a Cambio account',
    [
      `At ${new Date(request.at).toUTCString()} someone asked to create a new Cambio account with this address. You already have one, so no code was sent and nothing changed.`,
      'If it was you, sign in with your password instead.',
      'If it was not you, you need not do anything; your account is safe.',
    ],
  );

/** Sent when wrong passwords lock an account's sign-in. */
export const renderSignInLockedMail = (request: SignInLockedMailRequest): Mail =>
  mail(
    request.eventId,
    request.to,
    'Sign-in to your Cambio account was locked',
    'Sign-in to your Cambio account is locked for a while',
    [
      `Someone entered a wrong password for your account ${request.failures} times in a short while, so sign-in is locked until ${new Date(request.until).toUTCString()}.`,
      'If it was you, wait until then and sign in again.',
      'If it was not you, someone may be guessing your password: choose a long, unique one when you next sign in.',
    ],
  );
