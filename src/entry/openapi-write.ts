// npm run openapi:write: writes the OpenAPI document the code serves to docs/openapi.json, the file
// the TypeScript client is generated from and redocly lints (test/unit/openapi-contract.test.ts
// fails while the committed file differs from the code).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OPENAPI_FILE, openApiFileText } from '../openapi/openapi.file.js';

// Relative to the repository root, wherever the command is run from.
writeFileSync(fileURLToPath(new URL(`../../${OPENAPI_FILE}`, import.meta.url)), openApiFileText());
console.log(`wrote ${OPENAPI_FILE}`);
