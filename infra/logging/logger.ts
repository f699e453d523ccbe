import { pino, type Logger } from 'pino';
import { traceLogFields } from '../tracing/log-fields.ts';

export type { Logger };

/** JSON logs on stdout; every line names the role so a shared log stream can be split. */
export const createLogger = (options: { level: string; role: string }): Logger =>
  pino({
    level: options.level,
    base: { service: 'cambio', role: options.role },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: traceLogFields,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.password',
        '*.refreshToken',
        '*.verification',
      ],
      censor: '[redacted]',
    },
  });
