import { hkdfSync } from 'node:crypto';
import type { Logger } from 'pino';
import type { Keys } from '../auth/secrets.ts';
import type { Config } from '../config/settings.ts';
import type { PaymentProvider } from '../../ports/payment-provider.ts';
import { createSimulatedProvider } from './simulated-provider.ts';

/** The configured callback secret, or one derived from the server's keys (HKDF, own purpose). */
export const paymentCallbackSecret = (config: Config, keys: Keys): Buffer | string =>
  config.paymentCallbackSecret !== ''
    ? config.paymentCallbackSecret
    : Buffer.from(hkdfSync('sha256', keys.verificationCode, 'cambio', 'payment-callback', 32));

/** The provider adapter chosen by configuration; `ownUrl` is this process's base URL. */
export const openPaymentProvider = (
  config: Config,
  secret: Buffer | string,
  ownUrl: () => string,
  logger: Logger,
): PaymentProvider =>
  createSimulatedProvider({
    callbackUrl: () => `${ownUrl()}/api/payments/callback`,
    secret,
    delayMs: config.paymentSimulatedDelayMs,
    logger: logger.child({ component: 'payment-provider' }),
  });
