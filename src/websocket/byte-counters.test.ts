import { describe, expect, it } from 'vitest';
import { isOptimized, optimizationStatus, optimize } from '../../test/support/v8-optimization.js';
import { createClientHandle, createServerHandle } from './handle.js';
import { createPortableCrypto } from './portable-crypto.js';

/**
 * A connection's byte counts (`stats.bytesReceived`, `stats.bytesSent`, the
 * frame decoder's stream offset) pass 2^31 after 2 GiB. Had they started as
 * small integers, V8 would change the fields' representation right then:
 * an "overflow" deoptimisation of the code adding to them, the objects'
 * hidden class deprecated, and every optimised function using them thrown
 * away and compiled again in the middle of a long transfer (issue 8, the
 * lean-client bench: 25 deoptimisations and 32 recompilations inside its
 * counting window). The counters are doubles from the start, so crossing
 * 2^31 changes nothing.
 */
const crypto = createPortableCrypto((into) => globalThis.crypto.getRandomValues(into));
const CHUNK = 64 * 1024;
/** Enough 64 KiB frames to pass 2^31 bytes. */
const PAST_2_31 = 2 ** 31 / CHUNK + 16;

/** One unmasked binary frame of exactly CHUNK bytes, as a server sends it. */
function serverFrame(): Uint8Array {
  const frame = new Uint8Array(CHUNK);
  const payload = CHUNK - 4;
  frame[0] = 0x82;
  frame[1] = 126;
  frame[2] = payload >>> 8;
  frame[3] = payload & 0xff;
  return frame;
}

describe('byte counters past 2^31 (no deoptimisation mid-transfer)', () => {
  it('receiving: the read loop stays optimised and the counts are exact', () => {
    const client = createClientHandle({ crypto, assembleMessages: true });
    client.open();
    const frame = serverFrame();
    client.receive(null);
    // One read of one whole frame, its message indicated, the next receive posted.
    const receiveOne = (): void => {
      const read = client.getAction('receive');
      if (read?.type !== 'receive-from-network') throw new Error(`not a read: ${read?.type}`);
      client.completeAction(read.actionContext, frame);
      const message = client.getAction('receive');
      if (message?.type !== 'indicate-receive-complete' || message.buffer.length !== CHUNK - 4) {
        throw new Error(`not the message: ${message?.type}`);
      }
      client.completeAction(message.actionContext);
      client.receive(null);
    };
    optimize(receiveOne, receiveOne);
    expect(isOptimized(receiveOne), optimizationStatus(receiveOne)).toBe(true);
    const before = client.stats.bytesReceived;
    for (let i = 0; i < PAST_2_31; i++) receiveOne();
    const after = client.stats.bytesReceived;
    expect(after - before).toBe(PAST_2_31 * CHUNK);
    expect(after).toBeGreaterThan(2 ** 31);
    expect(isOptimized(receiveOne), optimizationStatus(receiveOne)).toBe(true);
  });

  it('sending: the send loop stays optimised and the counts are exact', () => {
    const server = createServerHandle({ crypto });
    server.open();
    const payload = new Uint8Array(CHUNK - 4);
    const sendOne = (): void => {
      server.send('binary-message', payload);
      for (;;) {
        const action = server.getAction('send');
        if (action === undefined) return;
        const written = action.type === 'send-to-network' ? action.byteLength : 0;
        server.completeAction(action.actionContext, written);
      }
    };
    optimize(sendOne, sendOne);
    expect(isOptimized(sendOne), optimizationStatus(sendOne)).toBe(true);
    const before = server.stats.bytesSent;
    for (let i = 0; i < PAST_2_31; i++) sendOne();
    const after = server.stats.bytesSent;
    expect(after - before).toBe(PAST_2_31 * CHUNK);
    expect(after).toBeGreaterThan(2 ** 31);
    expect(isOptimized(sendOne), optimizationStatus(sendOne)).toBe(true);
  });
});
