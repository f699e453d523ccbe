import type { walletAggregate } from '../commands/aggregates.ts';
import type { CommandHandler } from '../commands/command-handler.ts';
import { recordPaymentCallback } from '../commands/payments/record-callback.ts';
import { openDepositIntent, type DepositIntentInput } from '../commands/wallet/deposit-intents.ts';
import { principalOf } from '../infra/http/authenticate.ts';
import { HttpProblem } from '../infra/http/problem.ts';
import { problemResponses as problems, type RouteSpec } from '../infra/http/route-spec.ts';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  checkCallbackSignature,
} from '../infra/payments/callback-signature.ts';
import type { EventStore } from '../ports/event-store.ts';
import { parsePaymentCallback, type PaymentProvider } from '../ports/payment-provider.ts';
import { commandContext } from './command-context.ts';
import { depositIntentBody, depositIntentResponse } from './schemas.ts';

export interface PaymentRoutesDeps {
  handler: CommandHandler;
  eventStore: EventStore;
  provider: PaymentProvider;
  /** Shared with the provider: signs callbacks. */
  callbackSecret: Buffer | string;
  /** The wallet aggregate under the operator's limits. */
  wallet?: typeof walletAggregate;
}

const unauthorized = (detail: string) => new HttpProblem(401, 'signature_invalid', detail);

/** Deposits through a payment provider: the intent, and the provider's signed callback. */
export const paymentRoutes = (deps: PaymentRoutesDeps): RouteSpec[] => [
  {
    method: 'post',
    path: '/api/user/wallet/deposit-intents',
    operationId: 'createDepositIntent',
    summary:
      "Start a deposit through the payment provider: returns the provider's checkout reference; credited once the provider reports the payment succeeded",
    tags: ['wallet'],
    auth: true,
    body: depositIntentBody,
    idempotent: true,
    responses: {
      201: { description: 'The intent, open; nothing credited yet', schema: depositIntentResponse },
      ...problems(400, 401, 409, 415, 422),
    },
    handle: async (req, res) => {
      const intent = await openDepositIntent(
        deps,
        principalOf(req).userId,
        req.body as DepositIntentInput,
        commandContext(req),
      );
      res.status(201).json({ status: true, ...intent, position: String(intent.position) });
    },
  },
  {
    method: 'post',
    path: '/api/payments/callback',
    operationId: 'paymentCallback',
    summary: `The payment provider's notification: signed with HMAC-SHA256 over "<${TIMESTAMP_HEADER}>.<raw body>" in ${SIGNATURE_HEADER} (v1=<hex>); answered 202 once recorded, credited asynchronously; the same notification id again changes nothing`,
    tags: ['payments'],
    responses: {
      202: {
        description: 'Recorded (or already recorded: `duplicate: true`)',
        example: { status: true, id: 'evt_3PqX0aLkdIwHu7ix', duplicate: false },
      },
      ...problems(400, 401, 415),
    },
    handle: async (req, res) => {
      const check = checkCallbackSignature(
        deps.callbackSecret,
        { signature: req.header(SIGNATURE_HEADER), timestamp: req.header(TIMESTAMP_HEADER) },
        req.rawBody ?? '',
        new Date(),
      );
      if (check === 'missing') {
        throw unauthorized(`Send ${SIGNATURE_HEADER} and ${TIMESTAMP_HEADER} (Unix seconds).`);
      }
      if (check === 'stale')
        throw unauthorized('The callback timestamp is too old or in the future.');
      if (check === 'mismatch') throw unauthorized('The callback signature does not match.');
      const callback = parsePaymentCallback(req.body);
      if (Array.isArray(callback)) {
        throw new HttpProblem(400, 'validation_failed', 'The callback is malformed.', {
          errors: callback.map((message) => ({ field: message.split(' ')[0], message })),
        });
      }
      const outcome = await recordPaymentCallback(deps.eventStore, deps.provider.name, callback, {
        ...commandContext(req),
        actor: `provider:${deps.provider.name}`,
      });
      res.status(202).json({ status: true, id: callback.id, duplicate: outcome === 'duplicate' });
    },
  },
];
