import { escapeXml as escapeHtml } from '../pages/escape.js';

interface Operation {
  summary?: string;
  tags?: string[];
  'x-required-scope'?: string;
  parameters?: Array<{ name: string; in: string; required: boolean; schema: unknown }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description?: string; $ref?: string }>;
}

/** A self-contained browsable page for the OpenAPI document: no scripts, no CDN. */
export function renderDocsPage(doc: { info: { title: string; version: string }; paths: Record<string, Record<string, Operation>> }): string {
  const sections = Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })))
    .map(({ path, method, op }) => {
      const params = (op.parameters ?? [])
        .map((p) => `<li><code>${escapeHtml(p.name)}</code> (${escapeHtml(p.in)}${p.required ? ', required' : ''}) <code>${escapeHtml(JSON.stringify(p.schema))}</code></li>`)
        .join('');
      const body = op.requestBody ? `<details><summary>request body schema</summary><pre>${escapeHtml(JSON.stringify(Object.values(op.requestBody.content)[0]?.schema, null, 2))}</pre></details>` : '';
      const responses = Object.entries(op.responses)
        .map(([status, r]) => `<code>${escapeHtml(status)}</code> ${escapeHtml(r.description ?? r.$ref?.split('/').pop() ?? '')}`)
        .join(' · ');
      return `<section id="${escapeHtml(`${method}-${path}`)}"><h3><span class="m ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary ?? '')} <em>scope: ${escapeHtml(op['x-required-scope'] ?? 'none')}</em></p>
${params ? `<ul>${params}</ul>` : ''}${body}<p class="r">${responses}</p></section>`;
    })
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}section{border-top:1px solid #ddd;padding:.4rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:600}.get{color:#0a6}.post{color:#06c}.put{color:#a60}.delete{color:#c33}pre{background:#f6f6f6;padding:.5rem;overflow:auto}.r{color:#555}</style>
</head><body><h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer &lt;api key&gt;</code>.</p>
${sections}</body></html>`;
}
