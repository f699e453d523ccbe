import { request } from './http.ts';

/**
 * What this server offers, read from its OpenAPI document, so the console shows a feature only
 * where the API has it (transfers, time travel and chain verification arrive in later releases;
 * the parked-mail routes run only where the notifier does).
 */
export interface Operation {
  method: string;
  path: string;
  operationId: string;
  queryParameters: string[];
  /** Allowed values of enumerated query parameters, by name. */
  queryEnums: Record<string, string[]>;
  /** Names of the request body's properties. */
  bodyFields: string[];
}

export interface Features {
  transfer: Operation | null;
  /** The wallet replay at a chosen instant or position. */
  walletAt: Operation | null;
  /** The chain (hash) verification of the event log. */
  verifyChain: Operation | null;
  projections: Operation | null;
  parkedMail: Operation | null;
  replayParkedMail: Operation | null;
  /** The history's entry types (transfers join them once they exist). */
  historyTypes: string[] | null;
}

interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation>>;
}
interface OpenApiOperation {
  operationId?: string;
  parameters?: { name?: string; in?: string; schema?: { enum?: unknown[] } }[];
  requestBody?: {
    content?: Record<string, { schema?: { properties?: Record<string, unknown> } }>;
  };
}

export const operationsOf = (document: OpenApiDocument): Operation[] =>
  Object.entries(document.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      operationId: operation.operationId ?? '',
      queryParameters: (operation.parameters ?? [])
        .filter((p) => p.in === 'query' && typeof p.name === 'string')
        .map((p) => p.name as string),
      queryEnums: Object.fromEntries(
        (operation.parameters ?? [])
          .filter((p) => p.in === 'query' && Array.isArray(p.schema?.enum))
          .map((p) => [p.name ?? '', (p.schema?.enum ?? []).map(String)]),
      ),
      bodyFields: Object.keys(
        operation.requestBody?.content?.['application/json']?.schema?.properties ?? {},
      ),
    })),
  );

export const TIME_PARAMETERS = ['at', 'asOf', 'until', 'position', 'atPosition', 'before'];

export const featuresOf = (operations: Operation[]): Features => {
  const find = (test: (operation: Operation) => boolean) => operations.find(test) ?? null;
  return {
    transfer: find((o) => o.method === 'POST' && /\/transfers?$/.test(o.path)),
    walletAt: find(
      (o) =>
        o.method === 'GET' &&
        o.path.startsWith('/api/audit/wallets/') &&
        o.queryParameters.some((name) => TIME_PARAMETERS.includes(name)),
    ),
    verifyChain: find((o) => o.path.startsWith('/api/audit/') && /verif|chain/i.test(o.path)),
    projections: find((o) => o.method === 'GET' && o.path === '/api/admin/projections'),
    parkedMail: find((o) => o.method === 'GET' && /\/api\/admin\/.*parked/.test(o.path)),
    replayParkedMail: find(
      (o) => o.method === 'POST' && /\/api\/admin\/.*parked.*replay/.test(o.path),
    ),
    historyTypes:
      find((o) => o.method === 'GET' && o.path === '/api/user/wallet/history')?.queryEnums.type ??
      null,
  };
};

export const loadFeatures = async (): Promise<Features> =>
  featuresOf(operationsOf(await request<OpenApiDocument>('/openapi.json')));
