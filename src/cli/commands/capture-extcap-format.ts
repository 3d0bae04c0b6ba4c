/**
 * What `netrx capture extcap` says to Wireshark, and the pcapng stream it
 * writes into Wireshark's fifo. Pure: the command does the I/O.
 *
 * The extcap conventions (Wireshark's extcap(4), doc/extcap.adoc, checked
 * against TShark 4.0.17): Wireshark runs the extcap with
 * `--extcap-interfaces --extcap-version=X` and reads `extcap {…}` and
 * `interface {…}` lines; `--extcap-dlts --extcap-interface IF` answers `dlt`
 * lines; `--extcap-config --extcap-interface IF` answers `arg` lines whose
 * `call` becomes the option of the capture call, and whose preference name
 * is `extcap.IF.` + the call without its dashes (tshark `-o
 * extcap.netrx.server:rpc://…`); finally `--capture --extcap-interface IF
 * --fifo PATH [--extcap-capture-filter F] --server … --session …` writes a
 * pcap or pcapng stream into PATH until it is stopped.
 */
import {
  NANOSECONDS,
  NDIS_PACKET_CAPTURE_PROVIDER_GUID,
  NDIS_PACKET_METADATA_EVENT,
  PcapngWriter,
  netrxHostFromActivityId,
  type NetEventItem,
} from '../../wire/index.js';
import { clampedComment, packetFragment } from './capture-format.js';

export const EXTCAP_INTERFACE = 'netrx';
export const EXTCAP_DEFAULT_SERVER = 'rpc://127.0.0.1:7341';
const LINKTYPE_ETHERNET = 1;

/** `--extcap-interfaces`: the extcap's version and help, then its one interface. */
export function extcapInterfaces(version: string, help: string): string[] {
  return [
    `extcap {version=${version}}{help=${help}}`,
    `interface {value=${EXTCAP_INTERFACE}}{display=netrx remote capture}`,
  ];
}

/** `--extcap-dlts`: Ethernet (DLT 1, EN10MB), what the packet-capture provider captures. */
export function extcapDlts(): string[] {
  return [`dlt {number=${LINKTYPE_ETHERNET}}{name=EN10MB}{display=Ethernet}`];
}

/**
 * `--extcap-config`: the server, the session, and for ws:// / wss:// the
 * bearer token, a CA file and the TLS server name. Values must not hold `{`
 * or `}` (the grammar has no escape), hence the plain regex. There is no
 * option to skip certificate checks: a `wss://` capture trusts the system
 * CAs or the CA file given (`netrx certs demo` writes one), never nothing.
 */
export function extcapConfig(): string[] {
  return [
    `arg {number=0}{call=--server}{display=Server}{type=string}{required=true}{default=${EXTCAP_DEFAULT_SERVER}}` +
      `{validation=^(rpc|wss?)://[^/]+:[0-9]+/?$}` +
      `{tooltip=The netrx capture server: rpc://HOST:PORT (netrx capture serve --rpc-port), wss://HOST:PORT (--ws-port with TLS) or ws://127.0.0.1:PORT}`,
    `arg {number=1}{call=--session}{display=Session}{type=string}{required=true}` +
      `{tooltip=The name of the event session to open on the server}`,
    `arg {number=2}{call=--token}{display=Token}{type=password}` +
      `{tooltip=The bearer token of a ws:// or wss:// server (netrx capture serve --ws-token); rpc:// takes none}`,
    `arg {number=3}{call=--ca}{display=TLS CA certificates}{type=fileselect}{mustexist=true}` +
      `{tooltip=PEM file of the CA certificates to trust for wss:// (netrx certs demo writes ca.pem); empty: the system CAs}`,
    `arg {number=4}{call=--servername}{display=TLS server name}{type=string}` +
      `{tooltip=The name to check in the server certificate when the wss:// host is an address}`,
  ];
}

/** The launcher `--install DIR` writes: absolute paths, so it works from a GUI with any PATH. */
export function launcherScript(node: string, main: string): string {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  return [
    '#!/bin/sh',
    '# Wireshark extcap launcher for netrx (written by `netrx capture extcap --install`).',
    '# Wireshark runs every executable in its extcap folder: this one is `netrx capture extcap`.',
    `exec ${quote(node)} ${quote(main)} capture extcap "$@"`,
    '',
  ].join('\n');
}

/** Counters of one extcap capture (what the ISBs and the closing `--debug-file` line say; never stderr, which Wireshark shows as an error). */
export interface ExtcapCounters {
  /** Packets written (EPBs). */
  packets: number;
  /** Packet events the capture filter refused. */
  filtered: number;
  /** Every NET_EVENT_LOST count received. */
  lost: number;
  /** Of those, lost events counted as lost packets (isb_ifdrop, epb_dropcount). */
  lostPackets: number;
  /** Of those, lost events of unknown provider (the session carries other providers' events too). */
  lostUnattributed: number;
  /** EVENT_BUFFERs that did not decode: dropped whole, the capture goes on. */
  badBuffers: number;
  /** Packets whose FILETIME was outside what pcapng holds: written with a clamped timestamp. */
  clampedTimestamps: number;
  /** Packet events that are not Ethernet frames or do not decode (not written). */
  skipped: number;
  /** Events of other providers (not packets: never written). */
  otherEvents: number;
}

/** Non-packet events, with no packet event among them, after which the capture says why it is empty. */
export const NO_PACKET_HINT_AFTER = 100;

/**
 * The pcapng stream of one extcap capture: the section header and the one
 * Ethernet interface Wireshark was told of (`start()`), then, per
 * EVENT_BUFFER (`buffer()`), an Enhanced Packet Block per packet event (its
 * direction from the event's keywords or opcode) and, whenever the counters
 * changed, an Interface Statistics Block, at most one per
 * `ISB_INTERVAL_NS` (1 s): the first change at once, later ones once the
 * interval has passed (`statisticsDueInMs()` says when a held one is due, so
 * the caller writes it with `statisticsIfDue()` even if no buffer follows).
 * So a loss reaches the file even when no packet follows it, and the last
 * counts reach it even when tshark kills the extcap before `finish()` (the
 * last ISB with isb_endtime) can run. Every packet event goes to interface 0 whatever its
 * MiniportIfIndex: the extcap offers one interface.
 *
 * Loss: NET_EVENT_LOST says how many events the session's queue dropped,
 * not whose. The server reports it where it happened (after the last event
 * queued before the drop), so a lost count belongs between the packet
 * before it and the packet after it: it is written as that next packet's
 * epb_dropcount, and added to isb_ifdrop (isb_ifrecv counts it too: the
 * interface saw those packets). That holds while the session has carried
 * only events of the packet-capture provider. Once an event of another
 * provider has arrived, a lost count may be any provider's: it is counted
 * as unattributed (`lostUnattributed`), named in the ISB's comment and the
 * `--debug-file` log, and kept out of isb_ifdrop and epb_dropcount, which
 * count packets only. A capture that needs exact packet drops opens a
 * session of the packet-capture provider alone.
 */
/** The provider a session needs for packets, as `netrx up` and `capture serve` name it. */
const NDIS_PACKET_PROVIDER_HINT =
  'Microsoft-Windows-NDIS-PacketCapture (capture serve --link-vxlan; netrx up: providers ["*"])';

/** The shortest time between two Interface Statistics Blocks (ns). */
export const ISB_INTERVAL_NS = 1_000_000_000n;

export class ExtcapPcapngStream {
  private readonly writer = new PcapngWriter({ userApplication: 'netrx capture extcap' });
  readonly counters: ExtcapCounters = {
    packets: 0,
    filtered: 0,
    lost: 0,
    lostPackets: 0,
    lostUnattributed: 0,
    badBuffers: 0,
    clampedTimestamps: 0,
    skipped: 0,
    otherEvents: 0,
  };
  /** Lost packets not yet written: they go out as the next packet's epb_dropcount. */
  private unwritten = 0;
  /** An event of a provider other than the packet-capture one has arrived. */
  private mixed = false;
  private readonly startNs: bigint;
  /** The counters the last ISB carried, and when it was written. */
  private reported = '';
  private reportedAt: bigint | undefined;

  constructor(
    private readonly description: string,
    private readonly filter: (frame: Uint8Array) => boolean = () => true,
    private readonly now: () => bigint = () => 0n,
    private readonly filtering = false,
  ) {
    this.startNs = now();
    this.reported = this.snapshot();
  }

  get packets(): number {
    return this.counters.packets;
  }

  get lost(): number {
    return this.counters.lost;
  }

  start(): Uint8Array[] {
    return [
      this.writer.sectionHeader(),
      this.writer.addInterface({
        linkType: LINKTYPE_ETHERNET,
        name: EXTCAP_INTERFACE,
        description: this.description,
        resolution: NANOSECONDS,
      }),
    ];
  }

  /** The blocks for one decoded EVENT_BUFFER, in order; an ISB last when one is due. */
  buffer(items: readonly NetEventItem[]): Uint8Array[] {
    const blocks: Uint8Array[] = [];
    for (const item of items) {
      const block = this.block(item);
      if (block !== undefined) blocks.push(block);
    }
    blocks.push(...this.statisticsIfDue());
    return blocks;
  }

  /** An EVENT_BUFFER that did not decode: counted, and (when due) an ISB whose comment says so. */
  badBuffer(): Uint8Array[] {
    this.counters.badBuffers++;
    return this.statisticsIfDue();
  }

  /** An ISB when the counters changed since the last one and the interval has passed. */
  statisticsIfDue(): Uint8Array[] {
    if (this.snapshot() === this.reported) return [];
    const at = this.reportedAt;
    if (at !== undefined && this.now() - at < ISB_INTERVAL_NS) return [];
    return [this.statistics(false)];
  }

  /** Milliseconds until a held ISB is due; undefined when none is held. */
  statisticsDueInMs(): number | undefined {
    if (this.snapshot() === this.reported) return undefined;
    const at = this.reportedAt;
    if (at === undefined) return 0;
    const left = at + ISB_INTERVAL_NS - this.now();
    return left <= 0n ? 0 : Math.ceil(Number(left) / 1e6);
  }

  /** The closing ISB, with isb_endtime. */
  finish(): Uint8Array[] {
    return [this.statistics(true)];
  }

  /** The block for `item`, or undefined when it is not a packet written. Never throws. */
  block(item: NetEventItem): Uint8Array | undefined {
    const c = this.counters;
    if (item.kind === 'lost') {
      c.lost += item.lostEventCount;
      if (this.mixed) c.lostUnattributed += item.lostEventCount;
      else {
        c.lostPackets += item.lostEventCount;
        this.unwritten += item.lostEventCount;
      }
      return undefined;
    }
    if (item.kind !== 'event') return undefined;
    if (item.record.header.providerId !== NDIS_PACKET_CAPTURE_PROVIDER_GUID) {
      this.mixed = true;
      c.otherEvents++;
      return undefined;
    }
    const packet = packetFragment(item);
    if (packet === undefined || packet.linkType !== LINKTYPE_ETHERNET) {
      if (item.record.header.id !== NDIS_PACKET_METADATA_EVENT) c.skipped++;
      return undefined;
    }
    if (!this.filter(packet.fragment)) {
      c.filtered++;
      return undefined;
    }
    c.packets++;
    if (packet.timestampClamped) c.clampedTimestamps++;
    const dropCount = this.unwritten === 0 ? undefined : BigInt(this.unwritten);
    this.unwritten = 0;
    // Wireshark's one extcap interface: a fan-in session's host of origin rides in the
    // packet's comment (`frame.comment contains "host=lab-2"`), as `capture tail` prints it.
    const host = netrxHostFromActivityId(item.record.header.activityId);
    const comments = [
      ...(host === undefined ? [] : [`netrx host=${host}`]),
      ...(packet.timestampClamped ? [clampedComment(packet)] : []),
    ];
    return this.writer.packet({
      ...(dropCount === undefined ? {} : { dropCount }),
      timestamp: packet.timestampNs,
      data: packet.fragment,
      originalLength: packet.originalLength,
      ...(packet.direction === undefined ? {} : { flags: { direction: packet.direction } }),
      ...(comments.length === 0 ? {} : { comments }),
    });
  }

  /** Something worth a line in the debug log happened: loss, a bad buffer, a clamped time, a skipped packet. */
  anomalies(): boolean {
    const c = this.counters;
    return c.lost + c.badBuffers + c.clampedTimestamps + c.skipped > 0;
  }

  /**
   * Why a capture shows no packet, when events came but none was a packet
   * (the session has no packet-capture provider): `final` (the capture
   * ended) after any such event, otherwise after `NO_PACKET_HINT_AFTER`.
   * Undefined when there is nothing to explain.
   */
  noPacketHint(final: boolean): string | undefined {
    const c = this.counters;
    if (c.packets + c.filtered + c.skipped > 0 || c.otherEvents === 0) return undefined;
    if (!final && c.otherEvents < NO_PACKET_HINT_AFTER) return undefined;
    return (
      `0 packets: the session delivered ${c.otherEvents} events, none of them a packet ` +
      `(it has no packet-capture provider: add ${NDIS_PACKET_PROVIDER_HINT} to the session's providers)`
    );
  }

  /** One line for the `--debug-file` log with every counter (the ISBs carry the same counts). */
  summary(): string {
    const c = this.counters;
    return (
      `${c.packets} packets written, ${c.filtered} filtered, ${c.lostPackets} lost packets, ` +
      `${c.lostUnattributed} lost events of unknown provider, ${c.badBuffers} bad EVENT_BUFFERs dropped, ` +
      `${c.clampedTimestamps} timestamps clamped, ${c.skipped} packet events skipped`
    );
  }

  private snapshot(): string {
    const c = this.counters;
    const hint = this.noPacketHint(false) === undefined ? '' : ' hint';
    return `${c.packets} ${c.filtered} ${c.lostPackets} ${c.lostUnattributed} ${c.badBuffers} ${c.clampedTimestamps} ${c.skipped}${hint}`;
  }

  private statistics(final: boolean): Uint8Array {
    const c = this.counters;
    const now = this.now();
    this.reported = this.snapshot();
    this.reportedAt = now;
    const comments: string[] = [];
    if (c.lostUnattributed > 0) {
      comments.push(
        `netrx: ${c.lostUnattributed} events of unknown provider lost (the session also carries non-packet events; not counted in isb_ifdrop)`,
      );
    }
    if (c.badBuffers > 0) comments.push(`netrx: ${c.badBuffers} malformed EVENT_BUFFERs dropped`);
    if (c.clampedTimestamps > 0) {
      comments.push(`netrx: ${c.clampedTimestamps} packet timestamps clamped`);
    }
    if (c.skipped > 0) {
      comments.push(`netrx: ${c.skipped} packet events skipped (not Ethernet, or undecodable)`);
    }
    const hint = this.noPacketHint(final);
    if (hint !== undefined) comments.push(`netrx: ${hint}`);
    return this.writer.statistics({
      timestamp: now < this.startNs ? this.startNs : now,
      startTime: this.startNs,
      ...(final ? { endTime: now < this.startNs ? this.startNs : now } : {}),
      received: BigInt(c.packets + c.filtered + c.lostPackets),
      dropped: BigInt(c.lostPackets),
      ...(this.filtering ? { filterAccepted: BigInt(c.packets) } : {}),
      delivered: BigInt(c.packets),
      ...(comments.length === 0 ? {} : { comments }),
    });
  }
}
