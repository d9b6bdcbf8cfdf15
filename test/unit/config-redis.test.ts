import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { configProblems as problems } from '../helpers/config-problems.js';


describe('Redis mode', () => {
  it('defaults to one local server when no mode is set', () => {
    expect(loadConfig({}).REDIS).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379/0' });
    expect(loadConfig({ REDIS_URL: 'redis://:pw@cache:6380/2' }).REDIS).toEqual({ mode: 'single', url: 'redis://:pw@cache:6380/2' });
  });

  it('reads cluster seed nodes, with REDIS_PASSWORD for every node', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis-b:7001 ,[::1]:7002', REDIS_PASSWORD: 'secret' });
    expect(config.REDIS).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      password: 'secret',
    });
  });

  it('reads sentinels and the master name', () => {
    const config = loadConfig({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_MASTER: 'noctis-primary' });
    expect(config.REDIS).toEqual({ mode: 'sentinel', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], master: 'noctis-primary' });
  });

  it('refuses two modes at once, naming both', () => {
    const found = problems({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:7000' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^REDIS_CLUSTER_NODES="b:7000": set only one of .* \(found REDIS_URL and REDIS_CLUSTER_NODES\)/);
    expect(problems({ REDIS_CLUSTER_NODES: 'b:7000', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_MASTER: 'm' })[0]).toContain('found REDIS_CLUSTER_NODES and REDIS_SENTINELS');
  });

  it('wants the sentinels and the master name together', () => {
    expect(problems({ REDIS_SENTINELS: 's:26379' })).toEqual([expect.stringMatching(/^REDIS_SENTINEL_MASTER="": required with REDIS_SENTINELS/)]);
    expect(problems({ REDIS_SENTINEL_MASTER: 'm' })).toEqual([expect.stringMatching(/^REDIS_SENTINELS="": required with REDIS_SENTINEL_MASTER/)]);
  });

  it('refuses malformed host:port lists, naming the bad entries', () => {
    expect(problems({ REDIS_CLUSTER_NODES: 'a:7000,b,c:70000,d:x' })[0]).toContain('bad: b, c:70000, d:x');
    expect(problems({ REDIS_SENTINELS: ' , ', REDIS_SENTINEL_MASTER: 'm' })[0]).toContain('bad: empty');
  });

  it('takes a password in one place only, and never echoes it', () => {
    const found = problems({ REDIS_URL: 'redis://:in-url@a:6379', REDIS_PASSWORD: 'hunter2-secret' });
    expect(found).toEqual([expect.stringMatching(/^REDIS_PASSWORD: REDIS_URL carries a password already/)]);
    expect(found.join('\n')).not.toContain('hunter2-secret');
    expect(found.join('\n')).not.toContain('in-url');
    expect(loadConfig({ REDIS_URL: 'redis://a:6379', REDIS_PASSWORD: 'pw' }).REDIS).toEqual({ mode: 'single', url: 'redis://a:6379', password: 'pw' });
  });
});

describe('QUEUE_SHARDS', () => {
  it('defaults to 1 and is bounded to 1..64', () => {
    expect(loadConfig({}).QUEUE_SHARDS).toBe(1);
    expect(loadConfig({ QUEUE_SHARDS: '64' }).QUEUE_SHARDS).toBe(64);
    expect(problems({ QUEUE_SHARDS: '0' })[0]).toMatch(/^QUEUE_SHARDS="0"/);
    expect(problems({ QUEUE_SHARDS: '65' })[0]).toMatch(/^QUEUE_SHARDS="65"/);
    expect(problems({ QUEUE_SHARDS: '2.5' })[0]).toMatch(/^QUEUE_SHARDS="2.5"/);
  });
});
