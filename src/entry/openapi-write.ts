// npm run openapi:write: writes the OpenAPI document the code serves to docs/openapi.json, the file
// the TypeScript client is generated from and redocly lints (test/unit/openapi-contract.test.ts
// fails while the committed file differs from the code).
import { writeFileSync } from 'node:fs';
import { OPENAPI_FILE, openApiFileText } from '../openapi/openapi.file.js';

writeFileSync(OPENAPI_FILE, openApiFileText());
console.log(`wrote ${OPENAPI_FILE}`);
