export const SCOPES = ['ingest', 'read', 'admin'] as const;
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
export function requiredScope(method: string, path: string): Scope {
  const m = method.toUpperCase();
  if (path.startsWith('/admin/')) return 'admin';
  if (/^\/v1\/api-keys(\/|$)/.test(path)) return 'admin';
  if (/^\/v1\/rescore(\/|$)/.test(path)) return 'admin';
  if (m === 'POST' && path === '/v1/models/reload') return 'admin';
  if (m === 'DELETE' && /^\/v1\/jobs\//.test(path)) return 'admin';
  if (m === 'GET' || m === 'HEAD') return 'read';
  return 'ingest';
}

/**
 * The tenant filter for cross-recording operations (model evaluation, re-score): operators (the
 * default tenant) see every tenant; anyone else only their own.
 */
export function operatorScope(auth: AuthContext): string | undefined {
  return auth.tenant === DEFAULT_TENANT ? undefined : auth.tenant;
}

export function hasScope(auth: AuthContext, scope: Scope): boolean {
  return auth.scopes.includes(scope);
}
