import { z } from 'zod';
import type { Scope } from '../auth/scopes.js';
import { ERROR_RESPONSES, ErrorBody } from './openapi.errors.js';

export interface ResponseDoc {
  readonly status: number;
  readonly description: string;
  /** application/json unless set; other types are documented as a string body. */
  readonly contentType?: string;
  /** Other non-JSON types the same status may carry, chosen by the Accept header (an export as CSV). */
  readonly alsoContentTypes?: readonly string[];
  /** The JSON body (required for JSON responses, so no response is typed as `{}`). */
  readonly schema?: z.ZodType;
}

export interface RouteDoc {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template, e.g. `/v1/recordings/{id}`. */
  readonly path: string;
  /** Stable: generated clients name their methods after it. Never rename one that shipped. */
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  /** null: open (no credentials). */
  readonly scope: Scope | null;
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  readonly success: ResponseDoc;
  /** Other non-error answers (200 for an existing device, 202 for a predict job, 503 not ready). */
  readonly also?: readonly ResponseDoc[];
  /** Error statuses beyond those every route of its kind can give (see errorStatuses). */
  readonly errors?: readonly number[];
  /** Authenticated otherwise than by a bearer key (Bull Board: Basic). */
  readonly security?: readonly Record<string, string[]>[];
}

type JsonSchema = Record<string, unknown>;

// Requests are described as accepted (io: input), responses as sent (io: output). The $schema
// marker is dropped: OpenAPI 3.1 schemas are 2020-12 already, and it repeats in every schema.
function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(route: RouteDoc) {
  const params: object[] = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    // Ids are UUIDs (another string answers 404, as an unknown id does); model versions are names.
    schema: m[1] === 'id' ? { type: 'string', format: 'uuid' } : { type: 'string' },
  }));
  if (route.query) {
    const schema = jsonSchema(route.query) as { properties?: Record<string, object>; required?: string[] };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      params.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: property });
    }
  }
  return params;
}

/**
 * What any route of its kind can answer: auth failures, body errors, an unreachable database. Any
 * request at all can get the HTTP server's own answers before routing (http/client-error.ts: 400
 * malformed request or path escape, 408 too slow, 431 head too large) and the generic 500.
 */
function errorStatuses(route: RouteDoc): number[] {
  const statuses = new Set([...(route.errors ?? []), 400, 408, 431, 500]);
  if (route.scope) [401, 403, 429, 503].forEach((s) => statuses.add(s));
  if (route.body) [413, 415].forEach((s) => statuses.add(s));
  return [...statuses].sort((a, b) => a - b);
}

/**
 * OpenAPI 3.1 built from the same zod schemas that validate requests and type the responses.
 * A response schema that is one of `components` (by identity) is referenced, not inlined.
 */
export function buildOpenApiDocument(routes: readonly RouteDoc[], version: string, components: Readonly<Record<string, z.ZodType>> = {}) {
  const names = new Map(Object.entries(components).map(([name, schema]) => [schema, name]));
  const responseBody = (r: ResponseDoc) => {
    if (r.status === 204) return {};
    const type = r.contentType ?? 'application/json';
    if (type !== 'application/json') return { content: Object.fromEntries([type, ...(r.alsoContentTypes ?? [])].map((t) => [t, { schema: { type: 'string' } }])) };
    if (!r.schema) throw new Error(`no response schema for ${r.status} ${r.description}`);
    const name = names.get(r.schema);
    return { content: { [type]: { schema: name ? { $ref: `#/components/schemas/${name}` } : jsonSchema(r.schema, 'output') } } };
  };
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    const responses: Record<string, object> = {};
    for (const r of [route.success, ...(route.also ?? [])]) responses[r.status] = { description: r.description, ...responseBody(r) };
    for (const status of errorStatuses(route)) {
      const known = ERROR_RESPONSES[status];
      if (!known) throw new Error(`${route.operationId}: no shared response for status ${status}`);
      responses[status] ??= { $ref: `#/components/responses/${known.name}` };
    }
    (paths[route.path] ??= {})[route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      security: route.security ?? (route.scope ? [{ bearer: [] }] : []),
      ...(route.scope ? { 'x-required-scope': route.scope } : {}),
      parameters: parameters(route),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
      responses,
    };
  }
  const errorSchema = { $ref: '#/components/schemas/Error' };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Noctis API',
      version,
      description: 'Sleep staging from per-epoch wearable features.',
    },
    servers: [{ url: '/', description: 'the server that serves this document' }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name, description: TAGS[name] ?? name })),
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key (scopes: ingest, read, admin, operator)' },
        basic: { type: 'http', scheme: 'basic', description: 'any user name, the API key as password (browsers)' },
      },
      schemas: { Error: jsonSchema(ErrorBody, 'output'), ...Object.fromEntries(Object.entries(components).map(([name, s]) => [name, jsonSchema(s, 'output')])) },
      responses: Object.fromEntries(
        Object.values(ERROR_RESPONSES).map(({ name, description }) => [name, { description, content: { 'application/json': { schema: errorSchema } } }]),
      ),
    },
    security: [{ bearer: [] }],
    paths,
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

const TAGS: Readonly<Record<string, string>> = {
  operations: 'Probes, metrics, this document, the audit log and the queue board',
  devices: 'Wearables that record nights',
  recordings: 'One night of epochs from one device',
  ingest: 'Sending epochs for storage and scoring',
  jobs: 'Asynchronous work: poll, cancel',
  predictions: 'Sleep stages per epoch',
  reports: 'Sleep statistics and pictures of one night',
  nights: "A device's nights by local date, segments and trends",
  evaluation: 'Ground-truth labels and agreement with the model',
  models: 'The model registry, reloads and re-scoring',
  keys: 'API keys',
};
