/**
 * The page's capture client: the `netrx.lrec.v1` WebSocket protocol of
 * netrx/capture (JSON calls, each receive answered by a JSON reply and one
 * binary EVENT_BUFFER frame). It keeps exactly one receive outstanding, as
 * MS-LREC's posted-receive model wants: while the page is busy, the host's
 * session queue fills and counts loss instead of a socket buffer growing.
 * When the host goes away it reconnects with backoff and reports the gap.
 */
import { parseEventBuffer, type NetEventItem } from '../../src/wire/lrec/index.js';

export const LREC_WS_SUBPROTOCOL = 'netrx.lrec.v1';

export type ConnectionState =
  | { readonly state: 'connecting'; readonly attempt: number }
  | { readonly state: 'open'; readonly session: string }
  | { readonly state: 'closed'; readonly reason: string; readonly retryInMs: number };

export interface CaptureClientHandlers {
  onItems(items: readonly NetEventItem[]): void;
  onState(state: ConnectionState): void;
  /** The host was unreachable for `ms`: whatever happened then was not seen. */
  onGap(ms: number): void;
}

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly handle?: string;
  readonly bytes?: number;
  readonly code?: string;
  readonly message?: string;
}

const MAX_BACKOFF_MS = 10_000;

/**
 * What the page says about a closed connection. 1006 is no close frame at
 * all (RFC 6455 §7.1.5): the host died, was stopped, or the network went;
 * "code 1006" means nothing to a person (review M3).
 */
export function closeReason(code: number, reason: string): string {
  if (reason !== '') return reason;
  return code === 1006 ? 'connection lost (host stopped?)' : `code ${code}`;
}

export class CaptureClient {
  private socket: WebSocket | undefined;
  private nextId = 1;
  private handle: string | undefined;
  private awaitingBuffer = false;
  private attempt = 0;
  private downSince: number | undefined;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Totals for this page's lifetime, across reconnections. */
  readonly totals = { buffers: 0, bytes: 0, reconnects: 0 };

  constructor(
    private readonly url: string,
    private readonly session: string,
    private readonly handlers: CaptureClientHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.socket?.close(1000, 'page closed');
  }

  private connect(): void {
    this.attempt++;
    this.handlers.onState({ state: 'connecting', attempt: this.attempt });
    const socket = new WebSocket(this.url, [LREC_WS_SUBPROTOCOL]);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    this.handle = undefined;
    this.awaitingBuffer = false;
    socket.addEventListener('open', () => this.call({ call: 'open', session: this.session }));
    socket.addEventListener('message', (event: MessageEvent<unknown>) => this.message(event.data));
    socket.addEventListener('close', (event) => this.closed(closeReason(event.code, event.reason)));
  }

  private call(body: Record<string, string>): void {
    this.socket?.send(JSON.stringify({ id: this.nextId++, ...body }));
  }

  private message(data: unknown): void {
    if (data instanceof ArrayBuffer) {
      if (!this.awaitingBuffer) return this.fail('an EVENT_BUFFER nobody asked for');
      this.awaitingBuffer = false;
      this.totals.buffers++;
      this.totals.bytes += data.byteLength;
      const parsed = parseEventBuffer(new Uint8Array(data));
      if (!parsed.ok) return this.fail(`a malformed EVENT_BUFFER (${parsed.failure.code})`);
      this.handlers.onItems(parsed.value);
      this.receive();
      return;
    }
    if (typeof data !== 'string') return this.fail('a frame of an unknown kind');
    let reply: Reply;
    try {
      reply = JSON.parse(data) as Reply;
    } catch {
      return this.fail('a reply that is not JSON');
    }
    if (!reply.ok) return this.fail(`${reply.code ?? 'error'}: ${reply.message ?? ''}`);
    if (this.handle === undefined) {
      if (typeof reply.handle !== 'string') return this.fail('an open reply without a handle');
      this.handle = reply.handle;
      this.opened();
      this.receive();
    } else if (typeof reply.bytes === 'number') {
      this.awaitingBuffer = true;
    }
  }

  private opened(): void {
    if (this.downSince !== undefined) {
      this.handlers.onGap(Date.now() - this.downSince);
      this.totals.reconnects++;
      this.downSince = undefined;
    }
    this.attempt = 0;
    this.handlers.onState({ state: 'open', session: this.session });
  }

  private receive(): void {
    if (this.handle !== undefined) this.call({ call: 'receive', handle: this.handle });
  }

  private fail(reason: string): void {
    // 4000: an application code (a page may not send 1002); the reason stays under 123 bytes.
    this.socket?.close(4000, reason.slice(0, 100));
  }

  private closed(reason: string): void {
    this.socket = undefined;
    if (this.stopped) return;
    this.downSince ??= Date.now();
    const retryInMs = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.attempt, 5));
    this.handlers.onState({ state: 'closed', reason, retryInMs });
    this.retryTimer = setTimeout(() => this.connect(), retryInMs);
  }
}
