import {
  OpenApiBuilder,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type SchemaObject,
} from 'openapi3-ts/oas31';
import { problemType } from '../http/problem.ts';
import type { RouteSpec } from '../http/route-spec.ts';
import { exampleOf } from './schema-example.ts';

const PROBLEM: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: 'Stable machine-readable error code' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      description: 'Each field the request got wrong, and why (400)',
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  required: ['type', 'title', 'status'],
};

/** A typical problem of each status, for the examples of every operation's error answers. */
const PROBLEM_EXAMPLES: Record<
  number,
  { title: string; code: string; detail: string } & Record<string, unknown>
> = {
  400: {
    title: 'Bad Request',
    code: 'validation_failed',
    detail: 'The request body is invalid: amount must be a positive decimal.',
    errors: [{ field: 'amount', message: 'must be a positive decimal such as "10.50"' }],
  },
  401: {
    title: 'Unauthorized',
    code: 'unauthorized',
    detail: 'The access token is invalid or expired.',
  },
  403: {
    title: 'Forbidden',
    code: 'forbidden',
    detail: 'This needs one of the roles: auditor, admin.',
  },
  404: { title: 'Not Found', code: 'not_found', detail: 'Nothing is known here yet.' },
  409: {
    title: 'Conflict',
    code: 'idempotency_key_in_use',
    detail: 'A request with this Idempotency-Key is still being processed; retry shortly.',
  },
  412: {
    title: 'Precondition Failed',
    code: 'precondition_failed',
    detail: 'The resource changed since the version named in If-Match; read it again and retry.',
  },
  413: {
    title: 'Content Too Large',
    code: 'body_too_large',
    detail: 'The request body is larger than this server accepts.',
  },
  415: {
    title: 'Unsupported Media Type',
    code: 'unsupported_media_type',
    detail: 'Send the request body as JSON with Content-Type: application/json.',
  },
  422: {
    title: 'Unprocessable Content',
    code: 'insufficient_funds',
    detail: 'The USD balance is too low.',
  },
  429: {
    title: 'Too Many Requests',
    code: 'too_many_requests',
    detail: 'More than 600 commands from this user a minute; retry in 12 s.',
  },
  503: {
    title: 'Service Unavailable',
    code: 'deadline_exceeded',
    detail:
      'No answer within 15000 ms. A command goes on: retry it with the same Idempotency-Key to learn its outcome.',
  },
};

const problemExample = (status: number, path: string) => {
  const example = PROBLEM_EXAMPLES[status] ?? { title: 'Error', code: 'error', detail: 'Refused.' };
  return {
    type: problemType(example.code),
    status,
    ...example,
    instance: path,
    requestId: '9b2f6c1e-4a55-4c8e-9d0b-3c1f2e7a8b90',
  };
};

/**
 * The problems every route can answer whatever it does: a malformed or oversized body, a
 * missing token, a request limit, the request deadline.
 */
const commonProblems = (route: RouteSpec): number[] => [
  ...(route.body || route.query ? [400] : []),
  ...(route.auth ? [401] : []),
  ...(route.body ? [413, 415] : []),
  429,
  503,
];

const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const queryParameters = (schema: SchemaObject | undefined): ParameterObject[] =>
  Object.entries(schema?.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: (schema?.required ?? []).includes(name),
    schema: property as SchemaObject,
  }));

const operation = (route: RouteSpec): OperationObject => {
  const parameters: ParameterObject[] = [
    ...[...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match): ParameterObject => ({
      name: match[1] ?? '',
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })),
    ...queryParameters(route.query),
  ];
  if (route.idempotent) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'A retry with the same key and body returns the first answer; the same key with another body is refused (422); while the first is in flight, 409.',
      schema: { type: 'string', maxLength: 128 },
    });
  }
  if (route.readYourWrites) {
    parameters.push({
      name: 'X-Min-Position',
      in: 'header',
      required: false,
      description:
        'The `position` a command returned: the read waits (bounded) until the projections reached it, else 503 with Retry-After.',
      schema: { type: 'string', pattern: '^\\d+$' },
    });
  }
  if (route.conditional === 'read') {
    parameters.push({
      name: 'If-None-Match',
      in: 'header',
      required: false,
      description:
        'The ETag of an earlier answer: 304 with no body while the resource is still that version.',
      schema: { type: 'string', example: '"12"' },
    });
  }
  if (route.conditional === 'command') {
    parameters.push({
      name: 'If-Match',
      in: 'header',
      required: false,
      description:
        'The ETag of the wallet as the client last saw it (GET /api/user/wallet/balance, a command answer, a /ws wallet message): the command applies only if the wallet is still that version, else 412 with no effect.',
      schema: { type: 'string', example: '"12"' },
    });
  }
  const etagHeader = {
    ETag: {
      description: "Strong entity tag of the wallet's version (the number of events in its stream)",
      schema: { type: 'string', example: '"12"' },
    },
  };
  const responses: OperationObject['responses'] = {};
  const declared: RouteSpec['responses'] = { ...route.responses };
  for (const status of commonProblems(route)) {
    declared[status] ??= { description: `problem+json (${status})` };
  }
  for (const [status, response] of Object.entries(declared)) {
    const isProblem = Number(status) >= 400;
    const example = isProblem
      ? problemExample(Number(status), route.path)
      : (response.example ?? exampleOf(response.schema));
    responses[status] = {
      description: response.description,
      ...(route.conditional !== undefined && (status === '200' || status === '304')
        ? { headers: etagHeader }
        : {}),
      content: isProblem
        ? {
            'application/problem+json': {
              schema: response.schema ?? { $ref: '#/components/schemas/Problem' },
              example,
            },
          }
        : example !== undefined
          ? {
              [response.contentType ?? 'application/json']: {
                ...(response.schema ? { schema: response.schema } : {}),
                example,
              },
            }
          : undefined,
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: route.tags,
    parameters,
    ...(route.auth ? { security: [{ bearer: [] }] } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: route.body, example: exampleOf(route.body) } },
          },
        }
      : {}),
    responses,
  };
};

/** The OpenAPI 3.1 document of every mounted route, built from their validation schemas. */
export const openApiDocument = (routes: readonly RouteSpec[], version: string): OpenAPIObject => {
  const builder = OpenApiBuilder.create()
    .addOpenApiVersion('3.1.0')
    .addTitle('Cambio API')
    .addVersion(version)
    .addDescription(
      "Event-sourced crypto wallet. Money is always a decimal string in the currency's minor-unit precision; errors are application/problem+json.",
    )
    .addSecurityScheme('bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addSchema('Problem', PROBLEM);
  const paths = new Map<string, Record<string, OperationObject>>();
  for (const route of routes) {
    const path = toOpenApiPath(route.path);
    paths.set(path, { ...(paths.get(path) ?? {}), [route.method]: operation(route) });
  }
  for (const [path, item] of paths) builder.addPath(path, item);
  return builder.getSpec();
};
