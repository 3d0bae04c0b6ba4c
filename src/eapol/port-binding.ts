/**
 * What the authenticator and the supplicant share: the link binding for
 * EtherType 0x888E (untagged, to the adapter's MAC or the PAE group
 * address), decoding with counted, traced drops, and sending whole EAPOL
 * frames. A received frame is decoded from the lookahead (the binding asks
 * for the adapter's MTU, so an EAPOL frame is always whole in it) and its
 * bytes are used only during `receive`.
 */
import type { Adapter, BindingHandle, Indication } from '../link/index.js';
import { PacketFilter } from '../link/index.js';
import type { TraceProvider, TraceRegistry } from '../trace/index.js';
import {
  EAPOL_ETHERTYPE,
  EAPOL_FRAME_BODY_OFFSET,
  decodeEapolPdu,
  emitEapolFrame,
  formatMac,
  parseMac,
  PAE_GROUP_ADDRESS,
  type EapolPdu,
} from '../wire/index.js';
import { EAPOL_PROVIDER, EapolEvent } from './events.js';

/** The PAE group address as bytes. */
export const PAE_GROUP = parseMac(PAE_GROUP_ADDRESS) as Uint8Array;

/** Drops every EAPOL binding counts (`stats().dropped`), beside the role's own. */
export const FRAME_DROP_REASONS = [
  'truncated',
  'bad-version',
  'eap-too-short',
  'eap-length-mismatch',
  'empty-key',
  'tagged',
  'bad-source',
  'own-frame',
  'unsupported-type',
] as const;

export type Role = 'authenticator' | 'supplicant';

export interface PortBindingOptions {
  readonly adapter: Adapter;
  readonly name: string;
  readonly trace?: TraceRegistry;
  /** EAPOL version of what is sent, 1..3; default 2 (802.1X-2004, as hostapd and wpa_supplicant send). */
  readonly eapolVersion?: number;
}

/** Counters by drop reason, all present, zero at first. */
export function dropCounts<R extends string>(reasons: readonly R[]): Record<R, number> {
  const counts = {} as Record<R, number>;
  for (const reason of reasons) counts[reason] = 0;
  return counts;
}

/** @internal The binding and its frame I/O; the role classes own one. */
export class PortBinding<Drop extends string> {
  readonly handle: BindingHandle;
  readonly provider: TraceProvider | undefined;
  readonly version: number;
  readonly dropped: Record<Drop | (typeof FRAME_DROP_REASONS)[number], number>;
  received = 0;
  sent = 0;
  sendRefused = 0;
  private readonly ownMac: Uint8Array;

  constructor(
    private readonly role: Role,
    private readonly adapter: Adapter,
    options: PortBindingOptions,
    reasons: readonly Drop[],
    private readonly onPdu: (pdu: EapolPdu, source: Uint8Array, length: number) => void,
  ) {
    const version = options.eapolVersion ?? 2;
    if (!Number.isInteger(version) || version < 1 || version > 3) {
      throw new RangeError(`eapolVersion must be 1, 2 or 3: got ${version}`);
    }
    this.version = version;
    this.ownMac = adapter.mac;
    this.provider = options.trace?.register(EAPOL_PROVIDER);
    this.dropped = dropCounts([...FRAME_DROP_REASONS, ...reasons]);
    this.handle = adapter.openBinding(
      { receive: (ind) => this.receive(ind) },
      {
        name: options.name,
        lookahead: adapter.mtu,
        etherTypes: [EAPOL_ETHERTYPE],
        packetFilter: PacketFilter.Directed | PacketFilter.Multicast,
        multicast: [PAE_GROUP],
      },
    );
  }

  /** Counts and traces a drop; `mac` is the sender's. */
  drop(
    reason: Drop | (typeof FRAME_DROP_REASONS)[number],
    mac: Uint8Array | string,
    length: number,
  ): void {
    this.dropped[reason]++;
    const event = EapolEvent.frameDropped;
    if (this.provider?.isEnabled(event.level, event.keywords) !== true) return;
    this.provider.emit(event, {
      role: this.role,
      reason,
      mac: typeof mac === 'string' ? mac : formatMac(mac),
      length,
    });
  }

  /** Sends one EAPOL PDU to `destination`. A fresh frame each time: the transmit may keep it. */
  send(destination: Uint8Array, packetType: number, body: Uint8Array): boolean {
    const frame = new Uint8Array(EAPOL_FRAME_BODY_OFFSET + body.length);
    emitEapolFrame(frame, destination, this.ownMac, this.version, packetType, body);
    const sent = this.handle.send(frame);
    if (sent) this.sent++;
    else this.sendRefused++;
    return sent;
  }

  close(): void {
    this.handle.close();
  }

  private receive(ind: Indication): 'accepted' | 'not-accepted' {
    if (ind.etherType !== EAPOL_ETHERTYPE) return 'not-accepted';
    this.received++;
    const header = ind.header;
    const source = header.subarray(6, 12);
    const length = ind.packetSize;
    if (ind.headerSize !== 14 || ind.oob.vlan !== undefined) {
      this.drop('tagged', source, length);
      return 'not-accepted';
    }
    if (((source[0] as number) & 1) !== 0) {
      this.drop('bad-source', source, length);
      return 'not-accepted';
    }
    if (sameMac(source, this.ownMac)) {
      this.drop('own-frame', source, length);
      return 'not-accepted';
    }
    const decoded = decodeEapolPdu(ind.lookahead);
    if (!decoded.ok) {
      this.drop(decoded.failure.code as (typeof FRAME_DROP_REASONS)[number], source, length);
      return 'not-accepted';
    }
    this.onPdu(decoded.value, source, length);
    return 'accepted';
  }
}

export function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}
