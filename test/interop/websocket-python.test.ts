/**
 * python websockets (Debian python3-websockets), an implementation nobody
 * here wrote, against netrx in both roles:
 *
 * - as a CLIENT of the netrx echo server: text (non-ASCII), binary, 1 MiB
 *   messages, a ping, a clean close 1000; with and without
 *   permessage-deflate (python offers it by default) on servers started with
 *   and without --deflate. python checks the handshake and every frame
 *   itself and fails the connection on anything wrong.
 * - as a SERVER for the netrx Node client (support/ws-node-client.ts).
 *
 * The peer script is support/python_websockets_peer.py.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeers } from './support/peers.js';
import {
  PYTHON_RECORDED as RECORDED,
  findPython,
  runPythonJson,
  startPythonServer,
  type PythonServer,
} from './support/python-peer.js';
import { startEchoServer, type EchoServer } from './support/ws-echo.js';
import { ClientSession } from './support/ws-node-client.js';

const found = findPython();
const peers = requirePeers('websocket-python.test.ts', [
  {
    name: 'python3 websockets',
    ok: () => found !== undefined,
    hint: 'apt-get install -y python3-websockets',
  },
]);
if (found !== undefined) {
  console.info(`peers: python ${found.version} (${found.python}), websockets ${found.websockets}`);
  if (found.websockets !== RECORDED.websockets) {
    console.warn(
      `[netrx interop] python websockets is ${found.websockets}; checked with ${RECORDED.websockets}`,
    );
  }
}

interface EchoResult {
  readonly sent_type: string;
  readonly type: string;
  readonly length: number;
  readonly equal: boolean;
  readonly sha256: string;
  readonly expected_sha256: string;
}

interface ClientReport {
  readonly websockets: string;
  readonly response_extensions: string | null;
  readonly extensions: readonly { name: string }[];
  readonly text: EchoResult;
  readonly binary: EchoResult;
  readonly binary_1MiB: EchoResult;
  readonly text_1MiB: EchoResult;
  readonly compressible_1MiB: EchoResult;
  readonly ping: string;
  readonly close: { code: number; reason: string };
}

function runPythonClient(url: string, compression: boolean): Promise<ClientReport> {
  return runPythonJson<ClientReport>(found!, [
    'client',
    url,
    compression ? '--compression' : '--no-compression',
  ]);
}

function expectEchoed(result: EchoResult, type: 'str' | 'bytes'): void {
  expect(result.sent_type).toBe(type);
  expect(result.type).toBe(type);
  expect(result.sha256).toBe(result.expected_sha256);
  expect(result.equal).toBe(true);
}

describe.skipIf(peers.skip)('python websockets client against the netrx echo server', () => {
  let plain: EchoServer;
  let deflating: EchoServer;

  beforeAll(async () => {
    [plain, deflating] = await Promise.all([startEchoServer(), startEchoServer({ deflate: true })]);
    console.info(`echo servers: ${plain.implementation}`);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), deflating?.stop()]);
  });

  for (const [serverName, deflateServer] of [
    ['a plain server', false],
    ['a --deflate server', true],
  ] as const) {
    for (const compression of [true, false]) {
      const negotiated = deflateServer && compression;
      it(`${compression ? 'offering' : 'not offering'} permessage-deflate to ${serverName}: ${negotiated ? 'negotiated' : 'none'}; text, binary, 1 MiB, ping and close 1000`, async () => {
        const server = deflateServer ? deflating : plain;
        const report = await runPythonClient(server.url, compression);
        if (negotiated) {
          expect(report.response_extensions).toMatch(/^permessage-deflate\b/);
          expect(report.extensions.map((e) => e.name)).toEqual(['permessage-deflate']);
        } else {
          expect(report.response_extensions).toBeNull();
          expect(report.extensions).toEqual([]);
        }
        expectEchoed(report.text, 'str');
        expectEchoed(report.binary, 'bytes');
        expectEchoed(report.binary_1MiB, 'bytes');
        expectEchoed(report.text_1MiB, 'str');
        expectEchoed(report.compressible_1MiB, 'bytes');
        expect(report.binary_1MiB.length).toBe(1 << 20);
        expect(report.ping).toBe('answered');
        expect(report.close).toEqual({ code: 1000, reason: 'done' });
      });
    }
  }
});

describe.skipIf(peers.skip)('the netrx Node client against a python websockets echo server', () => {
  const servers = new Map<boolean, PythonServer>();

  beforeAll(async () => {
    for (const compression of [true, false]) {
      servers.set(
        compression,
        await startPythonServer(found!, [compression ? '--compression' : '--no-compression']),
      );
    }
  });

  afterAll(async () => {
    await Promise.all([...servers.values()].map((server) => server.stop()));
  });

  for (const serverCompression of [true, false]) {
    for (const clientDeflate of [true, false]) {
      const negotiated = serverCompression && clientDeflate;
      it(`client deflate ${clientDeflate ? 'on' : 'off'}, server compression ${serverCompression ? 'on' : 'off'}: ${negotiated ? 'negotiated' : 'none'}; text, binary, 1 MiB and close 4000`, async () => {
        const { url } = servers.get(serverCompression)!;
        const session = await ClientSession.open(url, { perMessageDeflate: clientDeflate });
        const { ws } = session;
        if (negotiated) expect(ws.extensions).toMatch(/^permessage-deflate\b/);
        else expect(ws.extensions).toBe('');

        const text = 'héllo wörld ✓ κόσμε 🎉 netrx';
        ws.send(text);
        expect(await session.next()).toBe(text);

        const bytes = new Uint8Array(1024).map((_, i) => (i * 7) & 0xff);
        ws.send(bytes);
        const echoed = await session.next();
        expect(echoed).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(echoed as Uint8Array).equals(Buffer.from(bytes))).toBe(true);

        const big = Buffer.alloc(1 << 20);
        for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
        ws.send(big);
        const bigEcho = await session.next(30_000);
        expect(Buffer.from(bigEcho as Uint8Array).equals(big)).toBe(true);

        const bigText = 'κόσμε netrx '.repeat(70_000);
        ws.send(bigText);
        expect(await session.next(30_000)).toBe(bigText);

        ws.close(4000, 'bye');
        const closed = await session.closed;
        expect(closed).toEqual({ code: 4000, reason: 'bye', wasClean: true });
      });
    }
  }
});
