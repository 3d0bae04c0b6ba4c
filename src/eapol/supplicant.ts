/**
 * The 802.1X supplicant as a link binding (802.1X-2004 §8.2.11, the
 * supplicant PAE): it sends EAPOL-Start to the PAE group address, answers
 * the authenticator's EAP Requests with netrx/eap's peer (a fresh `EapPeer`
 * per authentication, so a reauthentication starts clean), and follows
 * Success and Failure.
 *
 * - CONNECTING: EAPOL-Start every startPeriod, maxStart times. No answer is
 *   a decision netrx makes (docs/seeds.md): 802.1X-2004 then assumes no
 *   authenticator and counts the port as authorised; netrx reports
 *   `no-authenticator` and is HELD for heldPeriod, then starts again, so a
 *   caller that waits for `authenticated` is never told a lie.
 * - AUTHENTICATING: a Request (a Request/Identity from AUTHENTICATED or HELD:
 *   the authenticator reauthenticating) opens a new peer; authPeriod without
 *   a Request gives up to CONNECTING. Requests from another authenticator
 *   than the one this authentication began with are dropped.
 * - AUTHENTICATED on the peer's success, HELD for heldPeriod on its failure.
 *   A canned Success or Failure (an authenticator with forced port control)
 *   in CONNECTING is followed too.
 * - LOGOFF after `logoff()`: EAPOL-Logoff sent, nothing more until `start()`.
 * Frames go to the PAE group address, as wpa_supplicant's wired driver
 * sends them. Bad frames are dropped by reason, counted and traced.
 */
import { EapPeer, type EapMethod, type EapPeerStats, type EapSessionResult } from '../eap/index.js';
import type { Adapter } from '../link/index.js';
import type { Clock, Timer } from '../runtime/index.js';
import type { TraceRegistry } from '../trace/index.js';
import { EapCode, EapType, EapolPacketType, formatMac, type EapolPdu } from '../wire/index.js';
import { EapolEvent } from './events.js';
import type { FRAME_DROP_REASONS } from './port-binding.js';
import { PAE_GROUP, PortBinding, sameMac } from './port-binding.js';

/** Supplicant PAE states (802.1X-2004 Figure 8-17, without the forced ones: a netrx supplicant always authenticates). */
export type SupplicantPaeState =
  | 'DISCONNECTED'
  | 'LOGOFF'
  | 'CONNECTING'
  | 'RESTART'
  | 'AUTHENTICATING'
  | 'AUTHENTICATED'
  | 'HELD';

export interface SupplicantTimers {
  /** Between EAPOL-Starts; default 30 000 ms. */
  readonly startPeriodMs: number;
  /** EAPOL-Starts before giving up for heldPeriod; default 3. */
  readonly maxStart: number;
  /** HELD after a failure (or no answer); default 60 000 ms. */
  readonly heldPeriodMs: number;
  /** AUTHENTICATING gives up after this long without a Request; default 30 000 ms. */
  readonly authPeriodMs: number;
}

export const DEFAULT_SUPPLICANT_TIMERS: SupplicantTimers = {
  startPeriodMs: 30_000,
  maxStart: 3,
  heldPeriodMs: 60_000,
  authPeriodMs: 30_000,
};

export const SUPPLICANT_DROP_REASONS = [
  'not-a-request',
  'unexpected-eap',
  'other-authenticator',
  'not-started',
] as const;
export type SupplicantDropReason = (typeof SUPPLICANT_DROP_REASONS)[number];

export type SupplicantOutcome = 'success' | 'failure' | 'timeout' | 'no-authenticator';

export interface SupplicantResultEvent {
  readonly outcome: SupplicantOutcome;
  readonly reason: string;
  /** The authenticator's MAC, when one answered. */
  readonly authenticator: string | undefined;
  /** The EAP peer's result, when a conversation ran. */
  readonly eap: EapSessionResult | undefined;
}

export interface EapolSupplicantOptions {
  readonly adapter: Adapter;
  readonly clock: Clock;
  /** Peer methods, most preferred first (netrx/eap's `createMd5Method`, …). */
  readonly methods: readonly EapMethod[];
  readonly identity: string;
  readonly password?: string;
  readonly timers?: Partial<SupplicantTimers>;
  readonly eapolVersion?: number;
  readonly name?: string;
  readonly trace?: TraceRegistry;
  /** Told each time an authentication ends. */
  readonly onResult?: (event: SupplicantResultEvent) => void;
}

export interface EapolSupplicantStats {
  readonly name: string;
  readonly state: SupplicantPaeState;
  readonly received: number;
  readonly sent: number;
  readonly sendRefused: number;
  readonly starts: number;
  readonly eapPackets: number;
  readonly keys: number;
  readonly succeeded: number;
  readonly failed: number;
  /** The current (or last) EAP peer's counters, once an authentication began. */
  readonly eap: EapPeerStats | undefined;
  readonly dropped: Readonly<
    Record<SupplicantDropReason | (typeof FRAME_DROP_REASONS)[number], number>
  >;
}

/** See the file comment. */
export class EapolSupplicant {
  readonly name: string;
  private readonly binding: PortBinding<SupplicantDropReason>;
  private readonly timers: SupplicantTimers;
  private currentState: SupplicantPaeState = 'DISCONNECTED';
  private peer: EapPeer | undefined;
  private lastPeer: EapPeer | undefined;
  private authenticatorMac: Uint8Array | undefined;
  private timer: Timer | undefined;
  private startCount = 0;
  private closed = false;
  private readonly counters = { starts: 0, eapPackets: 0, keys: 0, succeeded: 0, failed: 0 };

  constructor(private readonly options: EapolSupplicantOptions) {
    const timers = { ...DEFAULT_SUPPLICANT_TIMERS, ...options.timers };
    for (const key of ['startPeriodMs', 'heldPeriodMs', 'authPeriodMs'] as const) {
      if (!(timers[key] > 0)) throw new RangeError(`${key} must be above 0: got ${timers[key]}`);
    }
    if (!Number.isInteger(timers.maxStart) || timers.maxStart < 1)
      throw new RangeError(`maxStart must be an integer of 1 or more: got ${timers.maxStart}`);
    this.timers = timers;
    this.name = options.name ?? 'eapol-supplicant';
    this.binding = new PortBinding(
      'supplicant',
      options.adapter,
      {
        adapter: options.adapter,
        name: this.name,
        ...(options.trace === undefined ? {} : { trace: options.trace }),
        ...(options.eapolVersion === undefined ? {} : { eapolVersion: options.eapolVersion }),
      },
      SUPPLICANT_DROP_REASONS,
      (pdu, source, length) => this.received(pdu, source, length),
    );
  }

  get state(): SupplicantPaeState {
    return this.currentState;
  }

  get authenticated(): boolean {
    return this.currentState === 'AUTHENTICATED';
  }

  /** The authenticator's MAC, once one has sent a Request. */
  get authenticator(): string | undefined {
    return this.authenticatorMac === undefined ? undefined : formatMac(this.authenticatorMac);
  }

  /** Starts authenticating (CONNECTING: EAPOL-Start). Does nothing while already started. */
  start(): void {
    if (this.closed) throw new TypeError('EapolSupplicant.start: the supplicant is closed');
    if (this.currentState !== 'DISCONNECTED' && this.currentState !== 'LOGOFF') return;
    this.connecting();
  }

  /** Sends EAPOL-Logoff and stops (LOGOFF) until `start()`. */
  logoff(): void {
    if (this.closed || this.currentState === 'DISCONNECTED' || this.currentState === 'LOGOFF')
      return;
    this.endPeer('logoff');
    this.cancelTimer();
    this.binding.send(PAE_GROUP, EapolPacketType.Logoff, new Uint8Array(0));
    this.setState('LOGOFF');
  }

  stats(): EapolSupplicantStats {
    return {
      name: this.name,
      state: this.currentState,
      received: this.binding.received,
      sent: this.binding.sent,
      sendRefused: this.binding.sendRefused,
      ...this.counters,
      eap: (this.peer ?? this.lastPeer)?.stats(),
      dropped: { ...this.binding.dropped },
    };
  }

  /** Unbinds and stops, sending nothing. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.endPeer('closed');
    this.cancelTimer();
    this.binding.close();
    this.setState('DISCONNECTED');
  }

  private received(pdu: EapolPdu, source: Uint8Array, length: number): void {
    if (this.closed) return;
    if (pdu.kind === 'key') {
      this.counters.keys++;
      return;
    }
    if (pdu.kind !== 'eap-packet') {
      // Start, Logoff and the rest are for authenticators (another supplicant on the segment).
      this.binding.drop('unsupported-type', source, length);
      return;
    }
    this.counters.eapPackets++;
    const state = this.currentState;
    if (state === 'DISCONNECTED' || state === 'LOGOFF') {
      this.binding.drop('not-started', source, length);
      return;
    }
    // Deliberate copy: a method may keep part of a Request past this indication.
    const eap = pdu.eap.slice();
    const code = eap[0];
    if (code === EapCode.Response) {
      this.binding.drop('not-a-request', source, length);
      return;
    }
    const live = state === 'AUTHENTICATING' && this.peer?.result === undefined;
    if (live) {
      if (this.authenticatorMac !== undefined && !sameMac(source, this.authenticatorMac)) {
        this.binding.drop('other-authenticator', source, length);
        return;
      }
      if (code === EapCode.Request) this.armAuthWhile();
      (this.peer as EapPeer).receive(eap);
      return;
    }
    if (code === EapCode.Request) {
      const identity = eap.length >= 5 && eap[4] === EapType.Identity;
      if (state === 'CONNECTING' || identity) {
        this.restart(source);
        (this.peer as EapPeer).receive(eap);
        return;
      }
    } else if (state === 'CONNECTING') {
      // A canned Success or Failure (802.1X-2004 FORCE_AUTH / FORCE_UNAUTH).
      if (code === EapCode.Success) this.authenticatedBy(source, 'canned EAP-Success', undefined);
      else this.heldAfter('failure', 'canned EAP-Failure', source, undefined);
      return;
    }
    this.binding.drop('unexpected-eap', source, length);
  }

  private connecting(): void {
    this.endPeer('connecting');
    this.setState('CONNECTING');
    this.startCount = 0;
    this.sendStart();
  }

  private sendStart(): void {
    this.startCount++;
    this.counters.starts++;
    this.arm(this.timers.startPeriodMs, () => {
      if (this.startCount >= this.timers.maxStart) {
        this.heldAfter(
          'no-authenticator',
          `no answer to ${this.startCount} EAPOL-Start`,
          undefined,
          undefined,
        );
      } else {
        this.sendStart();
      }
    });
    this.binding.send(PAE_GROUP, EapolPacketType.Start, new Uint8Array(0));
  }

  private restart(source: Uint8Array): void {
    this.setState('RESTART');
    this.endPeer('restart');
    this.authenticatorMac = source.slice();
    this.setState('AUTHENTICATING');
    this.armAuthWhile();
    const peer: EapPeer = new EapPeer({
      methods: this.options.methods,
      identity: this.options.identity,
      ...(this.options.password === undefined ? {} : { password: this.options.password }),
      ...(this.options.trace === undefined ? {} : { trace: this.options.trace }),
      send: (packet) => this.binding.send(PAE_GROUP, EapolPacketType.EapPacket, packet),
      onResult: (result) => {
        if (this.peer !== peer || this.currentState !== 'AUTHENTICATING') return;
        const from = this.authenticatorMac ?? source;
        if (result.outcome === 'success') this.authenticatedBy(from, result.reason, result);
        else this.heldAfter('failure', result.reason, from, result);
      },
    });
    this.peer = peer;
  }

  private authenticatedBy(
    source: Uint8Array,
    reason: string,
    eap: EapSessionResult | undefined,
  ): void {
    this.cancelTimer();
    this.setState('AUTHENTICATED');
    this.counters.succeeded++;
    this.report({ outcome: 'success', reason, authenticator: formatMac(source), eap });
  }

  private heldAfter(
    outcome: SupplicantOutcome,
    reason: string,
    source: Uint8Array | undefined,
    eap: EapSessionResult | undefined,
  ): void {
    this.endPeer('held');
    this.setState('HELD');
    if (outcome === 'failure') this.counters.failed++;
    this.arm(this.timers.heldPeriodMs, () => this.connecting());
    this.report({
      outcome,
      reason,
      authenticator: source === undefined ? undefined : formatMac(source),
      eap,
    });
  }

  private armAuthWhile(): void {
    this.arm(this.timers.authPeriodMs, () => {
      this.report({
        outcome: 'timeout',
        reason: `no Request for ${this.timers.authPeriodMs} ms`,
        authenticator: this.authenticator,
        eap: undefined,
      });
      this.connecting();
    });
  }

  private endPeer(reason: string): void {
    const peer = this.peer;
    this.peer = undefined;
    if (peer !== undefined) this.lastPeer = peer;
    if (peer !== undefined && peer.result === undefined) peer.abort(reason);
  }

  private report(event: SupplicantResultEvent): void {
    const provider = this.binding.provider;
    const descriptor = EapolEvent.authenticationEnded;
    if (provider?.isEnabled(descriptor.level, descriptor.keywords) === true) {
      provider.emit(descriptor, {
        role: 'supplicant',
        mac: formatMac(this.options.adapter.mac),
        outcome: event.outcome,
        identity: this.options.identity,
        reason: event.reason,
      });
    }
    this.options.onResult?.(event);
  }

  private arm(delayMs: number, callback: () => void): void {
    this.cancelTimer();
    this.timer = this.options.clock.setTimer(delayMs, () => {
      this.timer = undefined;
      if (!this.closed) callback();
    });
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private setState(to: SupplicantPaeState): void {
    const from = this.currentState;
    if (from === to) return;
    this.currentState = to;
    const provider = this.binding.provider;
    const event = EapolEvent.stateChanged;
    if (provider?.isEnabled(event.level, event.keywords) !== true) return;
    provider.emit(event, {
      role: 'supplicant',
      mac: formatMac(this.options.adapter.mac),
      machine: 'supplicant',
      from,
      to,
    });
  }
}
