/**
 * The payment-provider port: where deposits through a provider start. The provider later calls
 * back (POST /api/payments/callback) with a signed PaymentCallback; Cambio records it before
 * answering and credits from the record, so the port itself has no callback method.
 */

export interface CheckoutRequest {
  /**
   * Cambio's id of the deposit intent; the provider echoes it in every callback. Also the
   * provider's idempotency key: a retried request asks for the same intent again.
   */
  intentId: string;
  userId: string;
  currency: string;
  /** Decimal text in `currency`. */
  amount: string;
}

export interface Checkout {
  /** The provider's reference for the payment (what the payer completes). */
  checkoutReference: string;
  /** Where the payer goes to pay, when the provider has a hosted page. */
  checkoutUrl?: string;
}

export interface PaymentProvider {
  /** Recorded on every intent, e.g. `simulated`. */
  readonly name: string;
  createCheckout(request: CheckoutRequest): Promise<Checkout>;
  close(): Promise<void>;
}

export const PAYMENT_CALLBACK_TYPES = [
  'payment.succeeded',
  'payment.failed',
  'payment.expired',
] as const;
export type PaymentCallbackType = (typeof PAYMENT_CALLBACK_TYPES)[number];

/** What a provider posts to the callback route (an adapter for a real provider maps to it). */
export interface PaymentCallback {
  /** The provider's id of this notification: the same id again is a replay. */
  id: string;
  type: PaymentCallbackType;
  intentId: string;
  userId: string;
  currency: string;
  /** Decimal text: what the provider collected. */
  amount: string;
  /** ISO-8601 instant the provider observed the outcome. */
  occurredAt: string;
}

const TEXT = /^[\x21-\x7e]{1,200}$/;

/** The callback in `body`, or a list of what is wrong with it. */
export const parsePaymentCallback = (body: unknown): PaymentCallback | string[] => {
  if (typeof body !== 'object' || body === null) return ['body must be a JSON object'];
  const record = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of ['id', 'intentId', 'userId', 'currency', 'amount', 'occurredAt']) {
    const value = record[field];
    if (typeof value !== 'string' || !TEXT.test(value)) problems.push(`${field} must be text`);
  }
  if (!(PAYMENT_CALLBACK_TYPES as readonly unknown[]).includes(record.type)) {
    problems.push(`type must be one of ${PAYMENT_CALLBACK_TYPES.join(', ')}`);
  }
  if (problems.length > 0) return problems;
  return {
    id: record.id as string,
    type: record.type as PaymentCallbackType,
    intentId: record.intentId as string,
    userId: record.userId as string,
    currency: record.currency as string,
    amount: record.amount as string,
    occurredAt: record.occurredAt as string,
  };
};
