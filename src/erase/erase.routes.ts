import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { requestActor } from '../audit/audit.actor.js';
import { parseUuid } from '../http/params.js';
import { reply } from '../http/reply.js';
import { EraseAccepted } from './erase.schemas.js';
import { requestErase } from './erase.service.js';

/** DELETE of a device or recording: 202 with the erase job (the `admin` scope, see auth/scopes.ts). */
export function eraseRouter(ctx: AppContext): Router {
  const router = Router();
  router.delete('/v1/devices/:id', async (req, res) => {
    const id = parseUuid(req.params.id, 'device_not_found', 'device');
    const accepted = await requestErase(ctx, 'device', id, req.auth.tenant, requestActor(req));
    reply(res, EraseAccepted, accepted, 202);
  });
  router.delete('/v1/recordings/:id', async (req, res) => {
    const id = parseUuid(req.params.id, 'recording_not_found', 'recording');
    const accepted = await requestErase(ctx, 'recording', id, req.auth.tenant, requestActor(req));
    reply(res, EraseAccepted, accepted, 202);
  });
  return router;
}
