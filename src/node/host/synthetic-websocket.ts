/**
 * The WebSocket half of the synthetic traffic (review M2): each round one
 * netrx WebSocket client connects to the host's own echo endpoint, sends a
 * message, checks that the same text comes back and closes with 1000, so
 * the dashboard's WebSocket panel shows a connection open and a close code
 * (the echo's ConnectionOpened/ConnectionClosed events and its counters).
 * Bounded by `timeoutMs` on the host's clock: a round that hangs is cut.
 */
import type { Clock, Timer } from '../../runtime/index.js';
import { WebSocket } from '../websocket/index.js';

export interface EchoRound {
  readonly ok: boolean;
  /** Why it failed ('' when it did not). */
  readonly reason: string;
}

/** The ws: URL of the echo at `path` on the host at `hostUrl` (`http://127.0.0.1:7340/`). */
export function echoUrl(hostUrl: string, path: string): URL {
  return new URL(path, hostUrl.replace(/^http/, 'ws'));
}

export function runEchoRound(
  url: URL,
  message: string,
  clock: Clock,
  timeoutMs: number,
): Promise<EchoRound> {
  return new Promise((resolve) => {
    let settled = false;
    const client = new WebSocket(url, { handshakeTimeout: timeoutMs });
    const finish = (result: EchoRound) => {
      if (settled) return;
      settled = true;
      timer.cancel();
      resolve(result);
    };
    const timer: Timer = clock.setTimer(timeoutMs, () => {
      client.terminate();
      finish({ ok: false, reason: `no echo and close within ${timeoutMs} ms` });
    });
    let echoed = false;
    client.once('open', () => client.send(message));
    client.once('message', (data: Buffer) => {
      echoed = data.toString() === message;
      // 1000 either way: the panel shows a normal close; a wrong echo is this round's failure.
      client.close(1000, echoed ? 'synthetic round done' : 'echo differs');
    });
    client.once('error', (error: Error) => finish({ ok: false, reason: error.message }));
    client.once('close', (code: number) =>
      finish(
        echoed && code === 1000
          ? { ok: true, reason: '' }
          : { ok: false, reason: echoed ? `closed ${code}` : `closed ${code} before the echo` },
      ),
    );
  });
}
