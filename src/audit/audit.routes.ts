import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { AppError } from '../errors/app-error.js';
import { IsoTimestamp, parseQuery } from '../http/query.js';
import { listAudit, type AuditAction } from './audit.repository.js';
import { AuditPage } from './audit.schemas.js';
import { reply } from '../http/reply.js';
import type { AuditActor } from './audit.repository.js';

export const AuditQuery = z.strictObject({
  from: IsoTimestamp.optional(),
  to: IsoTimestamp.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
});

// Opaque to clients, like the epochs cursor: the id of the last record of the page.
const encodeCursor = (id: number): string => Buffer.from(JSON.stringify({ i: id })).toString('base64url');

function decodeCursor(cursor: string): number {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { i?: unknown };
    if (typeof value.i === 'number' && Number.isSafeInteger(value.i) && value.i > 0) return value.i;
  } catch {
    // fall through to the error below
  }
  throw new AppError(400, 'invalid_cursor', 'cursor is not one this API returned', { cursor: cursor.slice(0, 100) });
}

/** The audit log, for operators (the route needs the operator scope). */
export function auditRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/v1/audit', async (req, res) => {
    const query = parseQuery(AuditQuery, req.query);
    const from = query.from === undefined ? undefined : new Date(query.from);
    const to = query.to === undefined ? undefined : new Date(query.to);
    if (from && to && from >= to) throw new AppError(400, 'invalid_range', `from (${query.from}) must be before to (${query.to})`, { from: query.from, to: query.to });
    const rows = await listAudit(ctx.db, { from, to, afterId: query.cursor === undefined ? 0 : decodeCursor(query.cursor), limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    reply(res, AuditPage, {
      items: page.map((r) => ({
        id: String(r.id),
        at: r.at.toISOString(),
        // Written only from AUDIT_ACTIONS and AuditActor kinds (audit.repository.ts).
        action: r.action as AuditAction,
        actor: { kind: r.actor_kind as AuditActor['kind'], tenant: r.actor_tenant, key_id: r.actor_key_id },
        target: { tenant: r.target_tenant, id: r.target_id },
        details: r.details as Record<string, unknown>,
      })),
      next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!.id) : null,
    });
  });
  return router;
}
