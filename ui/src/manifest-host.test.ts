// The dashboard's capture view names an event's host of origin (issue #16,
// audit16 A10), as `netrx capture tail` does: from an ActivityId written by
// the JetStream reader's encoder (node/cluster `hostActivityId`), and never
// from a local session's null ActivityId or a foreign server's GUID.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostActivityId } from '../../src/node/cluster/subjects.js';
import {
  encodeEventBuffer,
  filetimeFromUnixMs,
  parseEventBuffer,
} from '../../src/wire/lrec/index.js';
import { Manifest } from './manifest.js';
import { detailsText, matches } from './views/events.js';

const RADIUS = '5e7a0c1d-8b2f-4c3e-9d10-6f4b2a1c1001';
const HOST_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const hostName = fc
  .array(fc.constantFrom(...HOST_CHARS), { minLength: 1, maxLength: 16 })
  .map((chars) => chars.join(''));

function decoded(activityId?: Uint8Array | string) {
  const parsed = parseEventBuffer(
    encodeEventBuffer([
      {
        kind: 'event',
        record: {
          providerId: RADIUS,
          id: 3,
          level: 4,
          timeStamp: filetimeFromUnixMs(1_700_000_000_000),
          ...(activityId === undefined ? {} : { activityId }),
        },
        userData: Uint8Array.of(1, 2),
      },
    ]),
  );
  const item = parsed.ok ? parsed.value[0] : undefined;
  if (item?.kind !== 'event') throw new Error('expected an event item');
  return new Manifest([]).decode(item);
}

const ALL = { provider: '', maxLevel: 5, keywordMask: 0n, polling: false };

describe('dashboard: the host of origin', () => {
  it('a served JetStream event shows host=<name> first in its details, and is searchable by it', () => {
    const event = decoded(hostActivityId('lab-2'));
    expect(event.host).toBe('lab-2');
    expect(detailsText(event)).toBe('host=lab-2  payload=0102');
    expect(matches(event, { ...ALL, search: 'host=lab-2' })).toBe(true);
    expect(matches(event, { ...ALL, search: 'host=lab-1' })).toBe(false);
  });

  it('a local event (null ActivityId) has no host and its details are the fields alone', () => {
    const event = decoded();
    expect(event.host).toBeUndefined();
    expect('host' in event).toBe(false);
    expect(detailsText(event)).toBe('payload=0102');
  });

  it('any host name round-trips; any RFC 4122 ActivityId shows none', () => {
    fc.assert(
      fc.property(hostName, fc.uuid(), (host, uuid) => {
        expect(decoded(hostActivityId(host)).host).toBe(host);
        const foreign = decoded(uuid);
        expect(foreign.host).toBeUndefined();
        expect(detailsText(foreign)).not.toContain('host=');
      }),
    );
  });
});
