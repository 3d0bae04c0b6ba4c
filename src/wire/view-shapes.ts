/**
 * One live instance of each view class, for the life of the module.
 *
 * The views (`Ipv4Packet`, `UdpDatagram`, ...) are made per datagram and die
 * young. V8 gives an object the hidden class ("map") with its `bytes` field
 * by a transition from the constructor's initial map, and keeps transitions
 * weakly: when a full GC finds no live view of a class, that map is
 * collected, and every optimised function compiled against it (the
 * receive and reply paths, which allocate the view inline and read its
 * getters) is thrown away ("deoptimizing … reason: weak objects") and warms
 * up again. A long-running host collects all the time, so each view class
 * registers one instance here from a static block; that keeps its map, and
 * the code built on it, alive. The cost is one small object per class.
 * `src/wire/view-shapes.test.ts` checks that code reading through a fresh
 * view stays optimised across a full GC.
 */
const anchors: object[] = [];

/** Keeps `view` (and so its class's hidden class) alive; see the file comment. */
export function keepShape(view: object): void {
  anchors.push(view);
}

/** The bytes every anchored view holds. */
export const ANCHOR_BYTES = new Uint8Array(0);
