import { describe, expect, it } from 'vitest';
import { HASH_SPACE, shardForHash, shardForValue, shardHash, shardHashRange } from '../../engine/index.js';

describe('shard hash', () => {
  it('spreads short sequential keys that differ only in their last characters over every shard', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40; i++) counts[shardForValue(`k${i}`, 4)]++;
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(5);
  });

  it('spreads sequential row ids evenly: every one of 32 shards within 15% of its share', () => {
    const counts = new Array<number>(32).fill(0);
    for (let id = 1; id <= 32_000; id++) counts[shardForValue(id, 32)]++;
    for (const n of counts) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });

  it('hashes a number and its text alike, and NULL as the empty string', () => {
    expect(shardHash(1)).toBe(shardHash('1'));
    expect(shardHash(1.0)).toBe(shardHash(1));
    expect(shardHash(10n)).toBe(shardHash(10));
    expect(shardHash(null)).toBe(shardHash(''));
  });

  it('puts each hash in the shard whose catalog range holds it, ranges tiling the hash space', () => {
    for (const count of [1, 3, 7, 32, 1000]) {
      let next = 0;
      for (let s = 0; s < count; s++) {
        const { min, max } = shardHashRange(s, count);
        expect(min).toBe(next);
        expect(shardForHash(min, count)).toBe(s);
        expect(shardForHash(max, count)).toBe(s);
        next = max + 1;
      }
      expect(next).toBe(HASH_SPACE);
    }
  });

  it('refuses a shard count that is not a positive integer', () => {
    expect(() => shardForHash(5, 0)).toThrow(/positive integer; got 0/);
  });
});
