import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { parseQuery } from '../http/query.js';
import { requireRecording } from '../recordings/recordings.service.js';
import { evaluateModel, evaluateRecording } from './evaluation.service.js';
import { operatorScope } from '../auth/scopes.js';
import { ModelEvaluation, RecordingEvaluation } from './evaluation.schemas.js';
import { reply } from '../http/reply.js';

export const RecordingEvaluationQuery = z.strictObject({ model_version: z.string().min(1).max(64).optional() });

export function evaluationRouter(ctx: AppContext): Router {
  const router = Router();

  router.get('/v1/recordings/:id/evaluation', async (req, res) => {
    const query = parseQuery(RecordingEvaluationQuery, req.query);
    const recording = await requireRecording(ctx, req.params.id, req.auth.tenant);
    reply(res, RecordingEvaluation, await evaluateRecording(ctx, recording, query.model_version));
  });

  router.get('/v1/models/:version/evaluation', async (req, res) => {
    parseQuery(z.strictObject({}), req.query);
    reply(res, ModelEvaluation, await evaluateModel(ctx, req.params.version, operatorScope(req.auth)));
  });

  return router;
}
