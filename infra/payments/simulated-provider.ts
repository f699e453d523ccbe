import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type {
  Checkout,
  CheckoutRequest,
  PaymentCallback,
  PaymentProvider,
} from '../../ports/payment-provider.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signCallback } from './callback-signature.ts';

export interface SimulatedProviderOptions {
  /** Where to post callbacks; asked at each call, so it may be known only after listening. */
  callbackUrl: () => string;
  secret: Buffer | string;
  /** How long the simulated payer takes to pay. */
  delayMs: number;
  logger?: Logger;
  /** Attempts per callback until the server answers 2xx (a real provider retries for days). */
  attempts?: number;
}

/**
 * A payment provider that needs no outside service: every checkout is paid by a simulated payer
 * after `delayMs`, and the provider posts a signed `payment.succeeded` callback exactly as a
 * real one would, retrying with backoff until Cambio accepts it. Lives in the process that
 * created the checkout: a callback not yet sent when that process dies is never sent.
 */
export const createSimulatedProvider = (options: SimulatedProviderOptions): PaymentProvider => {
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const attempts = options.attempts ?? 5;

  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    timers.add(timer);
  };

  const post = async (callback: PaymentCallback, attempt: number): Promise<void> => {
    if (closed) return;
    const body = JSON.stringify(callback);
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const response = await fetch(options.callbackUrl(), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signCallback(options.secret, timestamp, body),
          [TIMESTAMP_HEADER]: timestamp,
        },
        body,
      });
      if (response.ok) return;
      throw new Error(`callback answered ${response.status}`);
    } catch (error) {
      if (attempt >= attempts) {
        options.logger?.error({ err: error, callbackId: callback.id }, 'payment callback given up');
        return;
      }
      later(options.delayMs * 2 ** attempt, () => void post(callback, attempt + 1));
    }
  };

  return {
    name: 'simulated',
    async createCheckout(request: CheckoutRequest): Promise<Checkout> {
      const checkoutReference = `sim_${randomUUID()}`;
      later(options.delayMs, () => {
        void post(
          {
            id: `evt_${randomUUID()}`,
            type: 'payment.succeeded',
            intentId: request.intentId,
            userId: request.userId,
            currency: request.currency,
            amount: request.amount,
            occurredAt: new Date().toISOString(),
          },
          1,
        );
      });
      return { checkoutReference };
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
};
