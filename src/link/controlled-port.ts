/**
 * The controlled port of IEEE 802.1X, per adapter and per (MAC, VLAN)
 * (802.1X-2020 §6.3 and §7: the uncontrolled port carries EAPOL, the
 * controlled port carries everything else once the supplicant is
 * authorised). An authenticator sets the adapter's port to `per-mac` and
 * authorises each supplicant's MAC on the segment it authenticated on
 * (untagged, or one VLAN, as link-header.ts decides a frame's segment) when
 * its EAP conversation succeeds. An authorisation holds for that segment
 * only: a supplicant authorised untagged is not thereby let into VLAN 10 on
 * a trunk (the same MAC may be a different station, or the same station
 * reaching a VLAN it never authenticated for). Until then, a frame from that
 * MAC on that segment reaches the bindings only if it is EAPOL (EtherType 0x888E)
 * sent to the PAE group address 01:80:c2:00:00:03 or to the adapter's own
 * MAC. Every other frame from it is dropped before any binding, counted
 * (`AdapterStats.dropped.unauthorized`), traced (`FrameDropped`) and still
 * shown to the capture taps with reason `unauthorized`.
 *
 * Directions (802.1X's AdminControlledDirections): `both` (the default)
 * also keeps the adapter from sending anything but EAPOL to an unauthorised
 * unicast MAC (counted in `AdapterStats.sendDropped.unauthorized`, shown to
 * transmit taps); `in` gates received frames only. Group-addressed frames
 * are always sent: on a shared segment they reach authorised and
 * unauthorised stations alike, and the authorised ones need them (ARP, ND).
 *
 * The EtherType and group address are netrx/wire's `EAPOL_ETHERTYPE`,
 * `PAE_GROUP_ADDRESS` and `isPaeGroupAddress`. The EAPOL authenticator
 * drives the port through `PortControl`, the narrow seam it needs:
 * `authorize`/`unauthorize`/`isAuthorized`. The table of
 * authorised MACs is bounded (`maxAuthorized`, default 1024); an
 * authorisation beyond it is refused (returns false), counted and traced.
 * Each change is traced as `ControlledPortChanged`.
 */
import type { TraceProvider } from '../trace/index.js';
import { EAPOL_ETHERTYPE, formatMac, isPaeGroupAddress } from '../wire/index.js';
import { LinkEvent } from './events.js';
import { checkVlan, UNTAGGED } from './link-header.js';

/** `open`: no gating (the default). `per-mac`: only authorised MACs get past EAPOL. */
export type ControlledPortMode = 'open' | 'per-mac';
/** Which directions the port controls (802.1X AdminControlledDirections). */
export type ControlledDirections = 'both' | 'in';

export interface ControlledPortOptions {
  /** Default `open`. */
  readonly mode?: ControlledPortMode;
  /** Default `both`. */
  readonly directions?: ControlledDirections;
  /** Authorised MACs the table holds at most. Default 1024. */
  readonly maxAuthorized?: number;
}

export interface ControlledPortStats {
  readonly mode: ControlledPortMode;
  readonly directions: ControlledDirections;
  /** MACs authorised now. */
  readonly authorized: number;
  readonly maxAuthorized: number;
  /** Authorisations made and withdrawn since the adapter started. */
  readonly authorizations: number;
  readonly unauthorizations: number;
  /** Authorisations refused because the table was full. */
  readonly refused: number;
}

/**
 * What an 802.1X authenticator (the EAPOL binding) drives: one supplicant
 * MAC on one segment at a time. `vlan` is the VLAN id (1..4094) or absent
 * for untagged traffic.
 */
export interface PortControl {
  /** Lets everything from and to `mac` on `vlan` through. False if the table is full (counted). */
  authorize(mac: Uint8Array, vlan?: number): boolean;
  /** Back to EAPOL only; false if `mac` was not authorised on `vlan`. */
  unauthorize(mac: Uint8Array, vlan?: number): boolean;
  isAuthorized(mac: Uint8Array, vlan?: number): boolean;
}

export const DEFAULT_MAX_AUTHORIZED = 1024;

/**
 * One adapter's controlled port (`Adapter.controlledPort`). The lookups run
 * for every frame while the port is `per-mac`, so a (MAC, VLAN) pair (48 +
 * 12 bits) is kept as two 30-bit halves, small integers V8 never boxes (a
 * 48-bit number would be a heap number per lookup): a map from the high half
 * (the MAC's first 30 bits) to the set of low halves (its last 18 bits and
 * the VLAN code: 0 untagged, else the id). Nothing on the reject path allocates.
 */
export class ControlledPort implements PortControl {
  private modeValue: ControlledPortMode;
  /** @internal True while `per-mac`: the one branch the adapter pays per frame when the port is open. */
  gatesReceive: boolean;
  /** @internal True while `per-mac` and `both`. */
  gatesSend: boolean;
  readonly directions: ControlledDirections;
  readonly maxAuthorized: number;
  private readonly table = new Map<number, Set<number>>();
  private size = 0;
  private authorizations = 0;
  private unauthorizations = 0;
  private refused = 0;

  /** @internal made by the Adapter */
  constructor(
    private readonly adapterName: string,
    private readonly trace: TraceProvider | undefined,
    options: ControlledPortOptions = {},
  ) {
    const max = options.maxAuthorized ?? DEFAULT_MAX_AUTHORIZED;
    if (!Number.isInteger(max) || max < 0) {
      throw new RangeError(`maxAuthorized must be an integer >= 0: got ${max}`);
    }
    this.maxAuthorized = max;
    this.directions = options.directions ?? 'both';
    if (this.directions !== 'both' && this.directions !== 'in') {
      throw new TypeError(
        `Controlled directions are 'both' or 'in': got ${String(this.directions)}`,
      );
    }
    this.modeValue = 'open';
    this.gatesReceive = false;
    this.gatesSend = false;
    this.applyMode(options.mode ?? 'open');
  }

  get mode(): ControlledPortMode {
    return this.modeValue;
  }

  /** Switches gating on (`per-mac`) or off (`open`); the table is kept either way. */
  setMode(mode: ControlledPortMode): void {
    if (mode === this.modeValue) return;
    this.applyMode(mode);
    this.traceChange(`mode ${mode}`, '');
  }

  authorize(mac: Uint8Array, vlan?: number): boolean {
    checkIndividual(mac);
    const code = vlanCode(vlan);
    const high = highHalf(mac, 0);
    const low = lowHalf(mac, 0, code);
    let lows = this.table.get(high);
    if (lows?.has(low) === true) return true;
    if (this.size >= this.maxAuthorized) {
      this.refused++;
      this.traceChange('refused', mac, code);
      return false;
    }
    if (lows === undefined) this.table.set(high, (lows = new Set()));
    lows.add(low);
    this.size++;
    this.authorizations++;
    this.traceChange('authorized', mac, code);
    return true;
  }

  unauthorize(mac: Uint8Array, vlan?: number): boolean {
    checkIndividual(mac);
    const code = vlanCode(vlan);
    const high = highHalf(mac, 0);
    const lows = this.table.get(high);
    if (lows === undefined || !lows.delete(lowHalf(mac, 0, code))) return false;
    if (lows.size === 0) this.table.delete(high);
    this.size--;
    this.unauthorizations++;
    this.traceChange('unauthorized', mac, code);
    return true;
  }

  /** Withdraws every authorisation (link down, authenticator stopped); traced once per (MAC, VLAN). */
  unauthorizeAll(): void {
    for (const [high, lows] of [...this.table]) {
      for (const low of [...lows]) {
        const code = low & 0xfff;
        this.unauthorize(macOfHalves(high, low), code === 0 ? undefined : code);
      }
    }
  }

  isAuthorized(mac: Uint8Array, vlan?: number): boolean {
    if (mac.length !== 6) return false;
    return this.authorizedAt(mac, 0, vlanCode(vlan));
  }

  stats(): ControlledPortStats {
    return {
      mode: this.modeValue,
      directions: this.directions,
      authorized: this.size,
      maxAuthorized: this.maxAuthorized,
      authorizations: this.authorizations,
      unauthorizations: this.unauthorizations,
      refused: this.refused,
    };
  }

  /**
   * @internal Whether a received frame may reach the bindings (called only
   * while `gatesReceive`): from a source authorised on the frame's
   * `segment` (link-header.ts), or EAPOL to the PAE group address or to us.
   * `directed` is the adapter's own classification.
   */
  admitsReceived(
    frame: Uint8Array,
    etherType: number,
    directed: boolean,
    segment: number,
  ): boolean {
    if (etherType === EAPOL_ETHERTYPE && (directed || isPaeGroupAddress(frame, 0))) return true;
    return this.authorizedAt(frame, 6, segmentCode(segment));
  }

  /** @internal Whether a frame may be sent (called only while `gatesSend`). */
  admitsSent(frame: Uint8Array): boolean {
    if (frame.length < 14) return true; // not a frame the port can judge; the wire will drop it
    if (((frame[0] as number) & 1) !== 0) return true; // group-addressed: see the module comment
    if (innerEtherType(frame) === EAPOL_ETHERTYPE) return true;
    return this.authorizedAt(frame, 0, sentSegmentCode(frame));
  }

  private authorizedAt(bytes: Uint8Array, at: number, code: number): boolean {
    if (this.size === 0 || code === NO_SEGMENT_CODE) return false;
    const lows = this.table.get(highHalf(bytes, at));
    return lows !== undefined && lows.has(lowHalf(bytes, at, code));
  }

  private applyMode(mode: ControlledPortMode): void {
    if (mode !== 'open' && mode !== 'per-mac') {
      throw new TypeError(`A controlled port mode is 'open' or 'per-mac': got ${String(mode)}`);
    }
    this.modeValue = mode;
    this.gatesReceive = mode === 'per-mac';
    this.gatesSend = mode === 'per-mac' && this.directions === 'both';
  }

  private traceChange(change: string, mac: Uint8Array | '', vlan = 0): void {
    const event = LinkEvent.controlledPortChanged;
    if (this.trace === undefined || !this.trace.isEnabled(event.level, event.keywords)) return;
    this.trace.emit(event, {
      adapter: this.adapterName,
      change,
      mac: mac === '' ? '' : formatMac(mac),
      vlan,
    });
  }
}

function checkIndividual(mac: Uint8Array): void {
  if (mac.length !== 6) throw new TypeError(`A MAC address has 6 bytes: got ${mac.length}`);
  if (((mac[0] as number) & 1) !== 0) {
    throw new TypeError(
      `Only an individual MAC can be authorised: ${formatMac(mac)} is a group address`,
    );
  }
}

/** The code of a frame on no segment a station can be authorised on (stacked tags, a lone S-tag). */
const NO_SEGMENT_CODE = 4095;

/** The table's code for the `vlan` option: 0 untagged, else the id (1..4094, checked). */
function vlanCode(vlan: number | undefined): number {
  const segment = checkVlan(vlan);
  return segment === UNTAGGED ? 0 : segment;
}

/** The table's code for a segment from link-header.ts (UNTAGGED, an id, or NO_SEGMENT). */
function segmentCode(segment: number): number {
  if (segment === UNTAGGED) return 0;
  return segment > 0 ? segment : NO_SEGMENT_CODE;
}

/** The segment code of a frame we send: bindings write at most one C-tag. */
function sentSegmentCode(frame: Uint8Array): number {
  const tpid = ((frame[12] as number) << 8) | (frame[13] as number);
  if (tpid === 0x88a8) return NO_SEGMENT_CODE;
  if (tpid !== 0x8100) return 0;
  if (frame.length < 18) return NO_SEGMENT_CODE;
  const inner = ((frame[16] as number) << 8) | (frame[17] as number);
  if (inner === 0x8100 || inner === 0x88a8) return NO_SEGMENT_CODE;
  return ((frame[14] as number) & 0x0f) * 256 + (frame[15] as number);
}

/** The MAC's first 30 bits. */
function highHalf(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) << 22) |
    ((bytes[at + 1] as number) << 14) |
    ((bytes[at + 2] as number) << 6) |
    ((bytes[at + 3] as number) >>> 2)
  );
}

/** The MAC's last 18 bits, then the 12-bit VLAN code: 30 bits. */
function lowHalf(bytes: Uint8Array, at: number, code: number): number {
  return (
    (((bytes[at + 3] as number) & 3) << 28) |
    ((bytes[at + 4] as number) << 20) |
    ((bytes[at + 5] as number) << 12) |
    code
  );
}

function macOfHalves(high: number, low: number): Uint8Array {
  return Uint8Array.of(
    high >>> 22,
    (high >>> 14) & 0xff,
    (high >>> 6) & 0xff,
    ((high & 0x3f) << 2) | (low >>> 28),
    (low >>> 20) & 0xff,
    (low >>> 12) & 0xff,
  );
}

/** The EtherType after up to two VLAN tags, as the adapter decodes received frames; -1 if cut short. */
function innerEtherType(frame: Uint8Array): number {
  let at = 12;
  let etherType = ((frame[12] as number) << 8) | (frame[13] as number);
  for (let tags = 0; tags < 2 && (etherType === 0x8100 || etherType === 0x88a8); tags++) {
    at += 4;
    if (frame.length < at + 2) return -1;
    etherType = ((frame[at] as number) << 8) | (frame[at + 1] as number);
  }
  return etherType;
}
