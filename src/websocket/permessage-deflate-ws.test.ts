import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { concat, equalBytes } from '../bytes/index.js';
import { zlibDeflateCodec } from '../node/websocket/zlib-codec.js';
import {
  acceptPerMessageDeflate,
  checkPerMessageDeflateResponse,
  formatExtensions,
  parseExtensions,
  perMessageDeflateOffer,
  type PerMessageDeflateOffer,
  type PerMessageDeflateParams,
  type PerMessageDeflateServerOptions,
} from './extensions.js';
import { PerMessageDeflateSession, type PerMessageDeflateRole } from './permessage-deflate.js';

/**
 * Interop with the `ws` package's PerMessageDeflate (node:zlib streams, its
 * own negotiation): the handshake headers go through both parsers, then
 * messages flow both ways over several messages, so a context-takeover or
 * window-bits mistake on either side shows as garbage or a zlib error.
 */

type Callback = (error: Error | null, result?: Buffer) => void;
interface WsPerMessageDeflate {
  offer(): Record<string, unknown>;
  accept(configurations: unknown[]): Record<string, unknown>;
  compress(data: Uint8Array, fin: boolean, callback: Callback): void;
  decompress(data: Uint8Array, fin: boolean, callback: Callback): void;
  cleanup(): void;
}
interface WsPerMessageDeflateOptions {
  isServer?: boolean;
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number;
  clientMaxWindowBits?: number;
  threshold?: number;
}
// ws's CommonJS entry (not its ESM wrapper) carries both; @types/ws declares neither.
const wsInternals = createRequire(import.meta.url)('ws') as {
  PerMessageDeflate: new (options: WsPerMessageDeflateOptions) => WsPerMessageDeflate;
  extension: {
    parse(header: string): Record<string, unknown[]>;
    format(extensions: Record<string, unknown>): string;
  };
};

function wsCall(
  method: 'compress' | 'decompress',
  peer: WsPerMessageDeflate,
  data: Uint8Array,
  fin: boolean,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    peer[method](data, fin, (error, result) => {
      if (error !== null) reject(error);
      else resolve(new Uint8Array(result ?? new Uint8Array(0)));
    });
  });
}

/** ws is the client and offers; netrx's server accepts. */
function wsClientToNetrxServer(
  wsOptions: WsPerMessageDeflateOptions,
  serverOptions: PerMessageDeflateServerOptions,
): { ws: WsPerMessageDeflate; params: PerMessageDeflateParams } {
  const ws = new wsInternals.PerMessageDeflate({ ...wsOptions, threshold: 0 });
  const offerHeader = wsInternals.extension.format({ 'permessage-deflate': ws.offer() });
  const offers = parseExtensions(offerHeader);
  if (!offers.ok) throw new Error(offers.failure.message);
  const accepted = acceptPerMessageDeflate(offers.value, serverOptions);
  if (accepted === undefined) throw new Error(`netrx declined ${offerHeader}`);
  const responseHeader = formatExtensions([accepted.response]);
  ws.accept(wsInternals.extension.parse(responseHeader)['permessage-deflate'] ?? []);
  return { ws, params: accepted.params };
}

/** netrx is the client and offers; ws's server accepts. */
function netrxClientToWsServer(
  offer: PerMessageDeflateOffer,
  wsOptions: WsPerMessageDeflateOptions,
): { ws: WsPerMessageDeflate; params: PerMessageDeflateParams } {
  const ws = new wsInternals.PerMessageDeflate({ ...wsOptions, isServer: true, threshold: 0 });
  const offerHeader = formatExtensions([perMessageDeflateOffer(offer)]);
  const wsParams = ws.accept(wsInternals.extension.parse(offerHeader)['permessage-deflate'] ?? []);
  const responseHeader = wsInternals.extension.format({ 'permessage-deflate': wsParams });
  const response = parseExtensions(responseHeader);
  if (!response.ok) throw new Error(response.failure.message);
  const checked = checkPerMessageDeflateResponse(offer, response.value[0]!);
  if (!checked.ok) throw new Error(checked.failure.message);
  return { ws, params: checked.value };
}

const text = (s: string) => new TextEncoder().encode(s);
const MESSAGES: readonly Uint8Array[] = [
  text(JSON.stringify({ type: 'hello', users: ['ada', 'grace', 'edsger'] })),
  text(JSON.stringify({ type: 'hello', users: ['ada', 'grace', 'barbara'] })),
  Uint8Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251),
  text('Hello'),
  text('Hello'),
  text('x'.repeat(70_000) + 'y'.repeat(70_000)),
  text(JSON.stringify({ type: 'hello', users: ['ada', 'grace', 'edsger'] })),
];

async function exchange(
  role: PerMessageDeflateRole,
  ws: WsPerMessageDeflate,
  params: PerMessageDeflateParams,
): Promise<void> {
  const netrx = new PerMessageDeflateSession({ params, role, codec: zlibDeflateCodec });
  for (const message of MESSAGES) {
    // netrx → ws, one frame.
    const ours = netrx.deflate(message);
    expect(equalBytes(await wsCall('decompress', ws, ours, true), message)).toBe(true);

    // ws → netrx, as ws sends a fragmented message: one compress call per frame.
    const half = message.length >> 1;
    const first = await wsCall('compress', ws, message.subarray(0, half), false);
    const second = await wsCall('compress', ws, message.subarray(half), true);
    const got: Uint8Array[] = [];
    for (const [piece, last] of [
      [first, false],
      [second, true],
    ] as const) {
      const result = netrx.inflate(piece, last);
      if (!result.ok) throw new Error(result.failure.message);
      got.push(concat(result.chunks, result.length));
    }
    expect(equalBytes(concat(got), message)).toBe(true);
  }
  // An empty message both ways: netrx sends 00; ws reads it as nothing.
  expect(await wsCall('decompress', ws, netrx.deflate(new Uint8Array(0)), true)).toHaveLength(0);
  netrx.close();
  ws.cleanup();
}

describe('permessage-deflate interop with ws', () => {
  it('ws client, netrx server: context takeover both ways', async () => {
    const { ws, params } = wsClientToNetrxServer({}, {});
    expect(params).toEqual({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
    await exchange('server', ws, params);
  });

  it('ws client, netrx server: no context takeover and small windows', async () => {
    const { ws, params } = wsClientToNetrxServer(
      { serverNoContextTakeover: true, serverMaxWindowBits: 10 },
      { clientNoContextTakeover: true, clientMaxWindowBits: 9 },
    );
    expect(params).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 9,
    });
    await exchange('server', ws, params);
  });

  it('ws client, netrx server: 8-bit windows (zlib deflates with 9)', async () => {
    const { ws, params } = wsClientToNetrxServer(
      { serverMaxWindowBits: 8 },
      { clientMaxWindowBits: 8 },
    );
    expect(params).toMatchObject({ serverMaxWindowBits: 8, clientMaxWindowBits: 8 });
    await exchange('server', ws, params);
  });

  it('netrx client, ws server: context takeover both ways', async () => {
    const { ws, params } = netrxClientToWsServer({ clientMaxWindowBits: true }, {});
    expect(params).toMatchObject({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
    });
    await exchange('client', ws, params);
  });

  it('netrx client, ws server: the server resets and limits the client window', async () => {
    const { ws, params } = netrxClientToWsServer(
      { serverNoContextTakeover: true, clientMaxWindowBits: true },
      { clientMaxWindowBits: 11, serverMaxWindowBits: 12 },
    );
    expect(params).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 12,
      clientMaxWindowBits: 11,
    });
    await exchange('client', ws, params);
  });

  it('netrx client, ws server: the client resets', async () => {
    const { ws, params } = netrxClientToWsServer(
      { clientNoContextTakeover: true },
      { clientNoContextTakeover: true },
    );
    expect(params).toMatchObject({ clientNoContextTakeover: true });
    await exchange('client', ws, params);
  });
});
