import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { notFound } from '../errors/app-error.js';
import { operatorScope } from '../auth/scopes.js';
import { parseUuid } from '../http/params.js';
import { findJob } from './jobs.repository.js';
import { toJobResource } from './jobs.service.js';
import { Job } from './jobs.schemas.js';
import { reply } from '../http/reply.js';

export function jobsRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/v1/jobs/:id', async (req, res) => {
    const id = parseUuid(req.params.id, 'job_not_found', 'job');
    const row = await findJob(ctx.db, id, operatorScope(req.auth));
    if (!row) throw notFound('job_not_found', `job ${id} does not exist`, { job_id: id });
    reply(res, Job, toJobResource(row));
  });
  return router;
}
