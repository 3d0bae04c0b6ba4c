import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../bytes/index.js';
import {
  EVENT_RECORD_USER_DATA_OFFSET,
  MAX_EVENT_USER_DATA_LENGTH,
  NET_EVENT_LAST_ITEM_FLAG,
  encodeEventBuffer,
  filetimeFromUnixMs,
  guidToBytes,
  isGuid,
  parseEventBuffer,
  readGuid,
  unixMsFromFiletime,
  writeFiletimeFromUnixMs,
  type EventRecordInit,
} from './index.js';

const NDIS_PACKET_CAPTURE = '2ed6006e-4729-4609-b423-3ee7bcd678ef';

// One EventRecord item laid out by hand from research/lrec.md §1.4, then a lost item.
const EVENT_ITEM = `
  6c000000 0100 0000                      # DataSize 108, DataType 1, flags 0
  6400 0000 4000 0000                     # Size 100, HeaderType 0, Flags 0x40, EventProperty 0
  44332211 04000000                       # ThreadId 0x11223344, ProcessId 4
  00006dc64717da01                        # TimeStamp: FILETIME of 2023-11-14T22:13:20Z
  6e00d62e 2947 0946 b423 3ee7bcd678ef    # ProviderId {2ED6006E-4729-4609-B423-3EE7BCD678EF}
  e903 00 10 04 00 0000                   # Id 1001, Version 0, Channel 0x10, Level 4, Opcode 0, Task 0
  0200000001000000                        # Keyword 0x0000000100000002
  00000000 00000000                       # KernelTime, UserTime
  00000000 0000 0000 0000 000000000000    # ActivityId (null)
  02 08 0100                              # ProcessorId 2, Reserved 0x08, SessionId 1
  0000 0400 0000 6000                     # ExtendedDataCount 0, UserDataLength 4, ExtendedDataOffset 0, UserDataOffset 0x60
  00000000                                # pad to 0x60
  deadbeef                                # UserData`;
const LOST_ITEM_LAST = `
  0c000000 0200 0001 05000000 # DataSize 12, DataType 2, A bit 0x0100 (byte 7), LostEventCount 5`;

const RECORD: EventRecordInit = {
  providerId: NDIS_PACKET_CAPTURE,
  id: 1001,
  channel: 0x10,
  level: 4,
  keyword: 0x0000_0001_0000_0002n,
  timeStamp: filetimeFromUnixMs(1_700_000_000_000),
  threadId: 0x11223344,
  processId: 4,
  processorId: 2,
  sessionId: 1,
};

function hex(text: string): Uint8Array {
  return fromHex(text);
}

function failureCode(result: { ok: boolean; failure?: { code: string } }): string {
  return result.ok ? 'ok' : (result.failure?.code ?? '?');
}

describe('LREC GUIDs and FILETIME', () => {
  it('writes GUIDs in Windows byte order and reads them back lower case', () => {
    expect(toHex(guidToBytes('{2ED6006E-4729-4609-B423-3EE7BCD678EF}'))).toBe(
      '6e00d62e29470946b4233ee7bcd678ef',
    );
    expect(readGuid(guidToBytes(NDIS_PACKET_CAPTURE), 0)).toBe(NDIS_PACKET_CAPTURE);
    expect(isGuid('{2ed6006e-4729-4609-b423-3ee7bcd678ef')).toBe(false);
    expect(() => guidToBytes('not-a-guid')).toThrow(TypeError);
  });

  it('converts Unix ms to FILETIME exactly, with and without BigInt', () => {
    expect(filetimeFromUnixMs(0)).toBe(116_444_736_000_000_000n);
    expect(unixMsFromFiletime(filetimeFromUnixMs(1_700_000_000_000.5))).toBe(1_700_000_000_000.5);
    const view = new DataView(new ArrayBuffer(8));
    for (const ms of [0, 1, 1_700_000_000_000, 1_700_000_000_123.25, 2 ** 43 + 0.9999]) {
      writeFiletimeFromUnixMs(view, 0, ms);
      expect(view.getBigInt64(0, true)).toBe(filetimeFromUnixMs(ms));
    }
  });
});

describe('EVENT_BUFFER', () => {
  it('encodes an EventRecord and a last NET_EVENT_LOST byte for byte', () => {
    const bytes = encodeEventBuffer([
      { kind: 'event', record: RECORD, userData: fromHex('deadbeef') },
      { kind: 'lost', lostEventCount: 5 },
    ]);
    expect(toHex(bytes)).toBe(toHex(hex(EVENT_ITEM + LOST_ITEM_LAST)));
  });

  it('decodes the hand-made vector', () => {
    const result = parseEventBuffer(hex(EVENT_ITEM + LOST_ITEM_LAST));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [event, lost] = result.value;
    expect(lost).toEqual({ kind: 'lost', flags: NET_EVENT_LAST_ITEM_FLAG, lostEventCount: 5 });
    expect(event?.kind).toBe('event');
    if (event?.kind !== 'event') return;
    expect(event.flags).toBe(0);
    expect(event.record.header).toMatchObject({
      size: 100,
      flags: 0x40,
      threadId: 0x11223344,
      processId: 4,
      providerId: NDIS_PACKET_CAPTURE,
      id: 1001,
      channel: 0x10,
      level: 4,
      keyword: 0x0000_0001_0000_0002n,
      activityId: '00000000-0000-0000-0000-000000000000',
      processorId: 2,
      reserved: 0x08,
      sessionId: 1,
      extendedDataCount: 0,
    });
    expect(unixMsFromFiletime(event.record.header.timeStamp)).toBe(1_700_000_000_000);
    expect(toHex(event.record.userData)).toBe('deadbeef');
  });

  it('sets the configured last-item flag on the last item only; readers ignore it', () => {
    const items = [
      { kind: 'event', record: RECORD, userData: new Uint8Array(2) },
      { kind: 'event', record: RECORD, userData: new Uint8Array(0) },
    ] as const;
    for (const lastItemFlag of [0x0100, 0x0001, 0x0080, 0]) {
      const bytes = encodeEventBuffer(items, { lastItemFlag });
      const view = new DataView(bytes.buffer);
      expect(view.getUint16(6, true)).toBe(0);
      expect(view.getUint16(8 + 96 + 2 + 6, true)).toBe(lastItemFlag);
      const result = parseEventBuffer(bytes);
      expect(result.ok && result.value.length).toBe(2);
    }
  });

  it('saturates LostEventCount at 0xFFFFFFFF', () => {
    const bytes = encodeEventBuffer([{ kind: 'lost', lostEventCount: 2 ** 40 }]);
    expect(toHex(bytes)).toBe('0c00000002000001ffffffff');
  });

  it('finds user data by UserDataOffset, whatever bytes 92–95 hold', () => {
    const bytes = hex(EVENT_ITEM);
    bytes.set([0xaa, 0xbb, 0xcc, 0xdd], 8 + 92);
    const result = parseEventBuffer(bytes);
    expect(
      result.ok && result.value[0]?.kind === 'event' && toHex(result.value[0].record.userData),
    ).toBe('deadbeef');
    // An offset of 92 (the end of the fixed fields) is honoured too.
    const shifted = hex(EVENT_ITEM);
    new DataView(shifted.buffer).setUint16(8 + 90, 92, true);
    const moved = parseEventBuffer(shifted);
    expect(
      moved.ok && moved.value[0]?.kind === 'event' && toHex(moved.value[0].record.userData),
    ).toBe('00000000');
  });

  it('refuses malformed buffers with stable codes, never throwing', () => {
    const event = hex(EVENT_ITEM);
    const lost = hex(LOST_ITEM_LAST);
    const dataSize = (bytes: Uint8Array, size: number) => {
      const copy = bytes.slice();
      new DataView(copy.buffer).setUint32(0, size, true);
      return copy;
    };
    const userDataOffset = (offset: number) => {
      const copy = event.slice();
      new DataView(copy.buffer).setUint16(8 + 90, offset, true);
      return copy;
    };
    expect(failureCode(parseEventBuffer(new Uint8Array(0)))).toBe('ok');
    expect(failureCode(parseEventBuffer(event.subarray(0, 7)))).toBe('truncated');
    expect(failureCode(parseEventBuffer(dataSize(lost, 6)))).toBe('bad-data-size');
    expect(failureCode(parseEventBuffer(dataSize(lost, 13)))).toBe('truncated');
    expect(failureCode(parseEventBuffer(dataSize(lost.subarray(0, 8), 8)))).toBe('bad-lost');
    expect(failureCode(parseEventBuffer(dataSize(event, 8 + 91)))).toBe('truncated');
    expect(failureCode(parseEventBuffer(userDataOffset(91)))).toBe('bad-user-data');
    expect(failureCode(parseEventBuffer(userDataOffset(0x61)))).toBe('bad-user-data');
    // A second item whose DataSize fits the whole buffer but not what is left after
    // the first: truncated, not read short (mutation check: the bound was `bytes.length`).
    const second = dataSize(lost, 12 + event.length);
    const past = parseEventBuffer(new Uint8Array([...event, ...second]));
    expect(past.ok ? 'ok' : [past.failure.code, past.failure.offset]).toEqual([
      'truncated',
      event.length,
    ]);
    const twoLost = new Uint8Array([...lost, ...lost]);
    const result = parseEventBuffer(twoLost);
    expect(result.ok ? 'ok' : [result.failure.code, result.failure.offset]).toEqual([
      'lost-not-last',
      12,
    ]);
  });

  it('keeps items of unknown DataType whole', () => {
    const result = parseEventBuffer(fromHex('0a000000 0900 0000 abcd'));
    expect(result.ok && result.value).toEqual([
      { kind: 'unknown', dataType: 9, flags: 0, payload: fromHex('abcd') },
    ]);
  });

  it('refuses to encode what the format cannot hold (misuse)', () => {
    expect(() =>
      encodeEventBuffer([
        { kind: 'lost', lostEventCount: 1 },
        { kind: 'event', record: RECORD, userData: new Uint8Array(0) },
      ]),
    ).toThrow(RangeError);
    expect(() =>
      encodeEventBuffer([
        { kind: 'event', record: RECORD, userData: new Uint8Array(MAX_EVENT_USER_DATA_LENGTH + 1) },
      ]),
    ).toThrow(RangeError);
    const largest = encodeEventBuffer([
      { kind: 'event', record: RECORD, userData: new Uint8Array(MAX_EVENT_USER_DATA_LENGTH) },
    ]);
    expect(largest.length).toBe(0xffff);
    expect(EVENT_RECORD_USER_DATA_OFFSET).toBe(0x60);
  });
});
