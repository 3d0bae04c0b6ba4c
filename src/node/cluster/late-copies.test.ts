import { describe, expect, it } from 'vitest';
import { batchId } from './batch-id.js';
import { LateCopies } from './late-copies.js';

describe('LateCopies: which unremembered copies may be second ones', () => {
  const window = 120_000;
  const tolerance = 10_000;
  const sent = 1_000_000;
  const id = batchId('lab-1', 'run1', 5, sent);

  it('a copy stored inside the window less the tolerance is never one', () => {
    const late = new LateCopies(window, tolerance);
    expect(late.possibleDuplicate('lab-1', id, sent + window - tolerance - 1)).toBe(false);
    expect(late.possibleDuplicate('lab-1', id, sent + window - tolerance)).toBe(true);
  });

  it('a late copy first sent while this reader held the claim is judged exactly (not counted)', () => {
    const late = new LateCopies(window, tolerance);
    late.held('lab-1', sent - tolerance);
    expect(late.possibleDuplicate('lab-1', id, sent + window)).toBe(false);
    // Held since less than the tolerance before the first send: the clocks may disagree.
    late.held('lab-1', sent - tolerance + 1);
    expect(late.possibleDuplicate('lab-1', id, sent + window)).toBe(true);
    // Another host's claim says nothing of this one.
    expect(late.possibleDuplicate('lab-2', batchId('lab-2', 'r', 1, sent), sent + window)).toBe(
      true,
    );
  });

  it('once an ID as recent was forgotten, the reader may have forgotten the first copy: counted', () => {
    const late = new LateCopies(window, tolerance);
    late.held('lab-1', 0);
    late.forgotten(batchId('lab-1', 'run1', 4, sent - 1));
    expect(late.possibleDuplicate('lab-1', id, sent + window)).toBe(false);
    late.forgotten(batchId('lab-1', 'run1', 3, sent));
    expect(late.possibleDuplicate('lab-1', id, sent + window)).toBe(true);
  });

  it('IDs or messages without times are not judged; settings are checked', () => {
    const late = new LateCopies(window, tolerance);
    expect(late.possibleDuplicate('lab-1', 'lab-1.run1.5', sent + window)).toBe(false);
    expect(late.possibleDuplicate('lab-1', id, undefined)).toBe(false);
    expect(() => new LateCopies(0, 0)).toThrow(RangeError);
    expect(() => new LateCopies(1000, 1000)).toThrow(RangeError);
  });
});
