import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { AppContext } from '../app-context.js';
import { AppError } from '../errors/app-error.js';
import { findActiveKey } from './api-keys.repository.js';
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

/**
 * Authenticates every request it guards, enforces the route's scope and the per-key rate limit.
 * `allowReadOn` lets read-scoped keys through on paths that serve a read-only view (Bull Board).
 */
export function authenticate(ctx: AppContext, limiter: RateLimiter, options: { allowReadOn?: RegExp } = {}): RequestHandler {
  return async (req, res, next) => {
    // Mounted on several prefixes: the full path is the mount point plus the rest.
    const path = normalizePath(req.baseUrl + req.path);
    const browser = !path.startsWith('/v1/');
    try {
      const secret = credentialsOf(req);
      if (!secret) throw unauthorized('missing credentials: send Authorization: Bearer <api key>');
      let auth: AuthContext | null = null;
      const adminToken = ctx.config.NOCTIS_ADMIN_TOKEN;
      if (adminToken && sameSecret(secret, adminToken)) {
        auth = { tenant: DEFAULT_TENANT, scopes: SCOPES, keyId: null };
      } else {
        const key = await findActiveKey(ctx.db, secret);
        if (key) auth = { tenant: key.tenant, scopes: key.scopes, keyId: key.id };
      }
      if (!auth) throw unauthorized('invalid or revoked api key');
      const scope = requiredScope(req.method, path);
      const safe = req.method === 'GET' || req.method === 'HEAD';
      const readView = safe && options.allowReadOn?.test(path) === true && hasScope(auth, 'read');
      if (!hasScope(auth, scope) && !readView) {
        throw new AppError(403, 'forbidden', `this key lacks the ${scope} scope`, { required_scope: scope, scopes: auth.scopes });
      }
      const decision = await limiter.consume(auth.keyId ?? 'admin-token');
      if (!decision.allowed) {
        res.setHeader('Retry-After', String(decision.retryAfterSeconds));
        throw new AppError(429, 'rate_limited', `rate limit of ${ctx.config.RATE_LIMIT_PER_MINUTE} requests per minute exceeded`, {
          limit_per_minute: ctx.config.RATE_LIMIT_PER_MINUTE,
          retry_after_seconds: decision.retryAfterSeconds,
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
