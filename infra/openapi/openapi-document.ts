import {
  OpenApiBuilder,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type SchemaObject,
} from 'openapi3-ts/oas31';
import type { RouteSpec } from '../http/route-spec.ts';

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
  for (const [status, response] of Object.entries(route.responses)) {
    const isProblem = Number(status) >= 400;
    responses[status] = {
      description: response.description,
      ...(route.conditional !== undefined && (status === '200' || status === '304')
        ? { headers: etagHeader }
        : {}),
      content: isProblem
        ? {
            'application/problem+json': {
              schema: response.schema ?? { $ref: '#/components/schemas/Problem' },
            },
          }
        : response.schema
          ? { 'application/json': { schema: response.schema } }
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
      ? { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } }
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
