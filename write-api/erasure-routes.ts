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
      200: { description: 'The account concerned, the keys destroyed and when' },
      ...problems(400, 401, 403, 404),
    },
    handle: async (req, res) => {
      const { mail } = req.body as { mail: string };
      res.json(await forgetPerson(deps, mail, commandContext(req)));
    },
  },
];
