/**
 * `operator` is the one scope only an operator can grant: it widens what a key's other scopes
 * reach to every tenant, and opens what every tenant shares (model reload, Bull Board, audit).
 */
export const SCOPES = ['ingest', 'read', 'admin', 'operator'] as const;
export type Scope = (typeof SCOPES)[number];

export const DEFAULT_TENANT = 'default';

export interface AuthContext {
  readonly tenant: string;
  readonly scopes: readonly Scope[];
  /** null for the NOCTIS_ADMIN_TOKEN. */
  readonly keyId: string | null;
}

/**
 * The scope a request needs, from one table rather than scattered per route: admin operations by
 * path, then reads by method, and every other write is `ingest`.
 */
export function requiredScope(method: string, rawPath: string): Scope {
  const m = method.toUpperCase();
  const path = normalizePath(rawPath);
  if (path === '/admin' || path.startsWith('/admin/')) return 'admin';
  if (/^\/v1\/audit(\/|$)/.test(path)) return 'operator';
  if (/^\/v1\/api-keys(\/|$)/.test(path)) return 'admin';
  if (/^\/v1\/rescore(\/|$)/.test(path)) return 'admin';
  // Endpoints receive every subscribed event of the tenant and hold signing secrets.
  if (/^\/v1\/webhooks(\/|$)/.test(path)) return 'admin';
  if (m === 'POST' && path === '/v1/models/reload') return 'admin';
  if (m === 'DELETE' && /^\/v1\/jobs\//.test(path)) return 'admin';
  // Erasing a device or recording destroys a person's data: only a tenant admin may.
  if (m === 'DELETE' && /^\/v1\/(devices|recordings)\/[^/]+$/.test(path)) return 'admin';
  if (m === 'GET' || m === 'HEAD') return 'read';
  return 'ingest';
}

/**
 * The tenant filter for cross-tenant operations (model evaluation, re-score, keys, jobs):
 * operators see every tenant; anyone else, a `default` tenant key included, only their own.
 */
export function operatorScope(auth: AuthContext): string | undefined {
  return isOperator(auth) ? undefined : auth.tenant;
}

/**
 * The path as Express routes it: routers match case-insensitively and ignore a trailing slash, so
 * the scope rules must see `/V1/API-KEYS/` as `/v1/api-keys`.
 */
export function normalizePath(path: string): string {
  return path.toLowerCase().replace(/\/+$/, '') || '/';
}

/** Operations that act on every tenant at once (model switch, Bull Board) belong to operators. */
export function isOperator(auth: AuthContext): boolean {
  return hasScope(auth, 'operator');
}

export function hasScope(auth: AuthContext, scope: Scope): boolean {
  return auth.scopes.includes(scope);
}
