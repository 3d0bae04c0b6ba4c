/**
 * The LREC RPC server core: DCE/RPC over a byte stream (ncacn_ip_tcp) in
 * front of a `SessionTable`, sans-I/O. The host (netrx/node) accepts TCP
 * connections and wires each one to `connect(sink)`: bytes in through
 * `RpcConnection.receive`, bytes out through `sink.send`, and
 * `RpcConnection.closed()` when the socket goes away.
 *
 * Association groups scope context handles (MS-RPCE 3.3.1.5.4): a bind
 * naming a live group joins it, otherwise a new group is made. When the last
 * connection of a group closes, every handle it holds is run down, which
 * MS-LREC maps to Stop (3.1.6.1).
 *
 * Authentication is pluggable (`RpcAuthProvider`) and, until NTLM lands,
 * can only refuse: a bind carrying an auth trailer gets a bind_nak
 * (authentication_type_not_recognized). Unauthenticated binds are accepted,
 * but their calls fault with access denied unless `allowUnauthenticated` is
 * set; the Node server sets it only for `--insecure-no-auth` on loopback.
 */
import type { Crypto } from '../../runtime/index.js';
import { BindNakReason, MIN_FRAGMENT_LENGTH, type AuthTrailer } from '../../wire/index.js';
import type { SessionHandle, SessionTable } from '../session-table.js';
import { RpcConnection, type RpcSink } from './connection.js';
import { CONTEXT_HANDLE_LENGTH } from './ndr.js';

export const LREC_INTERFACE = { uuid: '22e5386d-8b12-4bf0-b0ec-6a1ea419e366', major: 1, minor: 0 };

/** What an auth provider says about a bind's auth trailer. NTLM will add a continuing answer. */
export type RpcAuthDecision = { readonly kind: 'refuse'; readonly reason: number };

export interface RpcAuthProvider {
  onBind(trailer: AuthTrailer): RpcAuthDecision;
}

/** The provider until NTLM: every auth trailer is refused, clearly. */
export const noAuthProvider: RpcAuthProvider = {
  onBind: () => ({ kind: 'refuse', reason: BindNakReason.authentication_type_not_recognized }),
};

export interface LrecRpcServerOptions {
  readonly table: SessionTable;
  /** Context handle GUIDs are random, so a client cannot guess another's. */
  readonly crypto: Pick<Crypto, 'randomBytes'>;
  /** Let unauthenticated associations call the interface. Default false (calls fault with 5). */
  readonly allowUnauthenticated?: boolean;
  readonly auth?: RpcAuthProvider;
  /** Largest fragment sent or accepted, 1432 to 65535. Default 5840 (Windows). */
  readonly maxFragLength?: number;
  /** Largest reassembled request stub. Default 16 KiB (LREC requests are tiny). */
  readonly maxRequestBytes?: number;
  /** The bind_ack's secondary address: the port as text. The host sets it once listening. */
  secondaryAddress?: string;
  /** Bound on association groups alive at once (each holds ≥ 1 connection). Default 1024. */
  readonly maxGroups?: number;
}

export interface LrecRpcServerStats {
  readonly connections: number;
  readonly groups: number;
  readonly contextHandles: number;
  readonly binds: number;
  readonly bindNaks: number;
  readonly calls: number;
  /** Faults sent, by status (hex). */
  readonly faults: Readonly<Record<string, number>>;
  /** Connections closed for bytes that were not DCE/RPC, by decode failure code. */
  readonly dropped: Readonly<Record<string, number>>;
  readonly rundowns: number;
}

/** @internal */
export interface AssociationGroup {
  readonly id: number;
  readonly connections: Set<RpcConnection>;
  /** Context handle GUID (hex) → session handle. */
  readonly handles: Map<string, SessionHandle>;
}

export class LrecRpcServer {
  /** @internal */ readonly table: SessionTable;
  /** @internal */ readonly allowUnauthenticated: boolean;
  /** @internal */ readonly auth: RpcAuthProvider;
  /** @internal */ readonly maxFragLength: number;
  /** @internal */ readonly maxRequestBytes: number;
  secondaryAddress: string;
  private readonly crypto: Pick<Crypto, 'randomBytes'>;
  private readonly maxGroups: number;
  private readonly groups = new Map<number, AssociationGroup>();
  private readonly connections = new Set<RpcConnection>();
  private nextGroup = 0x1000;
  /** @internal */ readonly counters = {
    binds: 0,
    bindNaks: 0,
    calls: 0,
    rundowns: 0,
    faults: {} as Record<string, number>,
    dropped: {} as Record<string, number>,
  };

  constructor(options: LrecRpcServerOptions) {
    this.table = options.table;
    this.crypto = options.crypto;
    this.allowUnauthenticated = options.allowUnauthenticated ?? false;
    this.auth = options.auth ?? noAuthProvider;
    this.maxFragLength = options.maxFragLength ?? 5840;
    if (
      !Number.isInteger(this.maxFragLength) ||
      this.maxFragLength < MIN_FRAGMENT_LENGTH ||
      this.maxFragLength > 0xffff
    ) {
      throw new RangeError(`maxFragLength is 1432 to 65535: got ${this.maxFragLength}`);
    }
    this.maxRequestBytes = options.maxRequestBytes ?? 16_384;
    this.maxGroups = options.maxGroups ?? 1024;
    this.secondaryAddress = options.secondaryAddress ?? '';
  }

  /** A new transport connection. */
  connect(sink: RpcSink): RpcConnection {
    const connection = new RpcConnection(this, sink);
    this.connections.add(connection);
    return connection;
  }

  stats(): LrecRpcServerStats {
    let contextHandles = 0;
    for (const group of this.groups.values()) contextHandles += group.handles.size;
    return {
      connections: this.connections.size,
      groups: this.groups.size,
      contextHandles,
      binds: this.counters.binds,
      bindNaks: this.counters.bindNaks,
      calls: this.counters.calls,
      faults: { ...this.counters.faults },
      dropped: { ...this.counters.dropped },
      rundowns: this.counters.rundowns,
    };
  }

  /** @internal A bind: join `requested` if it is alive, else a new group (undefined when full). */
  joinGroup(connection: RpcConnection, requested: number): AssociationGroup | undefined {
    let group = requested === 0 ? undefined : this.groups.get(requested);
    if (group === undefined) {
      if (this.groups.size >= this.maxGroups) return undefined;
      const id = this.nextGroup;
      this.nextGroup = this.nextGroup >= 0xffff_fff0 ? 0x1000 : this.nextGroup + 1;
      group = { id, connections: new Set(), handles: new Map() };
      this.groups.set(id, group);
    }
    group.connections.add(connection);
    return group;
  }

  /** @internal A new context handle for `session` in `group`: 0 attributes + a random GUID. */
  newHandle(group: AssociationGroup, session: SessionHandle): Uint8Array {
    const handle = new Uint8Array(CONTEXT_HANDLE_LENGTH);
    const guid = this.crypto.randomBytes(16);
    guid[7] = ((guid[7] as number) & 0x0f) | 0x40; // version 4 (Data3 is little-endian)
    guid[8] = ((guid[8] as number) & 0x3f) | 0x80;
    handle.set(guid, 4);
    group.handles.set(handleKey(handle), session);
    return handle;
  }

  /** @internal The transport went away: run the group's handles down when it was the last. */
  disconnected(connection: RpcConnection, group: AssociationGroup | undefined): void {
    this.connections.delete(connection);
    if (group === undefined) return;
    group.connections.delete(connection);
    if (group.connections.size > 0) return;
    this.groups.delete(group.id);
    for (const session of group.handles.values()) {
      if (this.table.rundown(session)) this.counters.rundowns++;
    }
    group.handles.clear();
  }

  /** @internal */
  countFault(status: number): void {
    const key = `0x${status.toString(16).padStart(8, '0')}`;
    this.counters.faults[key] = (this.counters.faults[key] ?? 0) + 1;
  }

  /** @internal */
  countDrop(code: string): void {
    this.counters.dropped[code] = (this.counters.dropped[code] ?? 0) + 1;
  }
}

/** The lookup key of a 20-byte context handle: attributes and GUID as hex. */
export function handleKey(handle: Uint8Array): string {
  let key = '';
  for (let i = 0; i < handle.length; i++)
    key += ((handle[i] as number) + 0x100).toString(16).slice(1);
  return key;
}
