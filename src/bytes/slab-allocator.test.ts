import { describe, expect, it } from 'vitest';
import { createSlabAllocator } from './slab.js';

describe('createSlabAllocator', () => {
  it('hands out zeroed, disjoint regions of private slabs, and large buffers of their own', () => {
    const alloc = createSlabAllocator(256, 64);
    const regions = Array.from({ length: 40 }, (_, i) => alloc(1 + (i % 50)));
    for (const [i, region] of regions.entries()) {
      expect(region.length).toBe(1 + (i % 50));
      expect(region.every((b) => b === 0)).toBe(true);
      expect(region.byteOffset % 8).toBe(0);
      region.fill(i + 1);
    }
    // Writing every region left every other one intact: they do not overlap.
    for (const [i, region] of regions.entries())
      expect(region.every((b) => b === i + 1)).toBe(true);
    const big = alloc(65);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(65);
    expect(new Set(regions.map((r) => r.buffer)).size).toBeGreaterThan(1);
    expect(() => createSlabAllocator(16, 32)).toThrow(RangeError);
  });
});
