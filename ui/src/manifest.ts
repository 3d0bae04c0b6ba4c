/**
 * What the host tells the page at `GET ./api/dashboard`: the capture session
 * to open, where the capture WebSocket is, the addresses of its services, and
 * the manifest of every trace provider (the event names and payload fields
 * of netrx/trace descriptors), so the page names and decodes events it has
 * never seen the code of. Decoding is netrx's own (netrx/trace), never throws.
 */
import { decodePayload, type FieldSpec, type FieldValue } from '../../src/trace/payload.js';
import {
  netrxHostFromActivityId,
  unixMsFromFiletime,
  type NetEventItem,
} from '../../src/wire/lrec/index.js';

export interface ManifestEvent {
  readonly id: number;
  readonly name: string;
  readonly level: number;
  /** Hex, without 0x (a u64 does not fit a JSON number). */
  readonly keywords: string;
  readonly fields: readonly FieldSpec[];
}

export interface ManifestProvider {
  readonly guid: string;
  readonly name: string;
  readonly events: readonly ManifestEvent[];
}

export interface DashboardInfo {
  readonly session: string;
  /** Path of the capture WebSocket on this origin, e.g. `/capture`. */
  readonly captureWebSocket: string;
  readonly services: readonly { readonly name: string; readonly address: string }[];
  readonly providers: readonly ManifestProvider[];
  /** How Wireshark reaches this host (the extcap interface), for the page's instructions. */
  /** `command` runs the CLI from where the host runs (absent from an older host: `netrx`). */
  readonly extcap: { readonly server: string; readonly session: string; readonly command?: string };
  /** The host needs a login (http.token): the page offers a logout. */
  readonly login?: boolean;
  /** Path of the capture WebSocket where each page reads its own copy of the sessions. */
  readonly viewerWebSocket?: string;
  /** Every capture session the page may watch (the session selector). */
  readonly sessions?: readonly string[];
  /** Where the host's counters since its start are (`/api/dashboard/snapshot`). */
  readonly snapshot?: string;
}

export interface UiEvent {
  /** Arrival order on this page. */
  readonly seq: number;
  readonly timeMs: number;
  readonly provider: string;
  readonly providerGuid: string;
  readonly name: string;
  readonly id: number;
  readonly level: number;
  readonly keywords: bigint;
  readonly fields: Readonly<Record<string, string>>;
  /**
   * The host of origin, when the session is served from a JetStream stream
   * (capture fan-in: the ActivityId carries the publisher's host name);
   * absent for a local session's events.
   */
  readonly host?: string;
  /** Lower-case text the search box matches against. */
  readonly haystack: string;
}

function show(value: FieldValue): string {
  if (value instanceof Uint8Array) {
    const hex = Array.from(value.subarray(0, 32), (b) => b.toString(16).padStart(2, '0')).join('');
    return value.length > 32 ? `${hex}… (${value.length} bytes)` : hex;
  }
  return String(value);
}

export class Manifest {
  private readonly providers = new Map<string, ManifestProvider>();
  private readonly events = new Map<string, ManifestEvent>();
  private seq = 0;

  constructor(providers: readonly ManifestProvider[]) {
    for (const provider of providers) {
      const guid = provider.guid.toLowerCase();
      this.providers.set(guid, provider);
      for (const event of provider.events) this.events.set(`${guid}/${event.id}`, event);
    }
  }

  providerNames(): string[] {
    return [...this.providers.values()].map((p) => p.name).sort();
  }

  /** One page event for one EVENT_BUFFER event item. */
  decode(item: Extract<NetEventItem, { kind: 'event' }>): UiEvent {
    const { header, userData } = item.record;
    const guid = header.providerId.toLowerCase();
    const provider = this.providers.get(guid);
    const event = this.events.get(`${guid}/${header.id}`);
    const fields: Record<string, string> = {};
    if (event !== undefined) {
      const decoded = decodePayload(event.fields, userData);
      if (decoded.ok) for (const [k, v] of Object.entries(decoded.values)) fields[k] = show(v);
      else fields['payload'] = `undecodable: ${decoded.reason}`;
    } else if (userData.length > 0) {
      fields['payload'] = show(userData);
    }
    const name = event?.name ?? `event ${header.id}`;
    const providerName = provider?.name ?? guid;
    const host = netrxHostFromActivityId(header.activityId);
    const origin = host === undefined ? [] : [`host=${host}`];
    return {
      seq: this.seq++,
      timeMs: unixMsFromFiletime(header.timeStamp),
      provider: providerName,
      providerGuid: guid,
      name,
      id: header.id,
      level: header.level,
      keywords: header.keyword,
      fields,
      ...(host === undefined ? {} : { host }),
      haystack: [providerName, name, ...origin, ...Object.entries(fields).flat()]
        .join(' ')
        .toLowerCase(),
    };
  }
}
