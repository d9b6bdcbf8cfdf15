import { z } from 'zod';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where Redis is: one server, a Redis Cluster (seed nodes), or a primary found through Sentinel. */
export type RedisTarget =
  | { readonly mode: 'single'; readonly url: string; readonly password?: string }
  | { readonly mode: 'cluster'; readonly nodes: readonly HostPort[]; readonly password?: string }
  | { readonly mode: 'sentinel'; readonly sentinels: readonly HostPort[]; readonly master: string; readonly password?: string };

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/0';

// `host:port` or `[v6-address]:port`; the brackets are dropped from the host.
const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:,[\]]+)):(\d{1,5})$/;

/** `host:port,host:port,...`: seed nodes of a cluster, or the sentinels. */
export const HostPortList = z.string().transform((text, ctx): HostPort[] => {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  const parsed = items.map((item) => {
    const m = HOST_PORT.exec(item);
    const port = Number(m?.[3]);
    return m && port >= 1 && port <= 65535 ? { host: (m[1] ?? m[2])!, port } : null;
  });
  const bad = items.filter((_, i) => parsed[i] === null);
  if (items.length === 0 || bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: `comma-separated host:port pairs (bad: ${bad.join(', ') || 'empty'})` });
    return z.NEVER;
  }
  return parsed as HostPort[];
});

interface RedisFields {
  readonly REDIS_URL?: string | undefined;
  readonly REDIS_CLUSTER_NODES?: readonly HostPort[] | undefined;
  readonly REDIS_SENTINELS?: readonly HostPort[] | undefined;
  readonly REDIS_SENTINEL_MASTER?: string | undefined;
  readonly REDIS_PASSWORD?: string | undefined;
}

const urlHasPassword = (url: string): boolean => {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
};

/**
 * Exactly one mode: two of them set is a mistake worth stopping for (which one did the operator
 * mean?), not something to pick silently. Nothing set means the local default REDIS_URL.
 */
export function checkRedisMode(c: RedisFields, ctx: z.RefinementCtx): void {
  const set = [
    c.REDIS_URL !== undefined && 'REDIS_URL',
    c.REDIS_CLUSTER_NODES !== undefined && 'REDIS_CLUSTER_NODES',
    (c.REDIS_SENTINELS !== undefined || c.REDIS_SENTINEL_MASTER !== undefined) && 'REDIS_SENTINELS',
  ].filter((name): name is string => name !== false);
  if (set.length > 1) {
    ctx.addIssue({ code: 'custom', path: [set.at(-1)!], message: `set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS (found ${set.join(' and ')})` });
  }
  if (c.REDIS_SENTINELS !== undefined && c.REDIS_SENTINEL_MASTER === undefined) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINEL_MASTER'], message: 'required with REDIS_SENTINELS (the master name the sentinels monitor)' });
  }
  if (c.REDIS_SENTINEL_MASTER !== undefined && c.REDIS_SENTINELS === undefined) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINELS'], message: 'required with REDIS_SENTINEL_MASTER (host:port of the sentinels)' });
  }
  if (c.REDIS_PASSWORD !== undefined && c.REDIS_URL !== undefined && urlHasPassword(c.REDIS_URL)) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_PASSWORD'], message: 'REDIS_URL carries a password already; set it in one place' });
  }
}

/** The target of validated fields (checkRedisMode has passed). */
export function resolveRedis(c: RedisFields): RedisTarget {
  const password = c.REDIS_PASSWORD === undefined ? {} : { password: c.REDIS_PASSWORD };
  if (c.REDIS_CLUSTER_NODES) return Object.freeze({ mode: 'cluster', nodes: c.REDIS_CLUSTER_NODES, ...password });
  if (c.REDIS_SENTINELS && c.REDIS_SENTINEL_MASTER) return Object.freeze({ mode: 'sentinel', sentinels: c.REDIS_SENTINELS, master: c.REDIS_SENTINEL_MASTER, ...password });
  return Object.freeze({ mode: 'single', url: c.REDIS_URL ?? DEFAULT_REDIS_URL, ...password });
}
