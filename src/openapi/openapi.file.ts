import { APP_VERSION } from '../version.js';
import { buildOpenApiDocument } from './openapi.document.js';
import { COMPONENTS, ROUTES } from './routes.catalog.js';

/** Where the committed document lives: clients are generated from it (clients/typescript). */
export const OPENAPI_FILE = 'docs/openapi.json';

/** The document exactly as committed: what the server serves, pretty-printed, newline-terminated. */
export function openApiFileText(): string {
  return `${JSON.stringify(buildOpenApiDocument(ROUTES, APP_VERSION, COMPONENTS), null, 2)}\n`;
}
