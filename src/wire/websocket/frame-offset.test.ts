import { describe, expect, it } from 'vitest';
import {
  isOptimized,
  optimizationStatus,
  optimize,
} from '../../../test/support/v8-optimization.js';
import { FrameDecoder } from './index.js';

/**
 * The decoder's stream offset (`consumed`) passes 2^31 after 2 GiB. Begun
 * as a small integer, the field would change representation right then: an
 * "overflow" deoptimisation of `next` and of every function it is inlined
 * into, in the middle of a long transfer (issue 8, the lean-client bench).
 * It is a double from the start (src/websocket/byte-counters.test.ts does
 * the same for the handle's counts).
 */
const CHUNK = 64 * 1024;

describe('FrameDecoder past 2^31 bytes', () => {
  it('stays optimised and counts exactly', () => {
    const frame = new Uint8Array(CHUNK);
    frame[0] = 0x82;
    frame[1] = 126;
    frame[2] = (CHUNK - 4) >>> 8;
    frame[3] = (CHUNK - 4) & 0xff;
    const decoder = new FrameDecoder({ expectMasked: false });
    // Payload events, not bytes: a byte count here would overflow the same way.
    let payloads = 0;
    const decodeOne = (): void => {
      decoder.push(frame);
      for (let event = decoder.next(); event !== undefined; event = decoder.next()) {
        if (event.type === 'payload' && event.data.length === CHUNK - 4) payloads++;
      }
    };
    optimize(decodeOne, decodeOne);
    expect(isOptimized(decodeOne), optimizationStatus(decodeOne)).toBe(true);
    const frames = 2 ** 31 / CHUNK + 16;
    const before = decoder.consumed;
    for (let i = 0; i < frames; i++) decodeOne();
    expect(decoder.consumed - before).toBe(frames * CHUNK);
    expect(decoder.consumed).toBeGreaterThan(2 ** 31);
    expect(payloads).toBe(frames + 101);
    expect(isOptimized(decodeOne), optimizationStatus(decodeOne)).toBe(true);
  });
});
