/**
 * The host of origin that a netrx capture server reading a JetStream
 * session (capture fan-in, docs/cluster.md) writes into each delivered
 * EventRecord's ActivityId: the publisher's host name, 1 to 16 of
 * `A-Z a-z 0-9 _ -` as ASCII, zero-padded to 16 bytes.
 *
 * Readers (`netrx capture tail`, the dashboard) show a host only when the
 * ActivityId is exactly that encoding: a local session's null GUID, or a
 * Windows (or any other) LREC server's real activity GUIDs, must not print
 * a made-up name. An RFC 4122 GUID never qualifies: its variant byte
 * (Data4[0], 0x80 to 0xbf) is neither a name character nor padding.
 */
import { GUID_LENGTH, guidToBytes, isGuid } from './guid.js';

/** The longest host name an ActivityId carries (its 16 bytes). */
export const MAX_ACTIVITY_HOST_LENGTH = GUID_LENGTH;

function isHostByte(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    byte === 0x2d || // -
    byte === 0x5f // _
  );
}

/**
 * The netrx host name an ActivityId (16 bytes, or GUID text in Windows byte
 * order as EventRecord headers give it) carries, or undefined when it is not
 * one: empty, a byte outside the name characters, or anything but zeros
 * after the name. Never throws.
 */
export function netrxHostFromActivityId(activityId: string | Uint8Array): string | undefined {
  if (typeof activityId === 'string' && !isGuid(activityId)) return undefined;
  const bytes = typeof activityId === 'string' ? guidToBytes(activityId) : activityId;
  if (bytes.length !== GUID_LENGTH) return undefined;
  let length = 0;
  while (length < GUID_LENGTH && isHostByte(bytes[length] as number)) length++;
  if (length === 0) return undefined;
  for (let i = length; i < GUID_LENGTH; i++) if (bytes[i] !== 0) return undefined;
  return String.fromCharCode(...bytes.subarray(0, length));
}
