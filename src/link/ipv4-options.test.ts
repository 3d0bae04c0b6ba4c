/**
 * IPv4 source routes (RFC 1122 §3.3.5): a host that does not forward drops
 * LSRR and SSRR datagrams, counted as `source-routed`; other options pass;
 * the option scan never throws on garbage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStackHarness, ethernetFrame, udp4 } from '../testing/index.js';
import { emitIpv4, parseIpv4Address, walkIpv4Options } from '../wire/index.js';
import { isSourceRouted } from './ipv4-options.js';

const STACK_MAC = '02:00:00:00:00:0a';
const PEER_MAC = '02:00:00:00:00:0b';

const setup = () => createStackHarness({ ipv4: [{ address: '10.0.0.1', prefixLength: 24 }] });

/** An IPv4 datagram 10.0.0.2 -> 10.0.0.1 of `protocol` with raw `options` (a multiple of 4). */
function withOptions(options: Uint8Array, protocol: number, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(20 + options.length + payload.length);
  emitIpv4(
    {
      dscp: 0,
      ecn: 0,
      totalLength: bytes.length,
      identification: 1,
      reservedFlag: false,
      dontFragment: false,
      moreFragments: false,
      fragmentOffset: 0,
      timeToLive: 64,
      protocol,
      sourceAddress: parseIpv4Address('10.0.0.2') as number,
      destinationAddress: parseIpv4Address('10.0.0.1') as number,
      options,
    },
    bytes,
  );
  bytes.set(payload, 20 + options.length);
  return ethernetFrame(STACK_MAC, PEER_MAC, 0x0800, bytes);
}

/**
 * Option bytes: well-formed options (source routes among them), NOP, End of
 * Options and raw garbage, in any order, cut to 40 bytes.
 */
const optionBytes = fc
  .array(
    fc.oneof(
      fc.constantFrom([0], [1]),
      fc
        .tuple(fc.constantFrom(7, 68, 131, 137, 148), fc.uint8Array({ maxLength: 6 }))
        .map(([type, data]) => [type, data.length + 2, ...data]),
      fc.uint8Array({ maxLength: 4 }).map((garbage) => [...garbage]),
    ),
    { maxLength: 8 },
  )
  .map((parts) => Uint8Array.from(parts.flat()).subarray(0, 40));

const datagram = () => udp4('10.0.0.2', 4000, '10.0.0.1', 7, Uint8Array.of(1));

describe('IPv4 source routes (RFC 1122 §3.3.5)', () => {
  // Regression (review 4 of issue 9): UDP with an unfinished LSRR was delivered.
  for (const [name, options] of [
    ['an unfinished LSRR', Uint8Array.of(131, 7, 4, 10, 9, 9, 9, 0)],
    ['a finished LSRR', Uint8Array.of(131, 7, 8, 10, 9, 9, 9, 0)],
    ['an SSRR behind a NOP', Uint8Array.of(1, 137, 7, 4, 10, 9, 9, 9)],
  ] as const) {
    it(`drops a UDP datagram with ${name}, counted as source-routed`, () => {
      const { send, stack } = setup();
      const socket = stack.udp.bind({ port: 7 });
      send(withOptions(options, 17, datagram()));
      expect(socket.stats().queuedItems).toBe(0);
      expect(stack.stats().ipv4.drops['source-routed']).toBe(1);
    });
  }

  it('delivers a datagram with Record Route, or with a source route only after End of Options', () => {
    const { send, stack } = setup();
    const socket = stack.udp.bind({ port: 7 });
    send(withOptions(Uint8Array.of(7, 7, 4, 0, 0, 0, 0, 0), 17, datagram()));
    send(withOptions(Uint8Array.of(0, 131, 7, 4, 10, 9, 9, 9), 17, datagram()));
    expect(socket.stats().queuedItems).toBe(2);
    expect(stack.stats().ipv4.drops['source-routed']).toBe(0);
  });

  it('the scan never throws and agrees with walkIpv4Options on readable options', () => {
    fc.assert(
      fc.property(optionBytes, (options) => {
        const header = new Uint8Array(20 + options.length);
        header.set(options, 20);
        const routed = isSourceRouted(header, header.length);
        const walked = walkIpv4Options(options);
        if (walked.ok) {
          expect(routed).toBe(walked.value.some((o) => o.type === 131 || o.type === 137));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('the binding takes any option bytes without throwing, and drops only source routes', () => {
    fc.assert(
      fc.property(
        optionBytes.map((o) => o.subarray(0, o.length - (o.length % 4))),
        fc.constantFrom(1, 17, 253),
        (options, protocol) => {
          const { send, stack } = setup();
          send(withOptions(options, protocol, datagram()));
          const routed = isSourceRouted(
            Uint8Array.from([...new Uint8Array(20), ...options]),
            20 + options.length,
          );
          expect(stack.stats().ipv4.drops['source-routed']).toBe(routed ? 1 : 0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
