/**
 * Regression (issue 8, "20,000 back-to-back sends stall"): a client that
 * sends more than `readPauseAbove` (1 MiB) in one go to an echo server
 * over HTTP/2 got none of its echoes back, ever. Both ends paused reading
 * because their own writes were backed up, and over an HTTP/2 stream not
 * reading withholds the WINDOW_UPDATE the other end's writes wait for: each
 * waited for the other. Over TCP the kernel's buffers hid it. The read
 * pause is for output that reading produces (echoes, pongs), so a side
 * whose backlog is its own application's sends keeps reading.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { http2Pair, openedClient, type Http2Kind } from './http2-pair.js';
import { WebSocket } from './websocket.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Resolves with the number of messages once `count` have arrived. */
function messages(ws: WebSocket, count: number): Promise<number> {
  return new Promise((resolve) => {
    let seen = 0;
    ws.on('message', () => {
      seen++;
      if (seen === count) resolve(seen);
    });
  });
}

// Deflate with ws's default threshold (1 KiB): 64-byte messages go out
// uncompressed, so the backlog passes 1 MiB as without deflate.
const DEFLATE_DEFAULT_THRESHOLD = { threshold: 1024 };

describe.each<[Http2Kind, false | typeof DEFLATE_DEFAULT_THRESHOLD]>([
  ['h2c', false],
  ['h2c', DEFLATE_DEFAULT_THRESHOLD],
  ['tls', false],
])('a flood of small sends over HTTP/2 (%s, deflate %o)', (kind, deflate) => {
  it('gets every echo back when more than readPauseAbove is sent in one turn', async () => {
    const pair = await http2Pair(kind, { perMessageDeflate: deflate });
    cleanups.push(() => pair.close());
    const client = await openedClient(
      new WebSocket(pair.url, { ...pair.clientOptions, perMessageDeflate: deflate }),
    );
    cleanups.push(() => client.terminate());
    // 20,000 frames of 70 bytes: 1.4 MB waiting, past the 1 MiB read pause.
    const count = 20_000;
    const payload = Buffer.alloc(64, 0x61);
    const echoed = messages(client, count);
    for (let i = 0; i < count; i++) client.send(payload);
    expect(client.bufferedAmount).toBeGreaterThan(1024 * 1024);
    expect(await echoed).toBe(count);
  }, 60_000);
});
