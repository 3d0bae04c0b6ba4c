// `netrx capture tail` names an event's host of origin (issue #16, audit16
// A10): the ActivityId a JetStream-backed capture server writes
// (node/cluster `hostActivityId`, the encoder the reader uses) prints as
// `host=<name>` after the time; a local session's null ActivityId or a
// foreign server's activity GUID prints no host.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatItem } from '../../src/cli/commands/capture-format.js';
import { SYNTHETIC_PROVIDER_GUID } from '../../src/capture/index.js';
import { hostActivityId } from '../../src/node/cluster/index.js';
import {
  FILETIME_UNIX_EPOCH,
  encodeEventBuffer,
  parseEventBuffer,
  type NetEventItem,
} from '../../src/wire/index.js';

const T0 = FILETIME_UNIX_EPOCH + 17_000_000_000_000_000n;
const HOST_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const hostName = fc
  .array(fc.constantFrom(...HOST_CHARS), { minLength: 1, maxLength: 16 })
  .map((chars) => chars.join(''));

/** A synthetic event (seq 7) with `activityId`, through netrx's EVENT_BUFFER encoder and parser. */
function synthetic(activityId?: Uint8Array | string): NetEventItem {
  const userData = new Uint8Array(8);
  userData[0] = 7;
  const parsed = parseEventBuffer(
    encodeEventBuffer([
      {
        kind: 'event',
        record: {
          providerId: SYNTHETIC_PROVIDER_GUID,
          id: 1,
          level: 4,
          timeStamp: T0,
          ...(activityId === undefined ? {} : { activityId }),
        },
        userData,
      },
    ]),
  );
  if (!parsed.ok || parsed.value[0] === undefined) throw new Error('bad buffer');
  return parsed.value[0];
}

describe('capture tail: the host of origin', () => {
  it('prints host=<name> after the time for an ActivityId the reader wrote', () => {
    const line = formatItem(synthetic(hostActivityId('lab-2')), { received: 0, lost: 0 });
    expect(line).toBe(
      '2023-11-14T22:13:20.000Z host=lab-2 netrx-synthetic seq 7  [received 1, lost 0]',
    );
  });

  it('a local event (null ActivityId) prints the line as before, with no host', () => {
    const line = formatItem(synthetic(), { received: 0, lost: 0 });
    expect(line).toBe('2023-11-14T22:13:20.000Z netrx-synthetic seq 7  [received 1, lost 0]');
  });

  it('any host name round-trips to the printed name', () => {
    fc.assert(
      fc.property(hostName, (host) => {
        const line = formatItem(synthetic(hostActivityId(host)), { received: 0, lost: 0 });
        expect(/ host=(\S+) netrx-synthetic /.exec(line)?.[1]).toBe(host);
      }),
    );
  });

  it('a random RFC 4122 ActivityId (a Windows LREC server) prints no host', () => {
    fc.assert(
      fc.property(fc.uuid(), (uuid) => {
        const line = formatItem(synthetic(uuid), { received: 0, lost: 0 });
        expect(line).not.toContain('host=');
        expect(line).toMatch(/^\S+ netrx-synthetic seq 7 {2}\[/);
      }),
    );
  });
});
