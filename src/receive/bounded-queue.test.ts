import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './bounded-queue.js';

describe('BoundedQueue', () => {
  it('is first-in first-out across wrap-around', () => {
    const queue = new BoundedQueue<number>(3);
    const out: number[] = [];
    for (let i = 0; i < 10; i++) {
      queue.push(i);
      if (queue.length === 3) out.push(queue.shift() as number);
    }
    while (queue.length > 0) out.push(queue.shift() as number);
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('tail-drops when full and counts the drops', () => {
    const queue = new BoundedQueue<string>(2);
    expect(queue.push('a')).toBe(true);
    expect(queue.push('b')).toBe(true);
    expect(queue.isFull).toBe(true);
    expect(queue.push('c')).toBe(false);
    expect(queue.dropped).toBe(1);
    expect(queue.peek()).toBe('a');
  });

  it('replaces the head and clears', () => {
    const queue = new BoundedQueue<string>(2);
    expect(() => queue.replaceHead('x')).toThrow(RangeError);
    queue.push('a');
    queue.replaceHead('z');
    expect(queue.shift()).toBe('z');
    expect(queue.shift()).toBeUndefined();
    expect(queue.peek()).toBeUndefined();
    queue.push('q');
    expect(queue.clear()).toBe(1);
    expect(queue.length).toBe(0);
  });

  it('validates its capacity', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});
