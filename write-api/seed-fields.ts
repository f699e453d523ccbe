import type { SchemaObject } from 'openapi3-ts/oas31';

/**
 * The fields the seed wallet API answered with, kept beside Cambio's richer ones so clients
 * written against the seed keep working: deposit and withdraw said `newBalance` and `message`;
 * buy and sell said `Balance`, `sold_amount`, `sold_currency`, `bought_amount`,
 * `bought_currency` and `message`. Money stays a decimal string here too (the seed sent floats).
 */

/** What the seed fields are computed from: the command's last event and the new balances. */
export interface RecordedWalletEvent {
  type: string;
  data: Record<string, unknown>;
}

export interface FiatSeedFields {
  newBalance: string;
  message: string;
}

export interface TradeSeedFields {
  Balance: Record<string, string>;
  sold_amount: string;
  sold_currency: string;
  bought_amount: string;
  bought_currency: string;
  message: string;
}

const text = (data: Record<string, unknown>, field: string): string => {
  const value = data[field];
  if (typeof value !== 'string') throw new Error(`wallet event without ${field}`);
  return value;
};

/** The seed's fields for the answer to a wallet command; {} for an event it never answered. */
export const seedFields = (
  event: RecordedWalletEvent | undefined,
  balances: Record<string, string>,
): FiatSeedFields | TradeSeedFields | Record<string, never> => {
  if (event === undefined) return {};
  const { data } = event;
  switch (event.type) {
    case 'FundsDeposited':
    case 'FundsWithdrawn': {
      const verb = event.type === 'FundsDeposited' ? 'Deposited' : 'Withdrew';
      return {
        newBalance: text(data, 'balance'),
        message: `${verb} ${text(data, 'amount')} ${text(data, 'currency')}; the balance is now ${text(data, 'balance')} ${text(data, 'currency')}.`,
      };
    }
    case 'CryptoBought':
    case 'CryptoSold': {
      const crypto = { amount: text(data, 'amount'), currency: text(data, 'currency') };
      const quote = {
        amount: text(data, event.type === 'CryptoBought' ? 'cost' : 'proceeds'),
        currency: text(data, 'quoteCurrency'),
      };
      const [sold, bought] = event.type === 'CryptoBought' ? [quote, crypto] : [crypto, quote];
      return {
        Balance: balances,
        sold_amount: sold.amount,
        sold_currency: sold.currency,
        bought_amount: bought.amount,
        bought_currency: bought.currency,
        message: `Sold ${sold.amount} ${sold.currency} for ${bought.amount} ${bought.currency}.`,
      };
    }
    default:
      return {};
  }
};

const decimal = (description: string, example: string): SchemaObject => ({
  type: 'string',
  pattern: '^[0-9]+(\\.[0-9]+)?$',
  description,
  example,
});

/** OpenAPI properties of the seed fields of a deposit or withdrawal. */
export const fiatSeedProperties: Record<string, SchemaObject> = {
  newBalance: decimal('Seed field: balance of the currency moved, after the command', '90.10'),
  message: { type: 'string', description: 'Seed field: what happened, in words' },
};

/** OpenAPI properties of the seed fields of a buy or sell. */
export const tradeSeedProperties: Record<string, SchemaObject> = {
  Balance: {
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Seed field: every balance after the trade (the same as `balances`)',
    example: { USD: '40.05', BTC: '0.001' },
  },
  sold_amount: decimal('Seed field: how much was given up', '60.05'),
  sold_currency: {
    type: 'string',
    description: 'Seed field: the currency given up',
    example: 'USD',
  },
  bought_amount: decimal('Seed field: how much was received', '0.001'),
  bought_currency: {
    type: 'string',
    description: 'Seed field: the currency received',
    example: 'BTC',
  },
  message: { type: 'string', description: 'Seed field: what happened, in words' },
};
