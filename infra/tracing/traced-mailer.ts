import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Mailer } from '../../ports/mailer.ts';

const tracer = trace.getTracer('cambio');

/** Traces each hand-over to the transport: `mail send` (SMTP or the file outbox). */
export const tracedMailer = (mailer: Mailer, transport: string): Mailer => ({
  send: (mail) =>
    tracer.startActiveSpan(
      'mail send',
      {
        kind: SpanKind.CLIENT,
        attributes: { 'cambio.mail.id': mail.id, 'cambio.mail.transport': transport },
      },
      async (span) => {
        try {
          await mailer.send(mail);
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    ),
  close: () => mailer.close(),
});
