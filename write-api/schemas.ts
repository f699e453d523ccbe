import type { SchemaObject } from 'openapi3-ts/oas31';
import { currencies } from '../domain/money/index.ts';
import { fiatSeedProperties, tradeSeedProperties } from './seed-fields.ts';

/** JSON Schemas of the write API: they validate requests and generate the OpenAPI document. */

const FIAT = currencies()
  .filter((c) => c.kind === 'fiat')
  .map((c) => c.code);
const CRYPTO = currencies()
  .filter((c) => c.kind === 'crypto')
  .map((c) => c.code);

/** JSON numbers arrive as their source text (see infra/http/json-body.ts), so one rule covers both. */
export const decimalAmount = (description: string): SchemaObject => ({
  type: 'string',
  pattern: '^[0-9]+(\\.[0-9]+)?$',
  maxLength: 60,
  description: `${description}: a positive decimal such as "10.50" (a JSON number is read as its exact text; no sign, exponent or spaces)`,
  example: '10.50',
});

const text = (maxLength: number, description: string): SchemaObject => ({
  type: 'string',
  minLength: 1,
  maxLength,
  description,
});

export const registerBody: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'lastName', 'mail', 'password'],
  properties: {
    name: text(100, 'Given name'),
    lastName: text(100, 'Family name'),
    mail: {
      type: 'string',
      minLength: 3,
      maxLength: 254,
      description: 'E-mail address; unique per account',
      example: 'ada@example.com',
    },
    password: {
      type: 'string',
      minLength: 8,
      maxLength: 72,
      description:
        'At least 8 characters and at most 72 bytes in UTF-8 after NFC normalization (bcrypt reads no more); longer ones get 400 password_too_long',
    },
    verification: {
      type: 'string',
      pattern: '^[0-9]{6}$',
      description: 'the 6-digit code from the verification mail',
    },
  },
};

export const loginBody: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['mail', 'password'],
  properties: {
    mail: { type: 'string', minLength: 1, maxLength: 254 },
    password: { type: 'string', minLength: 1, maxLength: 72 },
  },
};

export const refreshBody: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['refreshToken'],
  properties: { refreshToken: { type: 'string', minLength: 1, maxLength: 200 } },
};

export const fiatMovementBody: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['amount'],
  properties: {
    amount: decimalAmount('Amount in the fiat currency'),
    currency: {
      type: 'string',
      enum: FIAT,
      default: 'USD',
      description: 'Fiat currency; USD when omitted',
    },
  },
};

export const buyBody: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['currency', 'amount'],
  properties: {
    currency: { type: 'string', enum: CRYPTO, description: 'The crypto currency to buy' },
    amount: decimalAmount('How much crypto to buy'),
    maxPrice: decimalAmount(
      'Price protection: refuse (422) if one whole unit costs more USD than this',
    ),
  },
};

export const sellBody: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['currency', 'amount'],
  properties: {
    currency: { type: 'string', enum: CRYPTO, description: 'The crypto currency to sell' },
    amount: decimalAmount('How much crypto to sell'),
    minPrice: decimalAmount(
      'Price protection: refuse (422) if one whole unit fetches fewer USD than this',
    ),
  },
};

const balances: SchemaObject = {
  type: 'object',
  additionalProperties: { type: 'string' },
  description: 'Every balance of the wallet, decimal strings by currency code',
  example: { USD: '64.05', BTC: '1.0054' },
};

export const walletCommandResponse: SchemaObject = {
  type: 'object',
  properties: {
    status: { type: 'boolean', description: 'Always true on success (seed compatibility)' },
    balances,
    position: {
      type: 'string',
      description:
        "Global log position of the command's last event; pass it as X-Min-Position to read your own write",
    },
    event: { type: 'object', description: 'The recorded event: id, type and data' },
    replayed: { type: 'boolean', description: 'True when this answers a repeated Idempotency-Key' },
  },
};

/** Deposit and withdraw: Cambio's fields and the seed's `newBalance` and `message`. */
export const fiatCommandResponse: SchemaObject = {
  ...walletCommandResponse,
  properties: { ...walletCommandResponse.properties, ...fiatSeedProperties },
};

/** Buy and sell: Cambio's fields and the seed's `Balance`, `sold_*`, `bought_*`, `message`. */
export const tradeCommandResponse: SchemaObject = {
  ...walletCommandResponse,
  properties: { ...walletCommandResponse.properties, ...tradeSeedProperties },
};

export const tokenResponse: SchemaObject = {
  type: 'object',
  properties: {
    status: { type: 'boolean' },
    token: { type: 'string', description: 'Access token (JWT, HS256)' },
    tokenType: { type: 'string', enum: ['Bearer'] },
    expiresIn: { type: 'integer', description: 'Seconds until the access token expires' },
    refreshToken: { type: 'string', description: 'Works once; POST /api/user/refresh rotates it' },
    refreshExpiresAt: { type: 'string', format: 'date-time' },
    userId: { type: 'string' },
    message: { type: 'string', description: 'Seed field: what happened, in words' },
  },
};

export const registerResponse: SchemaObject = {
  type: 'object',
  properties: {
    status: { type: 'boolean' },
    verificationSent: { type: 'boolean' },
    registered: { type: 'boolean' },
    userId: { type: 'string' },
    mail: { type: 'string' },
    expiresAt: { type: 'string', format: 'date-time' },
    position: { type: 'string' },
    message: { type: 'string', description: 'Seed field: what happened, in words' },
  },
};

const ALL_CURRENCIES = currencies().map((c) => c.code);

export const transferBody: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['to', 'amount'],
  properties: {
    to: {
      type: 'string',
      minLength: 3,
      maxLength: 254,
      description: "The recipient's e-mail address",
      example: 'bob@example.com',
    },
    amount: decimalAmount('Amount to send, in `currency`'),
    currency: {
      type: 'string',
      enum: ALL_CURRENCIES,
      default: 'USD',
      description: 'Any supported currency; USD when omitted',
    },
  },
};

export const transferAcceptedResponse: SchemaObject = {
  type: 'object',
  properties: {
    status: { type: 'boolean', description: 'Always true on success (seed compatibility)' },
    transferId: { type: 'string', description: 'Follow it at GET /api/user/wallet/transfers/{id}' },
    state: { type: 'string', enum: ['pending'] },
    to: { type: 'string' },
    currency: { type: 'string' },
    amount: { type: 'string' },
    balances,
    position: { type: 'string' },
    replayed: { type: 'boolean' },
  },
};

export const depositIntentBody: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['amount'],
  properties: {
    amount: decimalAmount('Amount to pay in'),
    currency: {
      type: 'string',
      enum: FIAT,
      default: 'USD',
      description: 'Fiat currency; USD when omitted',
    },
  },
};

export const depositIntentResponse: SchemaObject = {
  type: 'object',
  properties: {
    status: { type: 'boolean' },
    intentId: { type: 'string' },
    state: { type: 'string', enum: ['open'] },
    currency: { type: 'string' },
    amount: { type: 'string' },
    provider: { type: 'string' },
    checkoutReference: {
      type: 'string',
      description: "The provider's reference: where the payer completes the payment",
    },
    checkoutUrl: { type: 'string' },
    position: { type: 'string' },
    replayed: { type: 'boolean' },
  },
};
