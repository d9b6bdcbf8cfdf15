import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { requestActor } from '../audit/audit.actor.js';
import { operatorScope } from '../auth/scopes.js';
import { parseUuid } from '../http/params.js';
import { requireObjectBody, validate } from '../http/validate.js';
import { jobStatusUrl, toJobResource } from '../jobs/jobs.service.js';
import { RescoreBody } from './rescore.schemas.js';
import { cancelRescore, startRescore } from './rescore.service.js';
import { jsonBody } from '../http/json-body.js';
import { reply } from '../http/reply.js';
import { Job, JobAccepted } from '../jobs/jobs.schemas.js';

export function rescoreRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/v1/rescore', jsonBody(ctx.config.MAX_BODY_BYTES), async (req, res) => {
    const body = validate(RescoreBody, requireObjectBody(req.body), 'rescore request');
    const started = await startRescore(ctx, body, 'api', operatorScope(req.auth), req.auth.tenant, requestActor(req));
    reply(res, JobAccepted, { job_id: started.jobId, status_url: jobStatusUrl(started.jobId), model_version: started.modelVersion }, 202);
  });

  // Cancelling lives with re-scoring, the only job type that can be cancelled; GET is in jobs.routes.
  router.delete('/v1/jobs/:id', async (req, res) => {
    const id = parseUuid(req.params.id, 'job_not_found', 'job');
    reply(res, Job, toJobResource(await cancelRescore(ctx, id, operatorScope(req.auth), requestActor(req))));
  });

  return router;
}
