/**
 * The Session Table (MS-LREC 3.1.1) and the three LREC methods on it:
 * `openSession(name)` (opnum 0), `receiveData(handle)` (opnum 1) and
 * `closeSession(handle)` (opnum 2), plus `rundown(handle)` for a dropped
 * connection (3.1.6.1: the same as MSFT_NetEventSession.Stop). The control
 * side (WS-Management's CIM classes in Windows) is `createSession`,
 * `deleteSession` and each session's `start` / `stop`.
 *
 * Handles are opaque numbers, never reused; the RPC transport maps its
 * 20-byte context handles onto them. A failing method throws a `NetrxError`
 * whose `code` is the Win32 name and `number` its value (docs/errors.md).
 */
import type { PendingReceive } from '../receive/index.js';
import type { Clock } from '../runtime/index.js';
import type { TraceRegistry } from '../trace/index.js';
import { NET_EVENT_LAST_ITEM_FLAG, isGuid } from '../wire/index.js';
import { captureError, controlError } from './errors.js';
import {
  EventSession,
  type EventBufferMeta,
  type SessionProvider,
  type SessionSource,
} from './event-session.js';
import { resolveLimits, type SessionLimits } from './limits.js';

/** A Session Handle, as `openSession` returns it. */
export type SessionHandle = number & { readonly __sessionHandle: true };

export interface SessionTableOptions {
  readonly registry: TraceRegistry;
  readonly clock: Clock;
  /** Sessions the table holds at most. Default 16 (Windows holds one). */
  readonly maxSessions?: number;
  /** Flags written on the last item of every EVENT_BUFFER. Default 0x0100. */
  readonly lastItemFlag?: number;
}

export interface SessionConfig {
  /** MSFT_NetEventSession.Name: 1 to 1024 characters, unique in the table. */
  readonly name: string;
  /** Default: derived from the session's number (no randomness in cores). */
  readonly guid?: string;
  readonly providers: readonly SessionProvider[];
  readonly limits?: Partial<SessionLimits>;
  /** Events from elsewhere besides the providers (netrx/node's NATS reader). */
  readonly source?: SessionSource;
}

export interface SessionTableStats {
  readonly sessions: number;
  readonly openHandles: number;
  /** createSession refusals: the table was full, or the name was taken. */
  readonly refusedFull: number;
  readonly refusedDuplicate: number;
  /** Calls naming a handle the table does not hold. */
  readonly unknownHandles: number;
  /** openSession calls naming no session. */
  readonly unknownNames: number;
}

const MAX_NAME_LENGTH = 1024;

export class SessionTable {
  private readonly registry: TraceRegistry;
  /** The clock the table's timers run on (transports in front of it use it too). */
  readonly clock: Clock;
  private readonly maxSessions: number;
  private readonly lastItemFlag: number;
  private readonly byName = new Map<string, EventSession>();
  private readonly byHandle = new Map<number, EventSession>();
  private readonly handleOf = new Map<EventSession, number>();
  private nextHandle = 1;
  private nextSessionNumber = 1;
  private counters = { refusedFull: 0, refusedDuplicate: 0, unknownHandles: 0, unknownNames: 0 };

  constructor(options: SessionTableOptions) {
    this.registry = options.registry;
    this.clock = options.clock;
    this.maxSessions = options.maxSessions ?? 16;
    if (!Number.isInteger(this.maxSessions) || this.maxSessions < 1 || this.maxSessions > 0xffff) {
      throw new RangeError(
        `maxSessions must be an integer from 1 to 65535: got ${this.maxSessions}`,
      );
    }
    this.lastItemFlag = options.lastItemFlag ?? NET_EVENT_LAST_ITEM_FLAG;
    if (
      !Number.isInteger(this.lastItemFlag) ||
      this.lastItemFlag < 0 ||
      this.lastItemFlag > 0xffff
    ) {
      throw new RangeError(`lastItemFlag must be a u16: got ${this.lastItemFlag}`);
    }
  }

  /**
   * Adds a Stopped session. Refused, counted, with `ERR_CAPTURE_SESSION_EXISTS`
   * for a name in use and `ERR_CAPTURE_SESSION_TABLE_FULL` past `maxSessions`;
   * TypeError/RangeError for a bad name, GUID, provider or limit.
   */
  createSession(config: SessionConfig): EventSession {
    const { name } = config;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
      throw new TypeError(`A session name is 1 to ${MAX_NAME_LENGTH} characters`);
    }
    if (config.guid !== undefined && !isGuid(config.guid)) {
      throw new TypeError(`Not a session GUID: ${JSON.stringify(config.guid)}`);
    }
    for (const provider of config.providers) {
      if (typeof provider.provider !== 'string' || provider.provider.length === 0) {
        throw new TypeError('Each session provider names a provider GUID or name');
      }
      const level = provider.level ?? 4;
      if (!Number.isInteger(level) || level < 0 || level > 255) {
        throw new RangeError(`A provider level is 0 to 255: got ${level}`);
      }
    }
    const limits = resolveLimits(config.limits);
    if (this.byName.has(name)) {
      this.counters.refusedDuplicate++;
      throw controlError(
        'ERR_CAPTURE_SESSION_EXISTS',
        `A session named ${JSON.stringify(name)} exists`,
      );
    }
    if (this.byName.size >= this.maxSessions) {
      this.counters.refusedFull++;
      throw controlError(
        'ERR_CAPTURE_SESSION_TABLE_FULL',
        `The session table holds ${this.maxSessions} sessions already`,
      );
    }
    const sessionNumber = this.nextSessionNumber++;
    const guid =
      config.guid?.replace(/[{}]/g, '').toLowerCase() ??
      `6e657472-7800-4000-8000-${sessionNumber.toString(16).padStart(12, '0')}`;
    const session = new EventSession(
      {
        name,
        guid,
        providers: [...config.providers],
        limits,
        ...(config.source === undefined ? {} : { source: config.source }),
      },
      {
        registry: this.registry,
        clock: this.clock,
        lastItemFlag: this.lastItemFlag,
        sessionNumber,
      },
    );
    this.byName.set(name, session);
    return session;
  }

  /** Removes a Stopped session; fails while it is Running. Returns false if there was none. */
  deleteSession(name: string): boolean {
    const session = this.byName.get(name);
    if (session === undefined) return false;
    if (session.state === 'Running') {
      throw controlError(
        'ERR_CAPTURE_SESSION_RUNNING',
        `Stop session ${JSON.stringify(name)} before deleting it`,
      );
    }
    this.byName.delete(name);
    return true;
  }

  session(name: string): EventSession | undefined {
    return this.byName.get(name);
  }

  sessions(): readonly EventSession[] {
    return [...this.byName.values()];
  }

  /**
   * RpcNetEventOpenSession: finds the session named `name`, allocates its
   * handle and starts queuing matching events now. Fails with
   * `ERROR_NOT_FOUND` (unknown name), `ERROR_INVALID_STATE` (Stopped) or
   * `ERROR_BUSY` (already open: one handle per session, as the Session
   * Table holds one).
   */
  openSession(name: string): SessionHandle {
    const session = this.byName.get(name);
    if (session === undefined) {
      this.counters.unknownNames++;
      throw captureError('ERROR_NOT_FOUND', `No session named ${JSON.stringify(name)}`);
    }
    this.sweep(session);
    session.open();
    const handle = this.nextHandle++;
    this.byHandle.set(handle, session);
    this.handleOf.set(session, handle);
    return handle as SessionHandle;
  }

  /**
   * RpcNetEventReceiveData: returns at once a `PendingReceive` whose
   * completion carries one EVENT_BUFFER (`data`) and `meta`. Completes at
   * once when a buffer is ready, otherwise when one fills or the Data
   * Completion Timer fires, or on Stop/Close (successfully; the queue is
   * discarded and counted as lost). Throws `ERROR_INVALID_HANDLE` for an
   * unknown handle and `ERROR_ASYNC_REQUEST_PENDING` while a receive is
   * outstanding.
   */
  receiveData(handle: SessionHandle): PendingReceive<EventBufferMeta> {
    return this.lookup(handle, 'receive from').receive();
  }

  /** RpcNetEventCloseSession: stops accumulating and forgets the handle. The session stays Running. */
  closeSession(handle: SessionHandle): void {
    const session = this.lookup(handle, 'close');
    this.forget(handle, session);
    session.release('closed');
  }

  /**
   * The client's connection dropped (context-handle rundown): Stop the
   * session (MS-LREC 3.1.6.1). The RPC runtime calls this, not a client, so a
   * handle that is already gone (closed, or its session stopped) is not an
   * error: returns false.
   */
  rundown(handle: SessionHandle): boolean {
    const session = this.byHandle.get(handle);
    if (session === undefined) return false;
    this.forget(handle, session);
    if (!session.isOpen) return false;
    session.stop();
    return true;
  }

  stats(): SessionTableStats {
    for (const session of this.byName.values()) this.sweep(session);
    return { ...this.counters, sessions: this.byName.size, openHandles: this.byHandle.size };
  }

  private lookup(handle: SessionHandle, verb: string): EventSession {
    const session = this.byHandle.get(handle);
    if (session === undefined || !session.isOpen || this.handleOf.get(session) !== handle) {
      if (session !== undefined) this.forget(handle, session);
      this.counters.unknownHandles++;
      throw captureError(
        'ERROR_INVALID_HANDLE',
        `Cannot ${verb} session handle ${String(handle)}: unknown`,
      );
    }
    return session;
  }

  /** A Stop from the control side leaves the handle behind: drop it. */
  private sweep(session: EventSession): void {
    const handle = this.handleOf.get(session);
    if (handle !== undefined && !session.isOpen) this.forget(handle, session);
  }

  private forget(handle: number, session: EventSession): void {
    this.byHandle.delete(handle);
    this.handleOf.delete(session);
  }
}
