/**
 * The netrx Node client (`src/node/websocket`) as the interop suites drive
 * it, through its WHATWG surface only: `new WebSocket(url, protocols?,
 * { perMessageDeflate? })`, `onopen`, `onmessage` (text as a string, binary
 * as a Buffer with the default binaryType 'nodebuffer'), `send`,
 * `close(code?, reason?)`, `onclose` (code, reason, wasClean), `onerror`,
 * `extensions`.
 */
import { WebSocket as ClientUnderTest } from '../../../src/node/websocket/index.js';

export interface MessageEventLike {
  readonly data: unknown;
}

export interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

export interface WhatwgWebSocket {
  readonly readyState: number;
  readonly extensions: string;
  readonly protocol: string;
  binaryType: string;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: MessageEventLike) => void) | null;
  onclose: ((event: CloseEventLike) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WhatwgWebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { perMessageDeflate?: boolean },
) => WhatwgWebSocket;

export const NodeWebSocket = ClientUnderTest as unknown as WhatwgWebSocketConstructor;

/** An open client with its messages queued, for request/response style tests. */
export class ClientSession {
  private readonly messages: unknown[] = [];
  private waiter: (() => void) | undefined;
  private closeEvent: CloseEventLike | undefined;
  readonly closed: Promise<CloseEventLike>;

  private constructor(readonly ws: WhatwgWebSocket) {
    this.closed = new Promise((resolve) => {
      ws.onclose = (event) => {
        this.closeEvent = { code: event.code, reason: event.reason, wasClean: event.wasClean };
        resolve(this.closeEvent);
        this.waiter?.();
      };
    });
    ws.onmessage = (event) => {
      this.messages.push(event.data);
      this.waiter?.();
    };
  }

  static open(
    url: string,
    options: { perMessageDeflate?: boolean } = {},
    timeoutMs = 10_000,
  ): Promise<ClientSession> {
    const ws = new NodeWebSocket(url, undefined, options);
    const session = new ClientSession(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${url} did not open in ${timeoutMs} ms`)),
        timeoutMs,
      );
      ws.onopen = () => {
        clearTimeout(timer);
        resolve(session);
      };
      ws.onerror = (event) => {
        clearTimeout(timer);
        const message = (event as { message?: unknown }).message;
        reject(new Error(`${url}: ${typeof message === 'string' ? message : 'error event'}`));
      };
    });
  }

  next(timeoutMs = 10_000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const settle = (): boolean => {
        if (this.messages.length > 0) {
          resolve(this.messages.shift());
          return true;
        }
        if (this.closeEvent !== undefined) {
          reject(new Error(`closed (${this.closeEvent.code}) while waiting for a message`));
          return true;
        }
        return false;
      };
      if (settle()) return;
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = () => {
        if (settle()) {
          clearTimeout(timer);
          this.waiter = undefined;
        }
      };
    });
  }
}
