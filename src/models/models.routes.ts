import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { ConfigError, type Config } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import { requireObjectBody, validate } from '../http/validate.js';
import type { LoadedModel } from './model-loader.js';
import { isOperator } from '../auth/scopes.js';
import { requestActor } from '../audit/audit.actor.js';
import { recordAudit } from '../audit/audit.repository.js';
import { jsonBody } from '../http/json-body.js';
import { reply } from '../http/reply.js';
import { Model, ModelList, ReloadOutcome } from './models.schemas.js';

export const ReloadBody = z.strictObject({ version: z.string().min(1).max(64).optional() });

export function toModelResource(model: LoadedModel, activeVersion: string | null): z.infer<typeof Model> {
  return {
    version: model.version,
    active: model.version === activeVersion,
    feature_schema_version: model.featureSchemaVersion,
    features: [...model.features],
    labels: [...model.labels],
    transforms: [...model.transforms],
    metadata: { ...model.metadata },
    loaded_at: model.loadedAt.toISOString(),
  };
}

export function modelsRouter(ctx: AppContext): Router {
  const router = Router();

  router.get('/v1/models', (_req, res) => {
    const snapshot = ctx.registry.current();
    const active = snapshot.active?.version ?? null;
    reply(res, ModelList, {
      active_version: active,
      models: [...snapshot.models.values()].map((m) => toModelResource(m, active)),
      invalid: [...snapshot.broken.entries()].map(([version, error]) => ({ version, error })),
    });
  });

  router.get('/v1/models/:version', (req, res) => {
    const model = ctx.registry.resolve(req.params.version);
    reply(res, Model, toModelResource(model, ctx.registry.active()?.version ?? null));
  });

  router.post('/v1/models/reload', jsonBody(ctx.config.MAX_BODY_BYTES), async (req, res) => {
    // The active model is shared by every tenant: switching it is an operator's decision.
    if (!isOperator(req.auth)) throw new AppError(403, 'forbidden', 'model reload is for operators (keys with the operator scope)', { required_scope: 'operator' });
    const body = validate(ReloadBody, req.body === undefined ? {} : requireObjectBody(req.body), 'reload request');
    let config: Config;
    try {
      config = ctx.readConfig();
    } catch (err) {
      if (err instanceof ConfigError) throw new AppError(500, 'invalid_configuration', err.message, { problems: err.problems });
      throw err;
    }
    // Not recorded (the database unreachable): this process stays where it was, and the error
    // middleware answers 503.
    const { outcome, processes } = await ctx.modelSync.reload(body.version ?? config.ACTIVE_MODEL_VERSION, config.ACTIVE_MODEL_VERSION);
    const event = {
      action: 'model.reloaded',
      actor: requestActor(req),
      details: { requested_version: body.version ?? null, active_version: outcome.active.version, previous_version: outcome.previousVersion },
    } as const;
    // The switch has happened in every process by now: a lost record is logged, not a failed reload.
    await recordAudit(ctx.db, event).catch((err: unknown) => req.log.error({ err, audit: event }, 'could not record the model reload in the audit log'));
    reply(res, ReloadOutcome, {
      active_version: outcome.active.version,
      previous_version: outcome.previousVersion,
      loaded_at: outcome.active.loadedAt.toISOString(),
      processes,
    });
  });

  return router;
}
