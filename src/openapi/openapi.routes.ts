import { Router } from 'express';
import { renderDocsPage } from './docs.page.js';
import { buildOpenApiDocument } from './openapi.document.js';
import { COMPONENTS, ROUTES } from './routes.catalog.js';

export function openApiRouter(version: string): Router {
  const router = Router();
  // Built once: the catalog and schemas are static for the life of the process.
  const doc = buildOpenApiDocument(ROUTES, version, COMPONENTS);
  const page = renderDocsPage(doc as Parameters<typeof renderDocsPage>[0]);
  router.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(page);
  });
  return router;
}
