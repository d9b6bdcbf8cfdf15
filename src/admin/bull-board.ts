import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { RequestHandler } from 'express';
import { hasScope, isOperator } from '../auth/scopes.js';
import { AppError } from '../errors/app-error.js';
import { allQueues, type Queues } from '../queues/queues.js';

export const BULL_BOARD_PATH = '/admin/queues';

function board(queues: Queues, readOnlyMode: boolean): RequestHandler {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    // Every shard's queues too: each has its own name.
    queues: allQueues(queues).map((queue) => new BullMQAdapter(queue, { readOnlyMode, allowRetries: !readOnlyMode })),
    serverAdapter,
    options: { uiConfig: { boardTitle: readOnlyMode ? 'Noctis queues (read-only)' : 'Noctis queues' } },
  });
  return serverAdapter.getRouter() as RequestHandler;
}

/**
 * Two boards on one path: admins get the full one, read-scoped keys a read-only one (no retry,
 * clean or promote buttons, and the API refuses those actions). Auth runs before this.
 */
export function bullBoardHandler(queues: Queues): RequestHandler {
  const full = board(queues, false);
  const readOnly = board(queues, true);
  return (req, res, next) => {
    // Queues hold every tenant's jobs: only operators may look, let alone act.
    if (!isOperator(req.auth)) return next(new AppError(403, 'forbidden', 'Bull Board is for operators (keys with the operator scope)', { required_scope: 'operator' }));
    return (hasScope(req.auth, 'admin') ? full : readOnly)(req, res, next);
  };
}
