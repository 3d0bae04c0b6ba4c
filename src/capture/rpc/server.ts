/**
 * The LREC RPC server core: DCE/RPC over a byte stream (ncacn_ip_tcp) in
 * front of a `SessionTable`, sans-I/O. The host (netrx/node) accepts TCP
 * connections and wires each one to `connect(sink)`: bytes in through
 * `RpcConnection.receive`, bytes out through `sink.send`, and
 * `RpcConnection.closed()` when the socket goes away.
 *
 * Association groups scope context handles (MS-RPCE 3.3.1.5.4): a bind
 * naming a live group joins it when it comes from the address that made the
 * group (once binds authenticate: the same identity), otherwise a new group
 * is made. Group ids are drawn from the injected Crypto, not counted, so a
 * peer cannot name another client's group by guessing the next number. When
 * the last connection of a group closes, every handle it holds is run down,
 * which MS-LREC maps to Stop (3.1.6.1).
 *
 * Authentication is pluggable (`RpcAuthProvider`) and, until NTLM lands,
 * can only refuse: a bind carrying an auth trailer gets a bind_nak
 * (authentication_type_not_recognized). Unauthenticated binds are accepted,
 * but their calls fault with access denied unless `allowUnauthenticated` is
 * set; the Node server sets it only for `--insecure-no-auth` on loopback.
 */
import type { Clock, Crypto } from '../../runtime/index.js';
import type { TraceProvider, TraceRegistry } from '../../trace/index.js';
import { BindNakReason, MIN_FRAGMENT_LENGTH, type AuthTrailer } from '../../wire/index.js';
import type { SessionHandle, SessionTable } from '../session-table.js';
import { RpcConnection, type RpcSink } from './connection.js';
import { CAPTURE_RPC_PROVIDER, CaptureRpcEvent } from './events.js';
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
  /** Context handle GUIDs and association group ids are random, so a client cannot guess another's. */
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
  /** Deadlines run on this clock. Default: the session table's. */
  readonly clock?: Clock;
  /** Where refusals and cut-off connections are traced (`netrx-capture-rpc`). */
  readonly trace?: TraceRegistry;
  /** Connections at once; past it a new one is refused (`connection-limit`). Default 256. */
  readonly maxConnections?: number;
  /**
   * Connections at once from one source address (IPv4-mapped IPv6 counts as
   * IPv4), so one peer cannot take every slot (`address-limit`). Default 32.
   */
  readonly maxConnectionsPerAddress?: number;
  /** A connection must be bound (bind_ack sent) this long after it opened (`bind-timeout`). Default 10 s; 0 = off. */
  readonly bindTimeoutMs?: number;
  /**
   * A bound connection that holds no session (no context handle opened on
   * this connection is still open: handles its group got through another
   * connection do not count), has no receive parked and has sent nothing for
   * this long is closed (`idle-timeout`). Default 120 s; 0 = off.
   */
  readonly idleTimeoutMs?: number;
  /**
   * An incomplete PDU must complete this long after its first byte came, and
   * a fragmented request its last fragment after its first (slowloris:
   * `partial-pdu-timeout`). Default 20 s; 0 = off.
   */
  readonly partialPduTimeoutMs?: number;
}

/** Where a connection comes from, as the transport knows it. */
export interface RpcPeer {
  /** The source IP address; connections without one share the key `''`. */
  readonly address?: string;
}

/** The resolved connection limits (docs/capture.md, "Limits and timeouts"). */
export interface RpcConnectionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly bindTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly partialPduTimeoutMs: number;
}

export const DEFAULT_RPC_CONNECTION_LIMITS: RpcConnectionLimits = {
  maxConnections: 256,
  maxConnectionsPerAddress: 32,
  bindTimeoutMs: 10_000,
  idleTimeoutMs: 120_000,
  partialPduTimeoutMs: 20_000,
};

function resolveConnectionLimits(options: LrecRpcServerOptions): RpcConnectionLimits {
  const limits = {
    maxConnections: options.maxConnections ?? DEFAULT_RPC_CONNECTION_LIMITS.maxConnections,
    maxConnectionsPerAddress:
      options.maxConnectionsPerAddress ?? DEFAULT_RPC_CONNECTION_LIMITS.maxConnectionsPerAddress,
    bindTimeoutMs: options.bindTimeoutMs ?? DEFAULT_RPC_CONNECTION_LIMITS.bindTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_RPC_CONNECTION_LIMITS.idleTimeoutMs,
    partialPduTimeoutMs:
      options.partialPduTimeoutMs ?? DEFAULT_RPC_CONNECTION_LIMITS.partialPduTimeoutMs,
  };
  for (const [name, value] of Object.entries(limits)) {
    const least = name.startsWith('max') ? 1 : 0;
    if (!Number.isInteger(value) || value < least || value > 0x7fff_ffff) {
      throw new RangeError(`${name} must be an integer from ${least}: got ${value}`);
    }
  }
  return limits;
}

/** The per-address key: IPv4-mapped IPv6 addresses count as their IPv4 address. */
function addressKey(address: string | undefined): string {
  if (address === undefined) return '';
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
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
  /** Connections refused on arrival, by reason (`connection-limit`, `address-limit`). */
  readonly refused: Readonly<Record<string, number>>;
}

/** @internal */
export interface AssociationGroup {
  readonly id: number;
  /** The address key of the connection that made the group: only it may join. */
  readonly address: string;
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
  /** @internal */ readonly clock: Clock;
  /** @internal */ readonly limits: RpcConnectionLimits;
  /** @internal */ readonly trace: TraceProvider | undefined;
  secondaryAddress: string;
  private readonly crypto: Pick<Crypto, 'randomBytes'>;
  private readonly maxGroups: number;
  private readonly groups = new Map<number, AssociationGroup>();
  private readonly connections = new Set<RpcConnection>();
  private readonly perAddress = new Map<string, number>();
  private nextConnection = 1;
  /** @internal */ readonly counters = {
    binds: 0,
    bindNaks: 0,
    calls: 0,
    rundowns: 0,
    faults: {} as Record<string, number>,
    dropped: {} as Record<string, number>,
    refused: {} as Record<string, number>,
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
    this.clock = options.clock ?? options.table.clock;
    this.limits = resolveConnectionLimits(options);
    this.trace = options.trace?.register(CAPTURE_RPC_PROVIDER);
  }

  /**
   * A new transport connection from `peer`. Past `maxConnections`, or
   * `maxConnectionsPerAddress` from the peer's address, it is refused: counted
   * in `stats().refused`, traced, and `sink.close()` is called before this
   * returns a connection that is already closed (`refused` says why).
   */
  connect(sink: RpcSink, peer: RpcPeer = {}): RpcConnection {
    const address = addressKey(peer.address);
    const id = this.nextConnection;
    this.nextConnection = this.nextConnection >= 0xffff_ffff ? 1 : this.nextConnection + 1;
    const fromAddress = this.perAddress.get(address) ?? 0;
    const refused =
      this.connections.size >= this.limits.maxConnections
        ? 'connection-limit'
        : fromAddress >= this.limits.maxConnectionsPerAddress
          ? 'address-limit'
          : undefined;
    const connection = new RpcConnection(this, sink, { id, address, refused });
    if (refused !== undefined) {
      this.counters.refused[refused] = (this.counters.refused[refused] ?? 0) + 1;
      this.trace?.emit(CaptureRpcEvent.connectionRefused, { address, reason: refused });
      sink.close();
      return connection;
    }
    this.connections.add(connection);
    this.perAddress.set(address, fromAddress + 1);
    connection.start();
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
      refused: { ...this.counters.refused },
    };
  }

  /**
   * @internal A bind: join `requested` if it is alive and was made from the
   * connection's address, else a new group (undefined when full). A group
   * named from another address is not revealed: the bind gets a new one.
   */
  joinGroup(connection: RpcConnection, requested: number): AssociationGroup | undefined {
    let group = requested === 0 ? undefined : this.groups.get(requested);
    if (group !== undefined && group.address !== connection.address) group = undefined;
    if (group === undefined) {
      if (this.groups.size >= this.maxGroups) return undefined;
      const id = this.newGroupId();
      if (id === undefined) return undefined;
      group = { id, address: connection.address, connections: new Set(), handles: new Map() };
      this.groups.set(id, group);
    }
    group.connections.add(connection);
    return group;
  }

  /** A random nonzero u32 no live group has; undefined if the Crypto keeps repeating itself. */
  private newGroupId(): number | undefined {
    for (let attempt = 0; attempt < 16; attempt++) {
      const bytes = this.crypto.randomBytes(4);
      const id = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
      if (id !== 0 && !this.groups.has(id)) return id;
    }
    return undefined;
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
    if (!this.connections.delete(connection)) return;
    const left = (this.perAddress.get(connection.address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(connection.address, left);
    else this.perAddress.delete(connection.address);
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

  /** @internal A connection the server closes: counted by reason and traced. */
  countDrop(code: string, connection?: RpcConnection): void {
    this.counters.dropped[code] = (this.counters.dropped[code] ?? 0) + 1;
    if (connection !== undefined) {
      this.trace?.emit(CaptureRpcEvent.connectionDropped, {
        connection: connection.id,
        address: connection.address,
        reason: code,
      });
    }
  }
}

/** The lookup key of a 20-byte context handle: attributes and GUID as hex. */
export function handleKey(handle: Uint8Array): string {
  let key = '';
  for (let i = 0; i < handle.length; i++)
    key += ((handle[i] as number) + 0x100).toString(16).slice(1);
  return key;
}
