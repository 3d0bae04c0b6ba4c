// netrxHostFromActivityId: exactly the capture fan-in encoding (a name of
// 1 to 16 host characters, zero-padded) decodes; anything else is no host.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { netrxHostFromActivityId } from './activity-host.js';
import { NULL_GUID, readGuid } from './guid.js';

const HOST_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const hostName = fc
  .array(fc.constantFrom(...HOST_CHARS), { minLength: 1, maxLength: 16 })
  .map((chars) => chars.join(''));

function padded(name: string): Uint8Array {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < name.length; i++) bytes[i] = name.charCodeAt(i);
  return bytes;
}

describe('netrxHostFromActivityId', () => {
  it('reads a padded host name back, as bytes and as GUID text', () => {
    fc.assert(
      fc.property(hostName, (name) => {
        const bytes = padded(name);
        expect(netrxHostFromActivityId(bytes)).toBe(name);
        expect(netrxHostFromActivityId(readGuid(bytes, 0))).toBe(name);
      }),
    );
  });

  it('a null GUID, an RFC 4122 GUID, a short buffer or bad text is no host', () => {
    expect(netrxHostFromActivityId(NULL_GUID)).toBeUndefined();
    expect(netrxHostFromActivityId(new Uint8Array(16))).toBeUndefined();
    expect(netrxHostFromActivityId(padded('lab-1').subarray(0, 15))).toBeUndefined();
    expect(netrxHostFromActivityId('lab-1')).toBeUndefined();
    // A Windows activity GUID as ETW writes them (version 4, variant 10xx).
    expect(netrxHostFromActivityId('6b3a1f2e-4c5d-4e6f-8a7b-9c0d1e2f3a4b')).toBeUndefined();
  });

  it('any RFC 4122 GUID is no host, whatever its random bits', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 1, max: 8 }),
        (random, version) => {
          const bytes = Uint8Array.from(random);
          // Windows byte order: Data3's high byte is bytes[7], Data4[0] is bytes[8].
          bytes[7] = (version << 4) | ((bytes[7] as number) & 0x0f);
          bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
          expect(netrxHostFromActivityId(bytes)).toBeUndefined();
        },
      ),
    );
  });

  it('any 16 bytes: a host only when they are exactly its padded encoding', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 16, maxLength: 16 }),
          // Near misses: a name with one byte changed or something after its padding.
          fc.tuple(hostName, fc.nat(15), fc.integer({ min: 0, max: 255 })).map(([n, at, b]) => {
            const bytes = padded(n);
            bytes[at] = b;
            return bytes;
          }),
        ),
        (bytes) => {
          const host = netrxHostFromActivityId(bytes);
          if (host === undefined) {
            const text = String.fromCharCode(...bytes).replace(/\0+$/, '');
            const isEncoding = /^[A-Za-z0-9_-]{1,16}$/.test(text) && !text.includes('\0');
            expect(isEncoding).toBe(false);
          } else {
            expect(padded(host)).toEqual(bytes);
          }
        },
      ),
    );
  });
});
