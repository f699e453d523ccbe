import type { CommandHandler } from '../commands/command-handler.ts';
import { sendTransfer, type TransferInput } from '../commands/wallet/transfers.ts';
import { principalOf } from '../infra/http/authenticate.ts';
import { problemResponses as problems, type RouteSpec } from '../infra/http/route-spec.ts';
import { commandContext } from './command-context.ts';
import { transferAcceptedResponse, transferBody } from './schemas.ts';

/** Transfers start here; a process manager completes or refunds them (see reactions/). */
export const transferRoutes = (handler: CommandHandler): RouteSpec[] => [
  {
    method: 'post',
    path: '/api/user/wallet/transfer',
    operationId: 'transfer',
    summary:
      'Send money to another account by its mail (202: debited now, credited or refunded shortly)',
    tags: ['wallet'],
    auth: true,
    body: transferBody,
    idempotent: true,
    responses: {
      202: { description: 'Debited; the transfer is pending', schema: transferAcceptedResponse },
      ...problems(400, 401, 409, 415, 422),
    },
    handle: async (req, res) => {
      const accepted = await sendTransfer(
        handler,
        principalOf(req).userId,
        req.body as TransferInput,
        commandContext(req),
      );
      res
        .status(202)
        .location(`/api/user/wallet/transfers/${accepted.transferId}`)
        .json({ status: true, ...accepted, position: String(accepted.position) });
    },
  },
];
