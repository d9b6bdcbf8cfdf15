import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shardIndex, shardPrefix, shardQueueName } from '../../src/queues/shards.js';

describe('queue shards', () => {
  it('shard 0 keeps the names and prefix of an unsharded deployment', () => {
    expect(shardPrefix('noctis', 0)).toBe('{noctis}');
    expect(shardQueueName('ingest', 0)).toBe('ingest');
    expect(shardPrefix('noctis', 2)).toBe('{noctis:2}');
    expect(shardQueueName('night', 2)).toBe('night-2');
  });

  it('puts every recording on one shard within range, the same every time', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.integer({ min: 1, max: 64 }), (id, n) => {
        const shard = shardIndex(id, n);
        expect(shard).toBeGreaterThanOrEqual(0);
        expect(shard).toBeLessThan(n);
        expect(shardIndex(id, n)).toBe(shard);
      }),
    );
    expect(shardIndex('any', 1)).toBe(0);
  });

  it('is pinned: a release must not move recordings between shards', () => {
    // CRC-32 values of fixed ids; a change here strands queued jobs on the wrong shard until swept.
    expect([shardIndex('00000000-0000-0000-0000-000000000000', 3), shardIndex('a', 3), shardIndex('recording', 7)]).toMatchInlineSnapshot(`
      [
        1,
        0,
        6,
      ]
    `);
  });

  it('spreads ids over every shard', () => {
    const counts = new Array<number>(4).fill(0);
    for (let i = 0; i < 4000; i++) counts[shardIndex(`rec-${i}`, 4)]! += 1;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});
