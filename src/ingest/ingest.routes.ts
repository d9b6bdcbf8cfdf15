import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { conflict, tooLarge, unprocessable } from '../errors/app-error.js';
import { parseEpochEnvelope } from '../epochs/epoch-input.schemas.js';
import { decodeEpochList, decodePacked } from '../epochs/features.decoder.js';
import { requireIndicesWithin, requireSpanWithin } from '../epochs/recording-limit.js';
import { requireObjectBody } from '../http/validate.js';
import { requireRecording } from '../recordings/recordings.service.js';
import { IngestAccepted, IngestListBody, IngestPackedBody } from './ingest.schemas.js';
import { reply } from '../http/reply.js';
import { acceptIngest } from './ingest.service.js';
import { requireRecordingNotErasing } from '../erase/erase.guard.js';
import { requireWithinRetention } from '../retention/retention.guard.js';
import { jsonBody } from '../http/json-body.js';

export function ingestRouter(ctx: AppContext): Router {
  const router = Router();
  const max = ctx.config.MAX_EPOCHS_PER_REQUEST;
  const recordingEpochs = ctx.config.MAX_RECORDING_EPOCHS;

  router.post('/v1/epochs\\:ingest', jsonBody(ctx.config.MAX_BODY_BYTES), async (req, res) => {
    const body = requireObjectBody(req.body);
    // Counted before validation so an oversized list costs nothing more.
    if (Array.isArray(body['epochs']) && body['epochs'].length > max) {
      throw tooLarge('too_many_epochs', `${body['epochs'].length} epochs in one request; the limit is ${max}`, {
        count: body['epochs'].length,
        limit: max,
      });
    }
    const packed = 'packed' in body;
    const envelope = packed
      ? parseEpochEnvelope(IngestPackedBody, body, 'ingest request')
      : parseEpochEnvelope(IngestListBody, body, 'ingest request');
    if ('packed' in envelope) requireSpanWithin(envelope.start_index, 1, recordingEpochs);
    else requireIndicesWithin(envelope.epochs.map((e) => e.epoch_index), recordingEpochs);
    const recording = await requireRecording(ctx, envelope.recording_id, req.auth.tenant);
    await requireRecordingNotErasing(ctx, recording);
    if (recording.closed_at) throw conflict('recording_closed', `recording ${recording.id} was closed at ${recording.closed_at.toISOString()}; send a new night to a new recording`, { recording_id: recording.id, closed_at: recording.closed_at.toISOString() });
    if (envelope.feature_schema_version !== recording.feature_schema_version) {
      throw conflict('feature_schema_mismatch', `recording ${recording.id} uses feature schema ${recording.feature_schema_version}, not ${envelope.feature_schema_version}`, {
        recording_feature_schema_version: recording.feature_schema_version,
        feature_schema_version: envelope.feature_schema_version,
      });
    }
    const features = ctx.registry.featureSchemas().get(recording.feature_schema_version);
    if (!features) {
      throw unprocessable('unknown_feature_schema', `no loaded model declares feature schema ${recording.feature_schema_version}`, {
        feature_schema_version: recording.feature_schema_version,
      });
    }
    const decoded =
      'packed' in envelope
        ? decodePacked(envelope.packed, envelope.start_index, features, max)
        : decodeEpochList(envelope.epochs, features, { requireIndex: true, maxEpochs: max });
    // The packed form's last index is known once its rows are counted.
    if ('packed' in envelope) requireSpanWithin(envelope.start_index, decoded.count, recordingEpochs);
    requireWithinRetention(ctx.config, recording, decoded.indices);
    reply(res, IngestAccepted, await acceptIngest(ctx, recording, decoded, features.length), 202);
  });

  return router;
}
