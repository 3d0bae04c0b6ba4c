/**
 * The WHATWG half of `WebSocket`: `onopen`/`onmessage`/`onclose`/`onerror`
 * and `addEventListener`, over the same EventEmitter that carries the `ws`
 * events. DOM listeners live under `dom:<type>` so they never see the `ws`
 * events' arguments (and `'error'` with no listener never throws for them).
 */
import { EventEmitter } from 'node:events';

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
type Listener = ((event: never) => void) | { handleEvent(event: never): void };

/** Marks the wrappers `addEventListener` makes, so `removeEventListener` finds them. */
const ORIGINAL: unique symbol = Symbol('original listener');
type Wrapped = ((event: unknown) => void) & { [ORIGINAL]: Listener };

export class WebSocketEventTarget extends EventEmitter {
  onopen: Handler<OpenEventLike> = null;
  onmessage: Handler<MessageEventLike> = null;
  onclose: Handler<CloseEventLike> = null;
  onerror: Handler<ErrorEventLike> = null;

  /** WHATWG `addEventListener` (functions or `{ handleEvent }`; `{ once }` honoured). */
  addEventListener(type: string, listener: Listener, options?: { once?: boolean }): void {
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

  removeEventListener(type: string, listener: Listener): void {
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

  /** Calls `on<type>` and the `addEventListener` listeners. */
  protected dispatch<K extends keyof DomEvents>(type: K, event: DomEvents[K]): void {
    (this[`on${type}`] as Handler<DomEvents[K]>)?.call(this, event);
    this.emit(`dom:${type}`, event);
  }
}
