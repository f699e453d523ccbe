import { Router } from 'express';
import type { SchemaObject } from 'openapi3-ts/oas31';
import type { Authenticator } from '../infra/http/authenticate.ts';
import { HttpProblem } from '../infra/http/problem.ts';
import { mountRoutes, type RouteSpec } from '../infra/http/route-spec.ts';
import type { RatesMessage } from '../ports/live-messages.ts';

/** What the router needs of the latest rates (infra/rates/latest-rates.ts provides it). */
export interface RatesView {
  readonly base: string;
  latest(): RatesMessage | null;
}

/** The seed API's body, shared by `GET /api/exchange-rates` and `WS /ws/exchange-rates`. */
export interface ExchangeRatesBody {
  currency: string;
  rates: Record<string, string>;
  at: string;
}

export const exchangeRatesBody = (message: RatesMessage): ExchangeRatesBody => ({
  currency: message.base,
  rates: message.rates,
  at: message.at,
});

const decimalString: SchemaObject = {
  type: 'string',
  pattern: '^\\d+(\\.\\d+)?$',
  description: 'a decimal string',
};

export const exchangeRatesSchema: SchemaObject = {
  type: 'object',
  required: ['currency', 'rates', 'at'],
  properties: {
    currency: { type: 'string', description: 'The base currency.', example: 'USD' },
    rates: {
      type: 'object',
      description: 'Units of each currency that one unit of the base buys.',
      additionalProperties: decimalString,
      example: { BTC: '0.0000163', ETH: '0.000321', EUR: '0.92' },
    },
    at: {
      type: 'string',
      format: 'date-time',
      description: 'When the rate source observed these rates.',
    },
  },
};

export const exchangeRatesRoutes = (rates: RatesView): RouteSpec[] => [
  {
    method: 'get',
    path: '/api/exchange-rates',
    operationId: 'getExchangeRates',
    summary: 'The latest exchange rates against a base currency',
    tags: ['rates'],
    query: {
      type: 'object',
      properties: {
        currency: {
          type: 'string',
          enum: [rates.base],
          default: rates.base,
          description: `The base currency; only ${rates.base} is supported.`,
        },
      },
    },
    responses: {
      200: { description: 'The latest rates.', schema: exchangeRatesSchema },
      400: { description: 'The base currency is not supported.' },
      503: { description: 'No rates have arrived yet; retry shortly.' },
    },
    handle: (_req, res) => {
      const latest = rates.latest();
      if (latest === null) {
        throw new HttpProblem(
          503,
          'rates_unavailable',
          'No exchange rates have arrived yet; retry shortly.',
          {},
          { 'Retry-After': '1' },
        );
      }
      res.setHeader('Cache-Control', 'no-store');
      res.json(exchangeRatesBody(latest));
    },
  },
];

// Every route here is public, so the authenticator is never reached.
const noAuthenticator: Authenticator = () => {
  throw new Error('the exchange rates routes need no authentication');
};

export const exchangeRatesRouter = (rates: RatesView): Router => {
  const router = Router();
  mountRoutes(router, exchangeRatesRoutes(rates), { authenticate: noAuthenticator });
  return router;
};
