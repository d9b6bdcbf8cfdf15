import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { conflict, tooLarge } from '../errors/app-error.js';
import { parseEpochEnvelope } from '../epochs/epoch-input.schemas.js';
import { decodeEpochList } from '../epochs/features.decoder.js';
import { requireIndicesWithin } from '../epochs/recording-limit.js';
import { pageStart, recordingPageLimit, toPage } from '../http/paging.js';
import { parseQuery } from '../http/query.js';
import { requireObjectBody, validate } from '../http/validate.js';
import { insertJob } from '../jobs/jobs.repository.js';
import { jobStatusUrl } from '../jobs/jobs.service.js';
import type { LoadedModel } from '../models/model-loader.js';
import { enqueue } from '../queues/queues.js';
import { epochWindow } from '../recordings/epoch-window.js';
import { requireRecording } from '../recordings/recordings.service.js';
import { epochTime, toIndexRange } from '../recordings/time-range.js';
import { scoreEpochs } from '../models/model-scoring.js';
import type { PredictParams } from './predict.processor.js';
import { InlinePredictBody, InlinePredictions, ListPredictionsQuery, MAX_INLINE_PREDICT_EPOCHS, PredictionPage, RecordingPredictBody } from './predict.schemas.js';
import { JobAccepted } from '../jobs/jobs.schemas.js';
import { reply } from '../http/reply.js';
import { listPredictions, nightScoredAt } from './predictions.repository.js';
import { requireRecordingNotErasing } from '../erase/erase.guard.js';
import { jsonBody } from '../http/json-body.js';
import { enqueueOrLeaveToSweeper } from '../jobs/enqueue-or-sweep.js';

function requireSchema(model: LoadedModel, version: string): void {
  if (model.featureSchemaVersion !== version) {
    throw conflict('feature_schema_mismatch', `model ${model.version} uses feature schema ${model.featureSchemaVersion}, not ${version}`, {
      model_version: model.version,
      model_feature_schema_version: model.featureSchemaVersion,
      feature_schema_version: version,
    });
  }
}

const round = (values: Float32Array): number[] => Array.from(values, (v) => Math.round(v * 1e7) / 1e7);

export function predictionsRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/v1/predict', jsonBody(ctx.config.MAX_BODY_BYTES), async (req, res) => {
    const body = requireObjectBody(req.body);
    if ('recording_id' in body) {
      const params = validate(RecordingPredictBody, body, 'predict request');
      const recording = await requireRecording(ctx, params.recording_id, req.auth.tenant);
      await requireRecordingNotErasing(ctx, recording);
      const model = ctx.registry.resolve(params.model_version);
      requireSchema(model, recording.feature_schema_version);
      const range = toIndexRange(new Date(recording.started_at), recording.epoch_seconds, params.from, params.to);
      const jobId = randomUUID();
      const jobParams: PredictParams = { model_version: model.version, from_index: range.fromIndex, to_index: range.toIndex };
      await insertJob(ctx.db, { id: jobId, type: 'predict', recordingId: recording.id, tenant: recording.tenant, params: { ...jobParams } });
      await enqueueOrLeaveToSweeper(req.log, jobId, () => enqueue(ctx.queues, 'predict', jobId));
      reply(res, JobAccepted, { job_id: jobId, status_url: jobStatusUrl(jobId), model_version: model.version }, 202);
      return;
    }
    // The epochs are one night, so no more than a recording holds.
    const maxInline = Math.min(MAX_INLINE_PREDICT_EPOCHS, ctx.config.MAX_RECORDING_EPOCHS);
    if (Array.isArray(body['epochs']) && body['epochs'].length > maxInline) {
      throw tooLarge('too_many_epochs', `${body['epochs'].length} epochs in one inline predict; the limit is ${maxInline}`, {
        count: body['epochs'].length,
        limit: maxInline,
      });
    }
    const input = parseEpochEnvelope(InlinePredictBody, body, 'predict request');
    requireIndicesWithin(input.epochs.map((e, k) => e.epoch_index ?? k), ctx.config.MAX_RECORDING_EPOCHS);
    const model = ctx.registry.resolve(input.model_version);
    requireSchema(model, input.feature_schema_version);
    const decoded = decodeEpochList(input.epochs, model.features, { requireIndex: false, maxEpochs: maxInline });
    // The epochs given are one night: list position stands in for a missing epoch_index.
    const scores = scoreEpochs(model, decoded.indices, decoded.features, decoded.count);
    ctx.metrics.scoringBatchSize.observe(decoded.count);
    const k = model.labels.length;
    reply(res, InlinePredictions, {
      model_version: model.version,
      labels: [...model.labels],
      predictions: Array.from(decoded.indices, (epochIndex, i) => ({
        epoch_index: epochIndex,
        stage: model.labels[scores.classes[i]!]!,
        probabilities: round(scores.probabilities.subarray(i * k, (i + 1) * k)),
      })),
    });
  });

  router.get('/v1/recordings/:id/predictions', async (req, res) => {
    const query = parseQuery(ListPredictionsQuery, req.query);
    const limit = recordingPageLimit(query.limit, ctx.config.MAX_RECORDING_EPOCHS);
    const recording = await requireRecording(ctx, req.params.id, req.auth.tenant);
    const model = ctx.registry.resolve(query.model_version);
    const started = new Date(recording.started_at);
    const range = toIndexRange(started, recording.epoch_seconds, query.from, query.to);
    const window = epochWindow(recording, ctx.config.MAX_RECORDING_EPOCHS, { fromIndex: pageStart(range.fromIndex, query.cursor), toIndex: range.toIndex });
    const [rows, scoredAt] = await Promise.all([listPredictions(ctx.db, window, model.version, limit + 1), nightScoredAt(ctx.db, recording.id, model.version)]);
    const page = toPage(rows, limit);
    reply(res, PredictionPage, {
      model_version: model.version,
      labels: [...model.labels],
      // When this version last scored the night (null: never scored, or only before this was kept).
      scored_at: scoredAt?.toISOString() ?? null,
      items: page.rows.map((r) => ({
        epoch_index: r.epoch_index,
        ts: epochTime(started, recording.epoch_seconds, r.epoch_index),
        stage: r.stage,
        probabilities: r.probabilities,
      })),
      next_cursor: page.next_cursor,
    });
  });

  return router;
}
