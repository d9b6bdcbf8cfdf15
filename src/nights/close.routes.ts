import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { parseUuid } from '../http/params.js';
import { toRecordingWithNight } from '../recordings/recordings-list.routes.js';
import { recordingNightInfo } from './recording-night-info.js';
import { requireRecordingNotErasing } from '../erase/erase.guard.js';
import { closeRecording, modelsOfSchema } from './recording-close.js';
import { RecordingWithNight } from '../recordings/recordings.schemas.js';
import { reply } from '../http/reply.js';
import { recordingNotFound, requireRecording } from '../recordings/recordings.service.js';

export function closeRouter(ctx: AppContext): Router {
  const router = Router();

  /** 200 with the closed recording, also when it was closed already (safe to repeat). */
  router.post('/v1/recordings/:id\\:close', async (req, res) => {
    // Express's types read `:id\\:close` as one parameter name; at run time it is `id`.
    const id = parseUuid((req.params as Record<string, string>)['id'], 'recording_not_found', 'recording');
    // Another tenant's recording answers 404 before anything else, as for ids that do not exist.
    await requireRecordingNotErasing(ctx, await requireRecording(ctx, id, req.auth.tenant));
    const outcome = await closeRecording(ctx.db, modelsOfSchema(ctx.registry), id, { tenant: req.auth.tenant });
    if (!outcome) throw recordingNotFound(id);
    const night = (await recordingNightInfo(ctx.db, [outcome.recording])).get(id)!;
    reply(res, RecordingWithNight, toRecordingWithNight(outcome.recording, night));
  });

  return router;
}
