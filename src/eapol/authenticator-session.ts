/**
 * One supplicant's authenticator PAE and backend state (802.1X-2004 §8.2.4,
 * §8.2.9, with the per-MAC reading of a shared medium, §6.4): the machine
 * that turns EAPOL-Start, EAPOL-Logoff, the Request/Identity exchange, the
 * backend's end and the timers into port authorised or unauthorised.
 *
 * - INITIALIZE, DISCONNECTED, RESTART, CONNECTING: a new supplicant. CONNECTING
 *   sends Request/Identity (a new Identifier each entry) and waits txPeriod;
 *   each entry counts (reAuthCount), and past reAuthMax the session ends
 *   DISCONNECTED. A Start in CONNECTING resends the Request at once.
 * - AUTHENTICATING: the Response/Identity opened a backend conversation; its
 *   Requests and Responses pass through. A Start or a backend timeout aborts
 *   (ABORTING, then RESTART); a Logoff aborts and ends; success authorises.
 * - AUTHENTICATED: the port is authorised. The reauthentication timer
 *   (reAuthPeriod, or the backend's Session-Timeout) and a Start RESTART
 *   with the port left authorised (802.1X-2004 keeps it so while
 *   reauthenticating); only a failure, a Logoff or giving up unauthorises.
 * - HELD: after a failure, unauthorised for quietPeriod, Starts ignored
 *   (counted `held`); then RESTART.
 * - FORCE_AUTH, FORCE_UNAUTH: port control forced; a Start gets a canned
 *   Success or Failure.
 * DISCONNECTED reached from a running session ends it: the entry leaves the
 * table (a per-port authenticator would restart; a per-MAC one forgets a
 * supplicant that left, which bounds the table by what is talking).
 */
import { AuthAttributeType, type AuthAttribute } from '../eap/index.js';
import type { Timer } from '../runtime/index.js';
import { EapCode, EapType } from '../wire/index.js';
import type { BackendConversation, BackendResult, BackendSupplicant } from './backend.js';
import type {
  AuthenticatorDropReason,
  AuthenticatorPaeState,
  AuthenticatorTimers,
  BackendState,
  PortControlMode,
} from './authenticator-timers.js';

/** @internal What a session needs from its authenticator. */
export interface SessionHost {
  readonly timers: AuthenticatorTimers;
  readonly portControl: PortControlMode;
  setTimer(delayMs: number, callback: () => void): Timer;
  sendEap(session: AuthenticatorSession, eap: Uint8Array): void;
  authorize(session: AuthenticatorSession): boolean;
  unauthorize(session: AuthenticatorSession): void;
  beginBackend(
    session: AuthenticatorSession,
    identityResponse: Uint8Array,
    callbacks: { send(eap: Uint8Array): void; finished(result: BackendResult): void },
  ): BackendConversation;
  changed(
    session: AuthenticatorSession,
    machine: 'pae' | 'backend',
    from: string,
    to: string,
  ): void;
  ended(session: AuthenticatorSession, result: BackendResult): void;
  drop(session: AuthenticatorSession, reason: AuthenticatorDropReason, length: number): void;
  remove(session: AuthenticatorSession): void;
}

const decoder = new TextDecoder();

/** @internal */
export class AuthenticatorSession implements BackendSupplicant {
  readonly macText: string;
  pae: AuthenticatorPaeState = 'INITIALIZE';
  backend: BackendState = 'INITIALIZE';
  identity = '';
  /** The port is authorised for this MAC by this session. */
  authorized = false;
  reAuthCount = 0;
  private timer: Timer | undefined;
  private conversation: BackendConversation | undefined;
  /** Bumped whenever a conversation is opened or given up: late callbacks of an old one are ignored. */
  private generation = 0;
  /** The Identifier of the outstanding Request/Identity, and the last one sent by anybody. */
  private identityId = 0;
  private lastId: number;
  private identityRequest: Uint8Array | undefined;
  private closed = false;

  constructor(
    private readonly host: SessionHost,
    readonly mac: Uint8Array,
    readonly key: number,
    macText: string,
    firstIdentifier: number,
  ) {
    this.macText = macText;
    this.lastId = (firstIdentifier - 1) & 0xff;
  }

  /** Starts the machine: from INITIALIZE to CONNECTING, or to the forced state. */
  begin(): void {
    this.setBackend('IDLE');
    if (this.host.portControl === 'force-authorized') return this.enterForce('FORCE_AUTH');
    if (this.host.portControl === 'force-unauthorized') return this.enterForce('FORCE_UNAUTH');
    this.setPae('DISCONNECTED');
    this.reAuthCount = 0;
    this.restart();
  }

  eapolStart(length: number): void {
    switch (this.pae) {
      case 'CONNECTING':
        this.resendIdentity();
        return;
      case 'AUTHENTICATING':
        this.abortTo('restart', 'EAPOL-Start while authenticating');
        return;
      case 'AUTHENTICATED':
        this.restart();
        return;
      case 'HELD':
        this.host.drop(this, 'held', length);
        return;
      case 'FORCE_AUTH':
      case 'FORCE_UNAUTH':
        this.sendCanned();
        return;
      default:
        this.restart();
    }
  }

  eapolLogoff(length: number): void {
    switch (this.pae) {
      case 'HELD':
        // Logging off must not shorten the quiet period.
        this.host.drop(this, 'held', length);
        return;
      case 'FORCE_AUTH':
      case 'FORCE_UNAUTH':
        return;
      case 'AUTHENTICATING':
        this.abortTo('disconnect', 'EAPOL-Logoff');
        return;
      default:
        this.disconnect();
    }
  }

  /** An EAP packet from the supplicant, a copy the session may hand on. */
  eap(packet: Uint8Array, length: number): void {
    const code = packet[0];
    if (this.pae === 'HELD') {
      this.host.drop(this, 'held', length);
      return;
    }
    if (code !== EapCode.Response) {
      this.host.drop(this, 'not-a-response', length);
      return;
    }
    if (this.pae === 'CONNECTING') {
      if (packet[1] !== this.identityId || packet.length < 5 || packet[4] !== EapType.Identity) {
        this.host.drop(this, 'unexpected-eap', length);
        return;
      }
      this.identity = decoder.decode(packet.subarray(5));
      this.authenticate(packet);
      return;
    }
    if (this.pae === 'AUTHENTICATING' && this.conversation !== undefined) {
      this.setBackend('RESPONSE');
      this.conversation.receive(packet);
      return;
    }
    this.host.drop(this, 'unexpected-eap', length);
  }

  /** Ends the session from outside (eviction, the authenticator closing): unauthorised, nothing sent. */
  close(reason: string): void {
    if (this.closed) return;
    this.abortConversation(reason);
    this.cancelTimer();
    if (this.authorized) {
      this.authorized = false;
      this.host.unauthorize(this);
    }
    this.closed = true;
  }

  private restart(): void {
    this.setPae('RESTART');
    this.abortConversation('restart');
    this.connecting();
  }

  /** CONNECTING: counts the attempt, sends a fresh Request/Identity and waits txPeriod. */
  private connecting(): void {
    this.setPae('CONNECTING');
    this.reAuthCount++;
    if (this.reAuthCount > this.host.timers.reAuthMax) {
      this.disconnect();
      return;
    }
    this.identityId = (this.lastId + 1) & 0xff;
    this.lastId = this.identityId;
    // Request/Identity with no text: RFC 3748 §5.1 allows a displayable message, none is needed.
    this.identityRequest = Uint8Array.of(EapCode.Request, this.identityId, 0, 5, EapType.Identity);
    this.arm(this.host.timers.txPeriodMs, () => this.connecting());
    this.host.sendEap(this, this.identityRequest);
  }

  private resendIdentity(): void {
    if (this.identityRequest === undefined) return;
    this.host.sendEap(this, this.identityRequest);
  }

  private authenticate(identityResponse: Uint8Array): void {
    this.setPae('AUTHENTICATING');
    this.identityRequest = undefined;
    this.arm(this.host.timers.authTimeoutMs, () =>
      this.abortTo('restart', 'the backend did not finish in time'),
    );
    const generation = ++this.generation;
    const live = () => generation === this.generation && !this.closed;
    this.setBackend('RESPONSE');
    const conversation = this.host.beginBackend(this, identityResponse, {
      send: (eap) => {
        if (!live()) return;
        const identifier = eap[1];
        if (identifier !== undefined) this.lastId = identifier;
        if (eap[0] === EapCode.Request) this.setBackend('REQUEST');
        this.host.sendEap(this, eap);
      },
      finished: (result) => {
        if (!live()) return;
        this.generation++;
        this.conversation = undefined;
        this.finished(result);
      },
    });
    if (live()) this.conversation = conversation;
  }

  private finished(result: BackendResult): void {
    this.host.ended(this, result);
    switch (result.outcome) {
      case 'success':
        this.setBackend('SUCCESS');
        this.setBackend('IDLE');
        this.authenticated(result.attributes);
        return;
      case 'timeout':
        this.setBackend('TIMEOUT');
        this.setBackend('IDLE');
        this.setPae('ABORTING');
        this.restart();
        return;
      default:
        this.setBackend('FAIL');
        this.setBackend('IDLE');
        this.held();
    }
  }

  private authenticated(attributes: readonly AuthAttribute[]): void {
    this.setPae('AUTHENTICATED');
    this.reAuthCount = 0;
    if (!this.authorized) {
      if (!this.host.authorize(this)) {
        // The port's table is full: the supplicant heard Success but gets nothing; it retries after HELD.
        this.held();
        return;
      }
      this.authorized = true;
    }
    const period = sessionTimeoutMs(attributes) ?? this.host.timers.reAuthPeriodMs;
    if (period > 0) this.arm(period, () => this.restart());
    else this.cancelTimer();
  }

  private held(): void {
    this.setPae('HELD');
    this.abortConversation('held');
    if (this.authorized) {
      this.authorized = false;
      this.host.unauthorize(this);
    }
    this.arm(this.host.timers.quietPeriodMs, () => this.restart());
  }

  /** ABORTING, then RESTART or the end. */
  private abortTo(next: 'restart' | 'disconnect', reason: string): void {
    this.setPae('ABORTING');
    this.abortConversation(reason);
    if (next === 'restart') this.restart();
    else this.disconnect();
  }

  /** DISCONNECTED from a running session: unauthorised, and the entry leaves the table. */
  private disconnect(): void {
    this.setPae('DISCONNECTED');
    this.close('disconnected');
    this.host.remove(this);
  }

  private enterForce(state: 'FORCE_AUTH' | 'FORCE_UNAUTH'): void {
    this.setPae(state);
    this.sendCanned();
  }

  /** 802.1X-2004 txCannedSuccess / txCannedFail. */
  private sendCanned(): void {
    this.lastId = (this.lastId + 1) & 0xff;
    const code = this.pae === 'FORCE_AUTH' ? EapCode.Success : EapCode.Failure;
    this.host.sendEap(this, Uint8Array.of(code, this.lastId, 0, 4));
  }

  private abortConversation(reason: string): void {
    const conversation = this.conversation;
    this.generation++;
    this.conversation = undefined;
    if (conversation === undefined) return;
    this.setBackend('IDLE');
    conversation.abort(reason);
  }

  private arm(delayMs: number, callback: () => void): void {
    this.cancelTimer();
    this.timer = this.host.setTimer(delayMs, () => {
      this.timer = undefined;
      if (!this.closed) callback();
    });
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private setPae(to: AuthenticatorPaeState): void {
    const from = this.pae;
    this.pae = to;
    this.host.changed(this, 'pae', from, to);
  }

  private setBackend(to: BackendState): void {
    const from = this.backend;
    if (from === to) return;
    this.backend = to;
    this.host.changed(this, 'backend', from, to);
  }
}

/** A Session-Timeout (RFC 2865 §5.27, RFC 3580 §3.17) in the backend's attributes, in ms. */
function sessionTimeoutMs(attributes: readonly AuthAttribute[]): number | undefined {
  const attribute = attributes.find((a) => a.type === AuthAttributeType.SessionTimeout);
  if (attribute === undefined || attribute.value.length !== 4) return undefined;
  const v = attribute.value;
  const seconds =
    (v[0] as number) * 0x1000000 +
    (((v[1] as number) << 16) | ((v[2] as number) << 8) | (v[3] as number));
  return seconds > 0 ? seconds * 1000 : undefined;
}
