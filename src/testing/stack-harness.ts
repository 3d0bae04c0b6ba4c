/**
 * A link stack on one end of an in-memory wire, with a scripted peer on the
 * other: what the stack sends is collected in `seen`, `send` delivers a frame
 * from the peer and flushes the wire. By default the harness waits out DAD
 * and forgets the start-up frames (gratuitous ARP, DAD probes), which stay
 * in `startup`. No Node APIs here.
 */
import { createStack, type Stack, type StackOptions } from '../link/index.js';
import { createLinkPair, type LinkPair, type LinkPairOptions } from './link-pair.js';
import { VirtualClock } from './virtual-clock.js';

export interface StackHarness {
  readonly clock: VirtualClock;
  readonly pair: LinkPair;
  readonly stack: Stack;
  /** Frames the stack sent since start-up (or since the test emptied it). */
  readonly seen: Uint8Array[];
  /** Frames the stack sent while it started (before DAD finished). */
  readonly startup: Uint8Array[];
  /** Delivers `frame` from the peer to the stack and flushes the wire. */
  send(frame: Uint8Array): void;
}

export interface StackHarnessOptions {
  readonly pair?: LinkPairOptions;
  /** Wait out DAD (1 s on the clock) before handing over. Default true. */
  readonly settle?: boolean;
}

/** Creates the stack on side `a` of a new link pair; see the file comment. */
export function createStackHarness(
  options: Partial<StackOptions> = {},
  harness: StackHarnessOptions = {},
): StackHarness {
  const clock = new VirtualClock();
  const pair = createLinkPair(harness.pair);
  const stack = createStack({ adapter: pair.a, clock, ...options });
  const seen: Uint8Array[] = [];
  pair.b.tap((frame) => seen.push(frame.slice()));
  pair.flush();
  let startup: Uint8Array[] = [];
  if (harness.settle ?? true) {
    clock.advance(1_000);
    pair.flush();
    startup = seen.splice(0);
  }
  return {
    clock,
    pair,
    stack,
    seen,
    startup,
    send(frame) {
      pair.b.send(frame);
      pair.flush();
    },
  };
}

/** `frame` with an 802.1Q tag of `vlan` (priority 0) inserted after the MACs; `tpid` 0x8100 unless told. */
export function vlanTagged(frame: Uint8Array, vlan: number, tpid = 0x8100): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12), 0);
  out[12] = tpid >> 8;
  out[13] = tpid & 0xff;
  out[14] = (vlan >> 8) & 0x0f;
  out[15] = vlan & 0xff;
  out.set(frame.subarray(12), 16);
  return out;
}
