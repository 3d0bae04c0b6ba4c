import { describe, expect, it } from 'vitest';
import { fullGc, isOptimized, optimize } from '../../test/support/v8-optimization.js';
import * as testing from '../testing/index.js';
import { Adapter } from './adapter.js';
import { Ipv4Binding } from './ipv4-binding.js';
import { receiveIcmp } from './ipv4-icmp.js';
import { createStack } from './stack.js';

/**
 * bench/link-replies regressed only after the harness's forced `gc()`: the
 * optimised IPv4 receive and echo-reply code was thrown away at every full
 * GC ("weak objects": it embedded the hidden class of the per-datagram
 * `Ipv4Packet` view, which died with the last view) and warmed up again. A
 * long-running host collects all the time, so this is the product's path,
 * not the bench's. Not a timing test: it asks V8 whether the functions are
 * still optimised after two full collections.
 */
const OWN = '02:00:00:00:00:02';
const PEER = '02:00:00:00:00:01';

function echoStack(): { indicate: (frame: Uint8Array) => void; sent: () => number } {
  let transmitted = 0;
  const adapter = new Adapter({
    name: 'gc',
    mac: Uint8Array.of(2, 0, 0, 0, 0, 2),
    transmit: () => void transmitted++,
  });
  createStack({
    adapter,
    clock: new testing.VirtualClock(),
    ipv4: [{ address: '10.0.0.2', prefixLength: 24 }],
  });
  adapter.indicateBurst([
    testing.ethernetFrame(
      'ff:ff:ff:ff:ff:ff',
      PEER,
      0x0806,
      testing.arpPacket({
        operation: 1,
        senderMac: PEER,
        senderIp: '10.0.0.1',
        targetIp: '10.0.0.2',
      }),
    ),
  ]);
  return {
    indicate: (frame) => {
      adapter.indicate(frame);
      adapter.receiveComplete();
    },
    sent: () => transmitted,
  };
}

/** An IPv4 datagram from the peer to the stack, in a frame. */
const fromPeer = (protocol: number, payload: Uint8Array) =>
  testing.ethernetFrame(
    OWN,
    PEER,
    0x0800,
    testing.ipv4Datagram({ source: '10.0.0.1', destination: '10.0.0.2', protocol, payload }),
  );
const echoRequest = fromPeer(1, testing.icmpv4Echo(8, 7, 1, new Uint8Array(56)));

describe('IPv4 receive and echo reply across a full GC', () => {
  it('receive and receiveIcmp stay optimised, and replies keep coming', () => {
    const { indicate, sent } = echoStack();
    const receive = Ipv4Binding.prototype.receive;
    const call = () => indicate(echoRequest);
    optimize(receiveIcmp, call);
    optimize(receive, call);
    expect(isOptimized(receive)).toBe(true);
    expect(isOptimized(receiveIcmp)).toBe(true);
    const before = sent();
    fullGc();
    fullGc();
    expect(isOptimized(receive)).toBe(true);
    expect(isOptimized(receiveIcmp)).toBe(true);
    call();
    expect(sent()).toBe(before + 1);
    expect(isOptimized(receive)).toBe(true);
  });

  it('the UDP receive path stays optimised too (UdpDatagram view)', () => {
    const { indicate } = echoStack();
    const datagram = fromPeer(
      17,
      testing.udp4('10.0.0.1', 5000, '10.0.0.2', 9, new Uint8Array(32)),
    );
    const receive = Ipv4Binding.prototype.receive;
    optimize(receive, () => indicate(datagram));
    expect(isOptimized(receive)).toBe(true);
    fullGc();
    fullGc();
    expect(isOptimized(receive)).toBe(true);
  });
});
