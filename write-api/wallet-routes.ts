import {
  buy,
  deposit,
  sell,
  withdraw,
  type WalletDeps,
  type WalletOutcome,
} from '../commands/wallet/wallet-commands.ts';
import { principalOf } from '../infra/http/authenticate.ts';
import { problemResponses as problems, type RouteSpec } from '../infra/http/route-spec.ts';
import type { Request, Response } from 'express';
import type { CommandContext } from '../commands/command-context.ts';
import { commandContext } from './command-context.ts';
import {
  buyBody,
  fiatCommandResponse,
  fiatMovementBody,
  sellBody,
  tradeCommandResponse,
} from './schemas.ts';
import { seedFields } from './seed-fields.ts';
import { walletEtag } from '../domain/wallet/wallet-version.ts';

type Handler<I> = (
  deps: WalletDeps,
  userId: string,
  input: I,
  context: CommandContext,
) => Promise<WalletOutcome>;

/** Every wallet route acts on the caller's own wallet: the user id comes from the token only. */
const walletCommand =
  <I>(deps: WalletDeps, handler: Handler<I>) =>
  async (req: Request, res: Response) => {
    const outcome = await handler(
      deps,
      principalOf(req).userId,
      req.body as I,
      commandContext(req, { wallet: true }),
    );
    const event = outcome.events[outcome.events.length - 1];
    res.setHeader('ETag', walletEtag(outcome.revision));
    res.json({
      status: true,
      balances: outcome.balances,
      position: String(outcome.position),
      event: event && { id: event.id, type: event.type, data: event.data },
      replayed: outcome.replayed,
      ...seedFields(event, outcome.balances),
    });
  };

const route = (
  path: string,
  operationId: string,
  summary: string,
  body: RouteSpec['body'],
  handle: RouteSpec['handle'],
  statuses: number[],
  response = fiatCommandResponse,
): RouteSpec => ({
  method: 'post',
  path,
  operationId,
  summary,
  tags: ['wallet'],
  auth: true,
  body,
  idempotent: true,
  conditional: 'command',
  responses: {
    200: { description: 'Accepted: the new balances', schema: response },
    ...problems(...statuses, 412),
  },
  handle,
});

export const walletRoutes = (deps: WalletDeps): RouteSpec[] => [
  route(
    '/api/user/wallet/deposit',
    'deposit',
    'Deposit fiat money',
    fiatMovementBody,
    walletCommand(deps, deposit),
    [400, 401, 409, 415, 422],
  ),
  route(
    '/api/user/wallet/withdraw',
    'withdraw',
    'Withdraw fiat money (422 when funds are insufficient)',
    fiatMovementBody,
    walletCommand(deps, withdraw),
    [400, 401, 409, 415, 422],
  ),
  route(
    '/api/user/wallet/buy',
    'buy',
    'Buy crypto with USD at the live rate (cost rounded up)',
    buyBody,
    walletCommand(deps, buy),
    [400, 401, 409, 415, 422, 503],
    tradeCommandResponse,
  ),
  route(
    '/api/user/wallet/sell',
    'sell',
    'Sell crypto for USD at the live rate (proceeds rounded down)',
    sellBody,
    walletCommand(deps, sell),
    [400, 401, 409, 415, 422, 503],
    tradeCommandResponse,
  ),
];
