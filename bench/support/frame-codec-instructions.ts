/**
 * The RFC 6455 frame codec alone (`src/wire/websocket`) in a fixed-count
 * loop, for instruction counts under callgrind: no handle, no I/O, no
 * timers, so two builds of the codec (before and after a refactor) compare
 * to a fraction of a percent whatever the machine's load.
 *
 *   valgrind --tool=callgrind --callgrind-out-file=OUT node --predictable \
 *     dist-bench/bench/support/frame-codec-instructions.js [ROOT] [ROUNDS]
 *
 * ROOT is the build to load (a `dist-bench` folder: its
 * `src/wire/websocket/index.js` is imported; default this one). Each round
 * encodes a masked 16-byte, 1 KiB and 70,000-byte binary frame and a ping
 * with `emitFrameHeader` and `maskInPlace` (as the handle's send path
 * does), then decodes the bytes with one `FrameDecoder`, first whole and
 * then cut into 1000-byte chunks (split headers included), both in place
 * and into a caller's buffer. Run it with ROUNDS 0 and with N: the
 * difference over N is the instructions per round (docs/performance.md).
 */
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Codec from '../../src/wire/websocket/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(process.argv[2] ?? join(here, '..', '..'));
const rounds = Number(process.argv[3] ?? 2000);
const codec = (await import(
  pathToFileURL(join(root, 'src/wire/websocket/index.js')).href
)) as typeof Codec;

const MASK_KEY = 0x37fa213d;
const sizes = [16, 1024, 70_000];

/** One masked frame of `size` bytes of `opcode`, built the way the send path builds it. */
function frame(opcode: number, size: number): Uint8Array {
  const headerLength = codec.frameHeaderLength(size, true);
  const out = new Uint8Array(headerLength + size);
  for (let i = 0; i < size; i++) out[headerLength + i] = i & 0xff;
  codec.emitFrameHeader({ opcode, payloadLength: size, maskKey: MASK_KEY }, out, 0);
  codec.maskInPlace(out.subarray(headerLength), out.subarray(headerLength - 4, headerLength), 0);
  return out;
}

/** Encodes the round's frames into one stream. */
function encodeRound(): Uint8Array {
  const frames = [
    ...sizes.map((size) => frame(codec.Opcode.Binary, size)),
    frame(codec.Opcode.Ping, 8),
  ];
  let total = 0;
  for (const f of frames) total += f.length;
  const stream = new Uint8Array(total);
  let at = 0;
  for (const f of frames) {
    stream.set(f, at);
    at += f.length;
  }
  return stream;
}

const into = new Uint8Array(4096);
let payloadBytes = 0;

/** Decodes `chunks` to the end; `useInto` unmasks data into a caller's buffer. */
function decode(decoder: Codec.FrameDecoder, chunks: Uint8Array[], useInto: boolean): void {
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (
      let e = decoder.next(useInto ? into : undefined);
      e !== undefined;
      e = decoder.next(useInto ? into : undefined)
    ) {
      if (e.type === 'payload') payloadBytes += e.data.length;
      else if (e.type === 'error') throw new Error(`decode failed: ${e.failure.code}`);
    }
  }
}

function cut(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

const decoder = new codec.FrameDecoder({ expectMasked: true });
for (let i = 0; i < rounds; i++) {
  // Fresh bytes each time: decoding in place unmasks the chunk it is given.
  decode(decoder, [encodeRound()], false);
  decode(decoder, cut(encodeRound(), 1000), false);
  decode(decoder, cut(encodeRound(), 1000), true);
}
const expected = rounds * 3 * (sizes.reduce((a, b) => a + b, 0) + 8);
if (payloadBytes !== expected) throw new Error(`${payloadBytes} payload bytes, not ${expected}`);
process.stdout.write(`${rounds} rounds, ${payloadBytes} payload bytes decoded\n`);
