/**
 * The probe a runtime's echo server must pass, driven from Node with a
 * client nobody here wrote (`ws` 8.23.0) or the netrx Node client (its
 * ws-compatible surface): a seeded random mix of text and binary, some sent
 * as fragments (`fin: false` pieces), pings whose pongs must carry the same
 * payload, deflate offered or not (and the answer checked), then a close
 * with a drawn code and reason that must come back. Returns the problems
 * found (empty when the server passed), never throws on a bad echo.
 */
import WsWebSocket from 'ws';
import NetrxWebSocket from '../../../src/node/ws/index.js';
import { Random } from './ws-mix.js';

export type ProbeClient = 'ws' | 'netrx';

export interface ProbeOptions {
  readonly client: ProbeClient;
  readonly deflate: boolean;
  readonly seed: number;
  readonly messages?: number;
}

interface WsLike {
  on(event: 'open', listener: () => void): void;
  on(event: 'message', listener: (data: Buffer | Buffer[], isBinary: boolean) => void): void;
  on(event: 'pong', listener: (data: Buffer) => void): void;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  send(data: Buffer | string, options: { binary?: boolean; fin?: boolean }): void;
  ping(data: Buffer): void;
  close(code: number, reason: string): void;
  readonly extensions: string;
}

type Constructor = new (url: string, options: { perMessageDeflate: boolean }) => WsLike;
const CLIENTS: Record<ProbeClient, Constructor> = {
  ws: WsWebSocket,
  netrx: NetrxWebSocket,
};

export async function probeEcho(port: number, options: ProbeOptions): Promise<string[]> {
  const random = new Random(options.seed);
  const problems: string[] = [];
  const ws = new CLIENTS[options.client](`ws://127.0.0.1:${port}/`, {
    perMessageDeflate: options.deflate,
  });
  const errors: Error[] = [];
  ws.on('error', (error) => errors.push(error));
  await new Promise<void>((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('close', (code) =>
      reject(new Error(`closed before open: ${code}; ${errors.join('; ')}`)),
    );
  });
  if (ws.extensions.includes('permessage-deflate') !== options.deflate) {
    problems.push(`extensions "${ws.extensions}" with deflate ${options.deflate}`);
  }
  const expected: { binary: boolean; data: Buffer }[] = [];
  const got: { binary: boolean; data: Buffer }[] = [];
  const pings: string[] = [];
  const pongs: string[] = [];
  ws.on('message', (data, isBinary) =>
    got.push({ binary: isBinary, data: Array.isArray(data) ? Buffer.concat(data) : data }),
  );
  ws.on('pong', (data) => pongs.push(data.toString('hex')));
  const count = options.messages ?? 80;
  for (let i = 0; i < count; i++) {
    const size = random.bool(0.2)
      ? random.pick([0, 1, 125, 126, 127, 65_535, 65_536, 150_000])
      : random.int(0, 4000);
    const binary = random.bool();
    const data = binary
      ? random.bytes(size)
      : Buffer.from(
          Array.from({ length: size }, () => random.pick(['a', 'é', '€', '𝄞', ' '])).join(''),
        );
    expected.push({ binary, data });
    if (random.bool(0.25) && data.length > 2) {
      // Fragments: cut where the text stays whole (ws sends a Buffer as given;
      // the receiver validates UTF-8 over the whole message).
      const cuts = [random.int(1, data.length - 1), data.length].sort((a, b) => a - b);
      let at = 0;
      for (const [k, cut] of cuts.entries()) {
        ws.send(data.subarray(at, cut), { binary, fin: k === cuts.length - 1 });
        at = cut;
      }
    } else {
      ws.send(binary ? data : data.toString(), { binary });
    }
    if (random.bool(0.1)) {
      const payload = random.bytes(random.int(0, 125));
      pings.push(payload.toString('hex'));
      ws.ping(payload);
    }
  }
  const code = random.pick([1000, random.int(3000, 4999)]);
  const reason = random.pick(['', 'bye', 'déjà vu']);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (c, r) => resolve({ code: c, reason: r.toString() })),
  );
  // The close goes after every message, so the echoes must all be in before the close echo.
  ws.close(code, reason);
  const status = await closed;
  if (got.length !== expected.length)
    problems.push(`${got.length} echoes for ${expected.length} messages`);
  expected.forEach((e, i) => {
    const g = got[i];
    if (g === undefined) return;
    if (g.binary !== e.binary || !g.data.equals(e.data)) {
      problems.push(`echo ${i} differs (${e.binary ? 'binary' : 'text'}, ${e.data.length} bytes)`);
    }
  });
  if (pongs.join() !== pings.join())
    problems.push(`pongs ${pongs.length} for pings ${pings.length}`);
  if (status.code !== code || status.reason !== reason) {
    problems.push(`close echoed as ${status.code} "${status.reason}", sent ${code} "${reason}"`);
  }
  if (errors.length > 0) problems.push(`client errors: ${errors.map((e) => e.message).join('; ')}`);
  return problems;
}
