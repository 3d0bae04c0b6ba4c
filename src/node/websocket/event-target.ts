/**
 * The event half of `WebSocket`: the readyState constants, the `ws` events
 * and the WHATWG ones (`onopen`/`onmessage`/`onclose`/`onerror` and
 * `addEventListener`), over one EventEmitter. DOM listeners live under
 * `dom:<type>` so they never see the `ws` events' arguments (and `'error'`
 * with no listener never throws for them).
 */
import { EventEmitter } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { RawData } from './message-data.js';
import { CLOSED, CLOSING, CONNECTING, OPEN } from './ready-state.js';

export interface OpenEventLike {
  readonly type: 'open';
  readonly target: unknown;
}

export interface MessageEventLike {
  readonly type: 'message';
  /** A string for text; for binary, as `binaryType` says. */
  readonly data: unknown;
  readonly target: unknown;
}

export interface CloseEventLike {
  readonly type: 'close';
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  readonly target: unknown;
}

export interface ErrorEventLike {
  readonly type: 'error';
  readonly error: Error;
  readonly message: string;
  readonly target: unknown;
}

interface DomEvents {
  open: OpenEventLike;
  message: MessageEventLike;
  close: CloseEventLike;
  error: ErrorEventLike;
}

type Handler<E> = ((event: E) => void) | null;
type DomListener = ((event: never) => void) | { handleEvent(event: never): void };

/** Marks the wrappers `addEventListener` makes, so `removeEventListener` finds them. */
const ORIGINAL: unique symbol = Symbol('original listener');
type Wrapped = ((event: unknown) => void) & { [ORIGINAL]: DomListener };

/** A listener typed by method syntax, so narrower parameter types are accepted (as @types/ws allows). */
type Listener<A extends unknown[]> = { bivariance(...args: A): void }['bivariance'];

/** The `ws` events and their arguments. */
interface WebSocketEventMap {
  message: [data: RawData, isBinary: boolean];
  close: [code: number, reason: Buffer];
  ping: [data: Buffer];
  pong: [data: Buffer];
  error: [error: Error];
  upgrade: [response: IncomingMessage];
  'unexpected-response': [request: ClientRequest, response: IncomingMessage];
  redirect: [url: string, request: ClientRequest];
  open: [];
  drain: [];
}

/**
 * @internal Messages delivered while nobody listened (no `'message'` or DOM
 * listener): `WebSocketStream.fromWebSocket` refuses a connection that lost
 * some, rather than start a stream with a silent gap.
 */
export const UNHEARD_MESSAGES: unique symbol = Symbol('netrx.websocket.unheardMessages');

/** @internal How many messages `ws` delivered to nobody (see `UNHEARD_MESSAGES`). */
export function unheardMessages(ws: WebSocketEventTarget): number {
  return (ws as { [UNHEARD_MESSAGES]?: number })[UNHEARD_MESSAGES] ?? 0;
}

/** The events, typed (the merged declaration adds overloads to EventEmitter's). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the class
export interface WebSocketEventTarget {
  on<K extends keyof WebSocketEventMap>(event: K, listener: Listener<WebSocketEventMap[K]>): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own signature
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once<K extends keyof WebSocketEventMap>(event: K, listener: Listener<WebSocketEventMap[K]>): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own signature
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed events, as @types/ws does
export class WebSocketEventTarget extends EventEmitter {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  // The instance constants are prototype getters, as in ws: no fields per connection.
  get CONNECTING(): 0 {
    return CONNECTING;
  }
  get OPEN(): 1 {
    return OPEN;
  }
  get CLOSING(): 2 {
    return CLOSING;
  }
  get CLOSED(): 3 {
    return CLOSED;
  }

  onopen: Handler<OpenEventLike> = null;
  onmessage: Handler<MessageEventLike> = null;
  onclose: Handler<CloseEventLike> = null;
  onerror: Handler<ErrorEventLike> = null;

  /** WHATWG `addEventListener` (functions or `{ handleEvent }`; `{ once }` honoured). */
  addEventListener(type: string, listener: DomListener, options?: { once?: boolean }): void {
    for (const l of this.listeners(`dom:${type}`)) {
      if ((l as Wrapped)[ORIGINAL] === listener) return; // added once only, as the DOM does
    }
    const wrapped = ((event: unknown): void => {
      if (typeof listener === 'function') (listener as (e: unknown) => void).call(this, event);
      else (listener.handleEvent as (e: unknown) => void).call(listener, event);
    }) as Wrapped;
    wrapped[ORIGINAL] = listener;
    if (options?.once === true) this.once(`dom:${type}`, wrapped);
    else this.on(`dom:${type}`, wrapped);
  }

  removeEventListener(type: string, listener: DomListener): void {
    for (const l of this.listeners(`dom:${type}`)) {
      if ((l as Wrapped)[ORIGINAL] === listener) {
        this.off(`dom:${type}`, l as (...args: unknown[]) => void);
        return;
      }
    }
  }

  /** Whether a DOM-style listener for `type` would see an event (saves building it). */
  protected hasDomListener(type: keyof DomEvents): boolean {
    return this[`on${type}`] !== null || this.listenerCount(`dom:${type}`) > 0;
  }

  protected emitOpen(): void {
    this.emit('open');
    if (this.hasDomListener('open')) this.dispatch('open', { type: 'open', target: this });
  }

  /** `'message'` with the payload; DOM listeners get a string for text. */
  protected emitMessage(payload: unknown, binary: boolean, bytes: Buffer): void {
    const heard = this.emit('message', payload, binary);
    if (this.hasDomListener('message')) {
      this.dispatch('message', {
        type: 'message',
        data: binary ? payload : bytes.toString('utf8'),
        target: this,
      });
    } else if (!heard) {
      // Set only on the rare connection that loses one: no field on the others.
      const counted = this as { [UNHEARD_MESSAGES]?: number };
      counted[UNHEARD_MESSAGES] = (counted[UNHEARD_MESSAGES] ?? 0) + 1;
    }
  }

  /** `'error'` only when someone listens: a peer's violation never crashes the process. */
  protected emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    if (this.hasDomListener('error')) {
      this.dispatch('error', { type: 'error', error, message: error.message, target: this });
    }
  }

  /** `ws`'s close gets `wsCode`, WHATWG's `domCode` (they differ after a protocol error). */
  protected emitCloseEvents(
    wsCode: number,
    reason: string,
    domCode: number,
    wasClean: boolean,
  ): void {
    this.emit('close', wsCode, Buffer.from(reason));
    if (this.hasDomListener('close')) {
      this.dispatch('close', { type: 'close', code: domCode, reason, wasClean, target: this });
    }
  }

  /** Calls `on<type>` and the `addEventListener` listeners. */
  protected dispatch<K extends keyof DomEvents>(type: K, event: DomEvents[K]): void {
    (this[`on${type}`] as Handler<DomEvents[K]>)?.call(this, event);
    this.emit(`dom:${type}`, event);
  }
}
