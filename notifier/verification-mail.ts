import type { Mail } from '../ports/mailer.ts';
import type { VerificationMailRequest } from '../ports/mail-requests.ts';

export const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** The verification mail, as text and HTML; its id is the event's, so a resend is recognisable. */
export const renderVerificationMail = (request: VerificationMailRequest): Mail => {
  const minutes = Math.max(1, Math.round((Date.parse(request.expiresAt) - Date.now()) / 60_000));
  const expiry = new Date(request.expiresAt).toUTCString();
  return {
    id: request.eventId,
    to: request.to,
    subject: `Your Cambio verification code: ${request.code}`,
    text: [
      'Welcome to Cambio!',
      '',
      `Your verification code is ${request.code}.`,
      '',
      `Enter it within ${minutes} minutes (before ${expiry}) to finish creating your account.`,
      'If you did not ask for this, ignore this mail: no account is created without the code.',
    ].join('\n'),
    html: `<!doctype html><html><body style="font-family:sans-serif">
<h1>Welcome to Cambio!</h1>
<p>Your verification code is</p>
<p style="font-size:2em;letter-spacing:0.2em"><strong>${escapeHtml(request.code)}</strong></p>
<p>Enter it within ${minutes} minutes (before ${escapeHtml(expiry)}) to finish creating your account.</p>
<p style="color:#666">If you did not ask for this, ignore this mail: no account is created without the code.</p>
</body></html>`,
  };
};
