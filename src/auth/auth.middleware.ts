import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../app-context.js';
import { AppError } from '../errors/app-error.js';
import { findActiveKey } from './api-keys.repository.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { KeyUsage } from './key-usage.js';
import type { RateLimiter } from './rate-limiter.js';
import { DEFAULT_TENANT, SCOPES, hasScope, normalizePath, requiredScope, type AuthContext } from './scopes.js';

declare module 'express-serve-static-core' {
  interface Request {
    auth: AuthContext;
  }
}

/** Bearer for API clients; Basic (any user name, the key as password) so browsers can log in. */
export function credentialsOf(req: Request): string | null {
  const header = req.header('authorization') ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : null;
  }
  return null;
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const unauthorized = (message: string) => new AppError(401, 'unauthorized', message);

// What generateKey() makes: anything else cannot be a key, and is refused without a lookup.
const KEY_SHAPE = /^nct_[A-Za-z0-9_-]{43}$/;

export interface AuthGuards {
  readonly limiter: RateLimiter;
  readonly throttle: AuthThrottle;
  readonly usage: KeyUsage;
}

function tooMany(res: Response, retryAfterSeconds: number, message: string, details: Record<string, unknown>): AppError {
  res.setHeader('Retry-After', String(retryAfterSeconds));
  return new AppError(429, 'rate_limited', message, { ...details, retry_after_seconds: retryAfterSeconds });
}

/**
 * Looks a presented key up, within the client address's budget of failed checks: past it the
 * answer is 429 before the database is asked, so a flood of random tokens cannot fill the pool.
 */
async function checkKey(ctx: AppContext, guards: AuthGuards, req: Request, res: Response, secret: string): Promise<AuthContext> {
  const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  const ticket = await guards.throttle.begin(address);
  if (!ticket.allowed) {
    ctx.metrics.authKeyChecks.inc({ outcome: 'throttled' });
    throw tooMany(res, ticket.retryAfterSeconds, `too many failed key checks from this address; at most ${ctx.config.AUTH_FAILURES_PER_MINUTE} a minute`, {
      limit: 'auth_failures',
      limit_per_minute: ctx.config.AUTH_FAILURES_PER_MINUTE,
    });
  }
  let key: Awaited<ReturnType<typeof findActiveKey>>;
  try {
    key = KEY_SHAPE.test(secret) ? await findActiveKey(ctx.db, secret) : undefined;
  } catch (err) {
    // The database did not answer (503): not a failed check, or an outage would lock valid clients out with 429.
    ticket.release();
    throw err;
  }
  if (key) ticket.release();
  ctx.metrics.authKeyChecks.inc({ outcome: key ? 'valid' : 'invalid' });
  if (!key) throw unauthorized('invalid, revoked or expired api key');
  guards.usage.seen(key);
  return { tenant: key.tenant, scopes: key.scopes, keyId: key.id };
}

/**
 * Authenticates every request it guards, enforces the route's scope and the per-key and
 * per-tenant rate limits. `allowReadOn` lets read-scoped keys through on paths that serve a
 * read-only view (Bull Board).
 */
export function authenticate(ctx: AppContext, guards: AuthGuards, options: { allowReadOn?: RegExp } = {}): RequestHandler {
  return async (req, res, next) => {
    // Mounted on several prefixes: the full path is the mount point plus the rest.
    const path = normalizePath(req.baseUrl + req.path);
    const browser = !path.startsWith('/v1/');
    try {
      const secret = credentialsOf(req);
      if (!secret) throw unauthorized('missing credentials: send Authorization: Bearer <api key>');
      const adminToken = ctx.config.NOCTIS_ADMIN_TOKEN;
      const auth: AuthContext =
        adminToken && sameSecret(secret, adminToken) ? { tenant: DEFAULT_TENANT, scopes: SCOPES, keyId: null } : await checkKey(ctx, guards, req, res, secret);
      const scope = requiredScope(req.method, path);
      const safe = req.method === 'GET' || req.method === 'HEAD';
      const readView = safe && options.allowReadOn?.test(path) === true && hasScope(auth, 'read');
      if (!hasScope(auth, scope) && !readView) {
        throw new AppError(403, 'forbidden', `this key lacks the ${scope} scope`, { required_scope: scope, scopes: auth.scopes });
      }
      const decision = await guards.limiter.consume(auth);
      if (!decision.allowed) {
        ctx.metrics.rateLimited.inc({ limit: decision.limit ?? 'key' });
        const whose = decision.limit === 'tenant' ? `tenant ${auth.tenant}` : 'this key';
        throw tooMany(res, decision.retryAfterSeconds, `rate limit of ${decision.limitPerMinute} requests per minute for ${whose} exceeded`, {
          limit: decision.limit,
          limit_per_minute: decision.limitPerMinute,
        });
      }
      req.auth = auth;
      req.log = req.log.child({ tenant: auth.tenant, keyId: auth.keyId });
      next();
    } catch (err) {
      if (browser && err instanceof AppError && err.statusCode === 401) res.setHeader('WWW-Authenticate', 'Basic realm="noctis", charset="UTF-8"');
      else if (err instanceof AppError && err.statusCode === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="noctis"');
      next(err);
    }
  };
}
