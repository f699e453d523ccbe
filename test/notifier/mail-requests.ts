import { randomUUID } from 'node:crypto';
import type { VerificationMailRequest } from '../../ports/mail-requests.ts';

/** A verification mail request as the mail reaction enqueues it, with a fresh event id. */
export const verificationRequest = (
  overrides: Partial<VerificationMailRequest> = {},
): VerificationMailRequest => ({
  kind: 'verification',
  eventId: randomUUID(),
  to: 'ana@example.com',
  code: '482913',
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
  ...overrides,
});
