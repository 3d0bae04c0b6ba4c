/**
 * The 802.1X authenticator as a link binding: EAPOL (EtherType 0x888E) to
 * the PAE group address or to the adapter, one `AuthenticatorSession` per
 * supplicant MAC, each driving the adapter's controlled port through its
 * public `PortControl` seam (`authorize`/`unauthorize`). With port control
 * `auto` the adapter's port is set `per-mac`, so a MAC reaches nothing but
 * EAPOL until its session is AUTHENTICATED.
 *
 * Bounded: at most `maxSupplicants` sessions (each with one timer). A new MAC
 * when the table is full evicts the oldest session that holds no
 * authorisation, preferring one that is not HELD (so a flood of EAPOL-Start
 * from random MACs churns among the flood and never touches an authorised
 * supplicant); when every session is authorised the newcomer is refused.
 * Both are counted (`evicted`, `dropped['table-full']`) and traced.
 * Untrusted frames never throw: bad ones are dropped by reason and traced.
 */
import { macNumber, type Adapter, type PortControl } from '../link/index.js';
import type { Clock, Crypto, Timer } from '../runtime/index.js';
import type { TraceRegistry } from '../trace/index.js';
import { EapolPacketType, formatMac, type EapolPdu } from '../wire/index.js';
import type { AuthenticatorBackend, BackendResult } from './backend.js';
import { AuthenticatorSession, type SessionHost } from './authenticator-session.js';
import {
  AUTHENTICATOR_DROP_REASONS,
  DEFAULT_AUTHENTICATOR_TIMERS,
  DEFAULT_MAX_SUPPLICANTS,
  checkTimers,
  type AuthenticatorDropReason,
  type AuthenticatorPaeState,
  type AuthenticatorTimers,
  type BackendState,
  type PortControlMode,
} from './authenticator-timers.js';
import { EapolEvent } from './events.js';
import type { FRAME_DROP_REASONS } from './port-binding.js';
import { PortBinding } from './port-binding.js';

export interface EapolAuthenticatorOptions {
  readonly adapter: Adapter;
  readonly clock: Clock;
  /** Who decides the EAP conversation: `LocalEapBackend`, or a RADIUS pass-through. */
  readonly backend: AuthenticatorBackend;
  /** Default `auto`. */
  readonly portControl?: PortControlMode;
  /**
   * The port the sessions drive; default the adapter's `controlledPort`
   * (whose mode this authenticator sets from `portControl`).
   */
  readonly port?: PortControl;
  readonly timers?: Partial<AuthenticatorTimers>;
  /** Default 256. */
  readonly maxSupplicants?: number;
  /** Random first Identifiers per session (RFC 3748 §4: unpredictable is better); default: 1 for each. */
  readonly crypto?: Crypto;
  readonly eapolVersion?: number;
  readonly name?: string;
  readonly trace?: TraceRegistry;
  /** Told when a supplicant's authentication ends, and how. */
  readonly onResult?: (event: AuthenticatorResultEvent) => void;
}

export interface AuthenticatorResultEvent {
  readonly mac: string;
  readonly identity: string;
  readonly result: BackendResult;
}

export interface SupplicantInfo {
  readonly mac: string;
  readonly pae: AuthenticatorPaeState;
  readonly backend: BackendState;
  readonly identity: string;
  readonly authorized: boolean;
}

export interface EapolAuthenticatorStats {
  readonly name: string;
  readonly portControl: PortControlMode;
  readonly received: number;
  readonly sent: number;
  /** Frames the adapter's controlled port or transmit refused. */
  readonly sendRefused: number;
  readonly starts: number;
  readonly logoffs: number;
  readonly eapPackets: number;
  /** EAPOL-Key frames (passed over: no keys on a wired port). */
  readonly keys: number;
  readonly asfAlerts: number;
  readonly supplicants: number;
  readonly maxSupplicants: number;
  readonly evicted: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly dropped: Readonly<
    Record<AuthenticatorDropReason | (typeof FRAME_DROP_REASONS)[number], number>
  >;
}

/** See the file comment. */
export class EapolAuthenticator {
  readonly name: string;
  private readonly binding: PortBinding<AuthenticatorDropReason>;
  private readonly sessions = new Map<number, AuthenticatorSession>();
  private readonly host: SessionHost;
  private readonly port: PortControl;
  private readonly maxSupplicants: number;
  private readonly portControl: PortControlMode;
  private readonly counters = {
    starts: 0,
    logoffs: 0,
    eapPackets: 0,
    keys: 0,
    asfAlerts: 0,
    evicted: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
  };
  private closed = false;

  constructor(private readonly options: EapolAuthenticatorOptions) {
    const timers = { ...DEFAULT_AUTHENTICATOR_TIMERS, ...options.timers };
    checkTimers(timers);
    const max = options.maxSupplicants ?? DEFAULT_MAX_SUPPLICANTS;
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`maxSupplicants must be an integer of 1 or more: got ${max}`);
    const portControl = options.portControl ?? 'auto';
    if (!['auto', 'force-authorized', 'force-unauthorized'].includes(portControl)) {
      throw new TypeError(
        `portControl is 'auto', 'force-authorized' or 'force-unauthorized': got ${String(portControl)}`,
      );
    }
    this.name = options.name ?? 'eapol-authenticator';
    this.maxSupplicants = max;
    this.portControl = portControl;
    this.port = options.port ?? options.adapter.controlledPort;
    if (options.port === undefined) {
      options.adapter.controlledPort.setMode(
        portControl === 'force-authorized' ? 'open' : 'per-mac',
      );
    }
    const clock = options.clock;
    this.host = {
      timers,
      portControl,
      setTimer: (delay, callback): Timer => clock.setTimer(delay, callback),
      sendEap: (session, eap) => this.binding.send(session.mac, EapolPacketType.EapPacket, eap),
      authorize: (session) => this.port.authorize(session.mac),
      unauthorize: (session) => void this.port.unauthorize(session.mac),
      beginBackend: (session, identity, callbacks) =>
        options.backend.begin(session, identity, callbacks),
      changed: (session, machine, from, to) => this.traceState(session, machine, from, to),
      ended: (session, result) => this.ended(session, result),
      drop: (session, reason, length) => this.binding.drop(reason, session.macText, length),
      remove: (session) => {
        if (this.sessions.get(session.key) === session) this.sessions.delete(session.key);
      },
    };
    this.binding = new PortBinding(
      'authenticator',
      options.adapter,
      {
        adapter: options.adapter,
        name: this.name,
        ...(options.trace === undefined ? {} : { trace: options.trace }),
        ...(options.eapolVersion === undefined ? {} : { eapolVersion: options.eapolVersion }),
      },
      AUTHENTICATOR_DROP_REASONS,
      (pdu, source, length) => this.received(pdu, source, length),
    );
  }

  /** The supplicants tracked now, oldest first. */
  supplicants(): SupplicantInfo[] {
    return [...this.sessions.values()].map((s) => ({
      mac: s.macText,
      pae: s.pae,
      backend: s.backend,
      identity: s.identity,
      authorized: s.authorized,
    }));
  }

  /** One supplicant's session, by MAC text (`aa:bb:…`), if tracked. */
  supplicant(mac: string): SupplicantInfo | undefined {
    return this.supplicants().find((s) => s.mac === mac.toLowerCase());
  }

  stats(): EapolAuthenticatorStats {
    return {
      name: this.name,
      portControl: this.portControl,
      received: this.binding.received,
      sent: this.binding.sent,
      sendRefused: this.binding.sendRefused,
      ...this.counters,
      supplicants: this.sessions.size,
      maxSupplicants: this.maxSupplicants,
      dropped: { ...this.binding.dropped },
    };
  }

  /** Unbinds, ends every session and withdraws its authorisation (the port mode is left as is: closed). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.binding.close();
    for (const session of [...this.sessions.values()]) session.close('authenticator closed');
    this.sessions.clear();
  }

  private received(pdu: EapolPdu, source: Uint8Array, length: number): void {
    if (this.closed) return;
    switch (pdu.kind) {
      case 'start': {
        this.counters.starts++;
        const session = this.sessions.get(macNumber(source, 0));
        if (session === undefined) this.open(source, length);
        else session.eapolStart(length);
        return;
      }
      case 'logoff': {
        this.counters.logoffs++;
        const session = this.sessions.get(macNumber(source, 0));
        if (session === undefined) this.binding.drop('logoff-unknown', source, length);
        else session.eapolLogoff(length);
        return;
      }
      case 'eap-packet': {
        this.counters.eapPackets++;
        const session = this.sessions.get(macNumber(source, 0));
        // Deliberate copy: the backend may keep it past this indication.
        if (session !== undefined) session.eap(pdu.eap.slice(), length);
        // An EAP packet from a MAC we do not know (we restarted, or it never sent Start): solicit it.
        else this.open(source, length);
        return;
      }
      case 'key':
        this.counters.keys++;
        return;
      case 'encapsulated-asf-alert':
        this.counters.asfAlerts++;
        return;
      case 'other':
        this.binding.drop('unsupported-type', source, length);
        return;
    }
  }

  /** A session for a new MAC, making room if the table is full. */
  private open(source: Uint8Array, length: number): void {
    if (this.sessions.size >= this.maxSupplicants && !this.evictOne()) {
      this.binding.drop('table-full', source, length);
      return;
    }
    const mac = source.slice();
    const first =
      this.options.crypto === undefined ? 1 : (this.options.crypto.randomBytes(1)[0] ?? 1);
    const session = new AuthenticatorSession(
      this.host,
      mac,
      macNumber(mac, 0),
      formatMac(mac),
      first,
    );
    this.sessions.set(session.key, session);
    session.begin();
  }

  private evictOne(): boolean {
    let victim: AuthenticatorSession | undefined;
    for (const session of this.sessions.values()) {
      if (session.authorized) continue;
      if (session.pae !== 'HELD') {
        victim = session;
        break;
      }
      victim ??= session;
    }
    if (victim === undefined) return false;
    this.counters.evicted++;
    const event = EapolEvent.supplicantEvicted;
    const provider = this.binding.provider;
    if (provider?.isEnabled(event.level, event.keywords) === true)
      provider.emit(event, { mac: victim.macText, state: victim.pae });
    victim.close('evicted');
    this.sessions.delete(victim.key);
    return true;
  }

  private ended(session: AuthenticatorSession, result: BackendResult): void {
    if (result.outcome === 'success') this.counters.succeeded++;
    else if (result.outcome === 'timeout') this.counters.timedOut++;
    else this.counters.failed++;
    const provider = this.binding.provider;
    const event = EapolEvent.authenticationEnded;
    if (provider?.isEnabled(event.level, event.keywords) === true) {
      provider.emit(event, {
        role: 'authenticator',
        mac: session.macText,
        outcome: result.outcome,
        identity: session.identity,
        reason: result.reason,
      });
    }
    this.options.onResult?.({ mac: session.macText, identity: session.identity, result });
  }

  private traceState(
    session: AuthenticatorSession,
    machine: string,
    from: string,
    to: string,
  ): void {
    const provider = this.binding.provider;
    const event = EapolEvent.stateChanged;
    if (provider?.isEnabled(event.level, event.keywords) !== true) return;
    provider.emit(event, { role: 'authenticator', mac: session.macText, machine, from, to });
  }
}
