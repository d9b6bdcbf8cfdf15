import { z } from 'zod';
import type { Scope } from '../auth/scopes.js';

export interface RouteDoc {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template, e.g. `/v1/recordings/{id}`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  /** null: open (no credentials). */
  readonly scope: Scope | null;
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  /** `schema` describes the JSON body; a route without one is documented as any JSON. */
  readonly success: { readonly status: number; readonly description: string; readonly contentType?: string; readonly schema?: z.ZodType };
  readonly errors?: readonly number[];
}

const ErrorBody = z.object({
  error: z.object({
    code: z.string().describe('stable machine-readable code'),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
  }),
});

// Requests are described as accepted (io: input), responses as sent (io: output).
const jsonSchema = (schema: z.ZodType, io: 'input' | 'output' = 'input') => z.toJSONSchema(schema, { io, unrepresentable: 'any' });

function parameters(route: RouteDoc) {
  const params: object[] = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (route.query) {
    const schema = jsonSchema(route.query) as { properties?: Record<string, object>; required?: string[] };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      params.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: property });
    }
  }
  return params;
}

/** OpenAPI 3.1 built from the same zod schemas that validate requests. */
export function buildOpenApiDocument(routes: readonly RouteDoc[], version: string) {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    const responses: Record<string, object> = {
      [route.success.status]: {
        description: route.success.description,
        ...(route.success.status === 204 ? {} : { content: { [route.success.contentType ?? 'application/json']: { schema: route.success.schema ? jsonSchema(route.success.schema, 'output') : {} } } }),
      },
    };
    const errorStatuses = new Set([...(route.errors ?? []), ...(route.scope ? [401, 403, 429] : [])]);
    for (const status of [...errorStatuses].sort()) {
      responses[status] = { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    (paths[route.path] ??= {})[route.method] = {
      summary: route.summary,
      tags: [route.tag],
      ...(route.scope ? { security: [{ bearer: [] }], 'x-required-scope': route.scope } : { security: [] }),
      parameters: parameters(route),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Noctis API', version, description: 'Sleep staging from per-epoch wearable features.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key (scopes: ingest, read, admin, operator)' } },
      schemas: { Error: jsonSchema(ErrorBody) },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
