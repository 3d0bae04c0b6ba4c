import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { legacyDefaultDurable, legacyReaderIdFromHostName } from './legacy-reader-id.js';
import { checkReaderId, readerIdFromHostName } from './reader-identity.js';

describe('the pre-N1 default reader id (verify16c V2)', () => {
  it('is the first label, other characters as -, cut to 16, as main before 05e8f16 derived it', () => {
    expect(legacyReaderIdFromHostName('capture-server-01.lab.example')).toBe('capture-server-0');
    expect(legacyReaderIdFromHostName('build-7.lab.example')).toBe('build-7');
    expect(legacyReaderIdFromHostName('Lab1 box')).toBe('Lab1-box');
    expect(legacyReaderIdFromHostName('')).toBe('reader');
    expect(legacyReaderIdFromHostName('.local')).toBe('reader');
  });

  it('is always a valid reader id', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (name) => {
        const id = legacyReaderIdFromHostName(name);
        expect(checkReaderId(id)).toBe(id);
      }),
    );
  });

  it('names an old durable only for the default id of the machine, and only when it changed', () => {
    const machine = 'capture-server-01.lab.example';
    expect(legacyDefaultDurable('lab', readerIdFromHostName(machine), machine)).toBe(
      'netrx-reader-lab-capture-server-0',
    );
    // An explicit id is not this machine's default: no old durable is this server's.
    expect(legacyDefaultDurable('lab', 'other', machine)).toBeUndefined();
    // A name both derivations keep as it is: one durable, V1's case, not V2's.
    expect(legacyDefaultDurable('lab', 'build-7', 'build-7')).toBeUndefined();
  });
});
