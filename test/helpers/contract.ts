// Every response the integration tests receive is checked against the OpenAPI document, so the
// description cannot drift from what the code sends. request() (http.ts) calls checkResponse.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { BULL_BOARD_PATH } from '../../src/admin/bull-board.js';
import { buildOpenApiDocument } from '../../src/openapi/openapi.document.js';
import { COMPONENTS, ROUTES } from '../../src/openapi/routes.catalog.js';
import { APP_VERSION } from '../../src/version.js';

type Schema = Record<string, unknown>;
interface Response {
  $ref?: string;
  content?: Record<string, { schema: Schema }>;
}
interface Operation {
  operationId: string;
  responses: Record<string, Response>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; responses: Record<string, Response> };
}

// The same document the server serves (a unit test keeps docs/openapi.json equal to it).
const doc = buildOpenApiDocument(ROUTES, APP_VERSION, COMPONENTS) as unknown as Document;

// ajv-formats is CommonJS: its default export arrives wrapped under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
// Component schemas are registered once under their document pointer, so `$ref`s resolve as written.
ajv.addSchema({ $id: 'noctis', components: { schemas: doc.components.schemas } });
const compiled = new Map<Schema, ValidateFunction>();

function validator(schema: Schema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    const refs = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"noctis#/components/')) as Schema;
    validate = ajv.compile(refs);
    compiled.set(schema, validate);
  }
  return validate;
}

interface Template {
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly params: number;
  readonly op: Operation;
}

const TEMPLATES: Template[] = Object.entries(doc.paths)
  .flatMap(([template, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const parts = template.split(/\{\w+\}/).map((s) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'));
      return { method, template, op, params: parts.length - 1, pattern: new RegExp(`^${parts.join('[^/]+')}$`) };
    }),
  )
  // A literal segment wins over a parameter, as in Express's own order for these routes.
  .sort((a, b) => a.params - b.params);

/** The documented operation a request reaches, by method and path template. */
export function findOperation(method: string, path: string): Template | undefined {
  const bare = path.split('?')[0]!;
  return TEMPLATES.find((t) => t.method === method.toLowerCase() && t.pattern.test(bare));
}

const resolve = (r: Response): Response => (r.$ref ? doc.components.responses[r.$ref.split('/').pop()!]! : r);
const errorResponse = resolve({ $ref: '#/components/responses/NotFound' });

/**
 * Throws (failing the test) when a response does not match the document: an undeclared status or
 * content type, or a JSON body its schema rejects. Other bodies (HTML, SVG, metrics) are checked
 * for their declared content type only.
 */
export function checkResponse(method: string, path: string, status: number, contentType: string | null, body: unknown): void {
  if (method.toUpperCase() === 'HEAD') return;
  const bare = path.split('?')[0]!;
  // Bull Board's own pages and API under its mount point are the library's, not this API's.
  if (bare.startsWith(`${BULL_BOARD_PATH}/`)) return;
  const found = findOperation(method, path);
  const where = found ? `${method.toUpperCase()} ${found.template} (${found.op.operationId})` : `${method.toUpperCase()} ${bare}`;
  let response: Response;
  if (found) {
    const declared = found.op.responses[String(status)];
    if (!declared) throw new Error(`OpenAPI drift: ${where} answered ${status}, which the document does not declare (declared: ${Object.keys(found.op.responses).join(', ')})`);
    response = resolve(declared);
  } else if (status >= 400) {
    // No route: the app's 404 (or an auth failure before it), with the shared error body.
    response = errorResponse;
  } else {
    throw new Error(`OpenAPI drift: ${where} answered ${status} but no operation in the document matches it`);
  }
  const content = response.content ?? {};
  const types = Object.keys(content);
  if (types.length === 0) {
    if (body !== '' && body !== undefined) throw new Error(`OpenAPI drift: ${where} ${status} is declared without a body but sent one`);
    return;
  }
  const type = (contentType ?? '').split(';')[0]!.trim();
  if (!types.includes(type)) throw new Error(`OpenAPI drift: ${where} ${status} sent content type ${contentType}; declared: ${types.join(', ')}`);
  if (type !== 'application/json') return;
  const validate = validator(content[type]!.schema);
  if (!validate(body)) {
    const problems = (validate.errors ?? []).slice(0, 8).map((e) => `  ${e.instancePath || '(root)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    throw new Error(`OpenAPI drift: the ${status} body of ${where} does not match its schema:\n${problems.join('\n')}\nbody: ${JSON.stringify(body).slice(0, 600)}`);
  }
}
