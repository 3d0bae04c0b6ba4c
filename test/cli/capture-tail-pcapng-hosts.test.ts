// `netrx capture tail --pcapng` on a fan-in session (issue #16, after audit16
// A10): two hosts' packets on the same ifIndex were written to one pcapng
// interface, `netrx-if7`, so Wireshark could not tell them apart. Each host
// of origin now has its own interface, `HOST/netrx-ifN`; a local event
// (null ActivityId) keeps `netrx-ifN`. Wireshark's extcap has one interface,
// so there the host rides in each packet's comment (`netrx host=lab-2`).
import { describe, expect, it } from 'vitest';
import { ExtcapPcapngStream } from '../../src/cli/commands/capture-extcap-format.js';
import { PacketEventPcapng } from '../../src/cli/commands/capture-format.js';
import { hostActivityId } from '../../src/node/cluster/index.js';
import {
  FILETIME_UNIX_EPOCH,
  NDIS_PACKET_CAPTURE_PROVIDER_GUID,
  encodeEventBuffer,
  parseEventBuffer,
  readCapture,
  type NetEventItem,
} from '../../src/wire/index.js';

const T0 = FILETIME_UNIX_EPOCH + 17_000_000_000_000_000n;

/** A netrx 1001 packet event on ifIndex 7 (a 60-byte Ethernet frame marked `seq`), from `activityId`. */
function packetFrom(seq: number, activityId?: Uint8Array): NetEventItem {
  const fragment = new Uint8Array(60);
  fragment.set([2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa, 0x08, 0x00, 0x45], 0);
  fragment[59] = seq;
  const userData = new Uint8Array(12 + fragment.length + 4);
  const view = new DataView(userData.buffer);
  view.setUint32(0, 7, true);
  view.setUint32(4, 7, true);
  view.setUint32(8, fragment.length, true);
  userData.set(fragment, 12);
  view.setUint32(12 + fragment.length, fragment.length, true);
  const parsed = parseEventBuffer(
    encodeEventBuffer([
      {
        kind: 'event',
        record: {
          providerId: NDIS_PACKET_CAPTURE_PROVIDER_GUID,
          id: 1001,
          level: 4,
          opcode: 240,
          timeStamp: T0 + BigInt(seq),
          ...(activityId === undefined ? {} : { activityId }),
        },
        userData,
      },
    ]),
  );
  if (!parsed.ok || parsed.value[0] === undefined) throw new Error('bad buffer');
  return parsed.value[0];
}

function written(items: readonly NetEventItem[]) {
  const pcap = new PacketEventPcapng();
  const chunks = [pcap.start(), ...items.flatMap((item) => pcap.blocks(item))];
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  const capture = readCapture(bytes);
  if (!capture.ok) throw new Error(capture.failure.message);
  const names = capture.value.info.interfaces.map((i) => i.name);
  return {
    names,
    byPacket: capture.value.records.map((r) => [names[r.interfaceId], r.data[59]]),
  };
}

describe('capture tail --pcapng: an interface per host of origin', () => {
  it('two hosts on the same ifIndex get two interfaces; a local event keeps netrx-ifN', () => {
    const lab1 = hostActivityId('lab-1');
    const lab2 = hostActivityId('lab-2');
    const { names, byPacket } = written([
      packetFrom(1, lab1),
      packetFrom(2, lab2),
      packetFrom(3, lab1),
      packetFrom(4),
    ]);
    expect(names).toEqual(['lab-1/netrx-if7', 'lab-2/netrx-if7', 'netrx-if7']);
    expect(byPacket).toEqual([
      ['lab-1/netrx-if7', 1],
      ['lab-2/netrx-if7', 2],
      ['lab-1/netrx-if7', 3],
      ['netrx-if7', 4],
    ]);
  });
});

describe('capture extcap: the host of origin in the packet comment', () => {
  it('a fan-in packet says `netrx host=NAME`; a local one has no comment', () => {
    const stream = new ExtcapPcapngStream('test');
    const bytes = (blocks: (Uint8Array | undefined)[]): Uint8Array => {
      const list = blocks.filter((b): b is Uint8Array => b !== undefined);
      const out = new Uint8Array(list.reduce((n, b) => n + b.length, 0));
      let at = 0;
      for (const b of list) {
        out.set(b, at);
        at += b.length;
      }
      return out;
    };
    const capture = readCapture(
      bytes([
        ...stream.start(),
        stream.block(packetFrom(1, hostActivityId('lab-2'))),
        stream.block(packetFrom(2)),
      ]),
    );
    if (!capture.ok) throw new Error(capture.failure.message);
    expect(capture.value.records.map((r) => [r.data[59], r.comments ?? []])).toEqual([
      [1, ['netrx host=lab-2']],
      [2, []],
    ]);
  });
});
