/**
 * The vitest shim (what the core's test files run under on Deno, Bun and
 * Chromium) must be able to fail: each matcher fails on a wrong value, with
 * and without `.not`; unknown matchers and vitest features it lacks throw;
 * a throwing or rejecting test fails, async tests are awaited, a hung test
 * times out (fake timers), and hooks run in vitest's order.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AssertionError, MATCHERS, expect as shimExpect } from './shim-expect.js';
import { equals, matchesSubset } from './shim-equality.js';
import * as shim from './vitest-shim.js';

const fails = (run: () => void): void => expect(run).toThrow(AssertionError);

async function runOne(register: () => void) {
  const [file] = await shim.runFiles([['f.test.ts', () => Promise.resolve().then(register)]]);
  return file!.tests;
}

describe('shim expect', () => {
  it('passes and fails each matcher, and .not inverts it', () => {
    const cases: [string, unknown, unknown[], unknown[]][] = [
      ['toBe', 1, [1], [2]],
      ['toEqual', { a: [1, new Uint8Array([2])] }, [{ a: [1, new Uint8Array([2])] }], [{ a: [1] }]],
      ['toMatchObject', { a: 1, b: { c: 2, d: 3 } }, [{ b: { c: 2 } }], [{ b: { c: 3 } }]],
      ['toBeUndefined', undefined, [], []],
      ['toHaveLength', [1, 2], [2], [3]],
      ['toBeLessThanOrEqual', 3, [3], [2]],
      ['toContain', 'abc', ['b'], ['d']],
    ];
    for (const [name, actual, good, bad] of cases) {
      const matcher = (value: unknown, negated: boolean) => {
        const e = shimExpect(value);
        return negated ? e.not[name]! : e[name]!;
      };
      matcher(actual, false)(...good);
      fails(() => matcher(actual, true)(...good));
      if (name === 'toBeUndefined') fails(() => matcher(0, false)());
      else {
        fails(() => matcher(actual, false)(...bad));
        matcher(actual, true)(...bad);
      }
    }
    expect(Object.keys(MATCHERS).sort()).toEqual(
      [
        'toBe',
        'toBeLessThanOrEqual',
        'toBeUndefined',
        'toContain',
        'toEqual',
        'toHaveLength',
        'toMatchObject',
        'toThrow',
      ].sort(),
    );
  });

  it('toThrow checks the class, the message and an objectContaining', () => {
    const boom = () => {
      throw Object.assign(new RangeError('too big'), { code: 'ERR_X' });
    };
    shimExpect(boom).toThrow!();
    shimExpect(boom).toThrow!(RangeError);
    shimExpect(boom).toThrow!('too');
    shimExpect(boom).toThrow!(/big$/);
    shimExpect(boom).toThrow!(shimExpect.objectContaining({ code: 'ERR_X' }));
    fails(() => shimExpect(boom).toThrow!(TypeError));
    fails(() => shimExpect(boom).toThrow!(shimExpect.objectContaining({ code: 'ERR_Y' })));
    fails(() => shimExpect(() => undefined).toThrow!());
    shimExpect(() => undefined).not.toThrow!();
  });

  it('toEqual ignores undefined properties but not types, lengths or bytes', () => {
    expect(equals({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(equals([1], { 0: 1 })).toBe(false);
    expect(equals(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(equals(new Uint8Array([1]), new Uint16Array([1]))).toBe(false);
    expect(equals(new Error('a'), new Error('b'))).toBe(false);
    expect(equals(new Map([[1, 'x']]), new Map([[1, 'y']]))).toBe(false);
    expect(equals(-0, 0)).toBe(false);
    expect(matchesSubset([{ a: 1, b: 2 }], [{ a: 1 }, { a: 2 }])).toBe(false);
  });

  it('throws on a matcher or an expect static it does not implement', () => {
    expect(() => shimExpect(1).toBeCloseTo!(1)).toThrow(/toBeCloseTo is not implemented/);
    expect(() => (shimExpect as unknown as { any: unknown }).any).toThrow(/expect.any/);
  });
});

describe('shim runner', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fails a test that throws or rejects, passes one that resolves, and names it as vitest does', async () => {
    const tests = await runOne(() => {
      shim.describe('outer', () => {
        shim.describe('inner', () => {
          shim.it('throws', () => {
            throw new Error('boom');
          });
          shim.it('rejects', () => Promise.reject(new Error('late')));
          shim.it('resolves', async () => {
            await Promise.resolve();
          });
        });
      });
      shim.it.each([1, 2])('row %i of %#', () => undefined);
      shim.it.skip('skipped', () => undefined);
    });
    expect(tests).toEqual([
      { name: 'outer > inner > throws', status: 'failed', error: 'Error: boom' },
      { name: 'outer > inner > rejects', status: 'failed', error: 'Error: late' },
      { name: 'outer > inner > resolves', status: 'passed' },
      { name: 'row 1 of 0', status: 'passed' },
      { name: 'row 2 of 1', status: 'passed' },
      { name: 'skipped', status: 'skipped' },
    ]);
  });

  it('awaits an async test and fails it when it outlives its timeout', async () => {
    vi.useFakeTimers();
    const running = runOne(() => {
      shim.it('hangs', () => new Promise(() => undefined), 50);
    });
    await vi.advanceTimersByTimeAsync(50);
    expect(await running).toEqual([
      { name: 'hangs', status: 'failed', error: 'Error: test timed out after 50 ms' },
    ]);
  });

  it('runs hooks outer to inner before, inner to outer after', async () => {
    const order: string[] = [];
    const tests = await runOne(() => {
      shim.beforeEach(() => void order.push('before outer'));
      shim.afterEach(() => void order.push('after outer'));
      shim.describe('d', () => {
        shim.beforeAll(() => void order.push('beforeAll d'));
        shim.beforeEach(() => void order.push('before inner'));
        shim.afterEach(() => void order.push('after inner'));
        shim.it('t', () => void order.push('test'));
      });
    });
    expect(tests.map((t) => t.status)).toEqual(['passed']);
    expect(order).toEqual([
      'beforeAll d',
      'before outer',
      'before inner',
      'test',
      'after inner',
      'after outer',
    ]);
  });

  it('reports a file whose body uses what the shim lacks as one failed "(load)" test', async () => {
    const tests = await runOne(() => {
      shim.it('kept', () => undefined);
      (shim.it as unknown as { only: (n: string, f: () => void) => void }).only('x', () => {});
    });
    expect(tests).toEqual([
      { name: '(load)', status: 'failed', error: expect.stringMatching(/it\.only/) as unknown },
    ]);
  });
});
