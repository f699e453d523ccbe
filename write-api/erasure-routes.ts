import { forgetPerson, type ForgetDeps } from '../commands/user/forget-person.ts';
import type { SchemaObject } from 'openapi3-ts/oas31';
import { problemResponses as problems, type RouteSpec } from '../infra/http/route-spec.ts';
import { commandContext } from './command-context.ts';

const forgetBody: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['mail'],
  properties: {
    mail: { type: 'string', minLength: 3, maxLength: 254, description: "the person's address" },
  },
};

/**
 * The right to erasure, for admins: destroys the person's key, so their name and address read
 * as erased everywhere, while their account's money and the log's hash chain stay intact.
 */
export const erasureRoutes = (deps: ForgetDeps): RouteSpec[] => [
  {
    method: 'post',
    path: '/api/admin/erasures',
    operationId: 'erasePersonalData',
    summary:
      "Erase a person's personal data (crypto-shredding): name, last name and address read as erased from then on",
    tags: ['admin'],
    auth: ['admin'],
    body: forgetBody,
    responses: {
      200: {
        description: 'The account concerned, the keys destroyed and when',
        example: {
          userId: '6f1c2b9e-8d4a-4e1f-a3b2-1c9d8e7f6a5b',
          registeredAt: '2026-01-05T10:00:00.000Z',
          keyIds: ['0b9d3f7e-1c2a-4e5f-8a6b-7c8d9e0f1a2b'],
          erasedAt: '2026-02-01T09:30:00.000Z',
          erased: true,
        },
      },
      ...problems(400, 401, 403, 404),
    },
    handle: async (req, res) => {
      const { mail } = req.body as { mail: string };
      res.json(await forgetPerson(deps, mail, commandContext(req)));
    },
  },
];
