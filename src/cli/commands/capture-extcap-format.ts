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
  PcapngWriter,
  NANOSECONDS,
  type NetEventItem,
  type PacketFlags,
} from '../../wire/index.js';
import { packetFragment } from './capture-format.js';

export const EXTCAP_INTERFACE = 'netrx';
export const EXTCAP_DEFAULT_SERVER = 'rpc://127.0.0.1:7341';
const LINKTYPE_ETHERNET = 1;
/** TraceOpcode values the packet-capture provider writes (event 1001). */
const OPCODE_RECEIVE = 240;
const OPCODE_SEND = 9;

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
 * `--extcap-config`: the server, the session and a token. Values must not
 * hold `{` or `}` (the grammar has no escape), hence the plain regex.
 */
export function extcapConfig(): string[] {
  return [
    `arg {number=0}{call=--server}{display=Server}{type=string}{required=true}{default=${EXTCAP_DEFAULT_SERVER}}` +
      `{validation=^rpc://[^/]+:[0-9]+$}{tooltip=The netrx capture server, rpc://HOST:PORT (netrx capture serve)}`,
    `arg {number=1}{call=--session}{display=Session}{type=string}{required=true}` +
      `{tooltip=The name of the event session to open on the server}`,
    `arg {number=2}{call=--token}{display=Token}{type=password}` +
      `{tooltip=A bearer token for transports that take one; rpc:// has no authentication yet and ignores it}`,
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

/**
 * The pcapng stream of one extcap capture: the section header and the one
 * interface Wireshark was told of (`start()`), then an Enhanced Packet Block
 * per packet event, its direction from the event's opcode. Every packet
 * event goes to interface 0 whatever its MiniportIfIndex: the extcap offers
 * one interface. Other events are not packets and are skipped. Lost-event
 * counts (NET_EVENT_LOST, events of any provider) are summed in `lost` and
 * written as the next packet's epb_dropcount, which Wireshark shows as
 * frame.drop_count.
 */
export class ExtcapPcapngStream {
  private readonly writer = new PcapngWriter({ userApplication: 'netrx capture extcap' });
  packets = 0;
  lost = 0;

  /** Packets the capture filter refused. */
  filtered = 0;
  /** Lost events not yet written: they go out as the next packet's epb_dropcount. */
  private unwritten = 0;

  constructor(
    private readonly description: string,
    private readonly filter: (frame: Uint8Array) => boolean = () => true,
  ) {}

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

  /** The block for `item`, or undefined when it is not a packet event. */
  block(item: NetEventItem): Uint8Array | undefined {
    if (item.kind === 'lost') {
      this.lost += item.lostEventCount;
      this.unwritten += item.lostEventCount;
    }
    const packet = packetFragment(item);
    if (packet === undefined || item.kind !== 'event') return undefined;
    if (!this.filter(packet.fragment)) {
      this.filtered++;
      return undefined;
    }
    const opcode = item.record.header.opcode;
    const flags: Partial<PacketFlags> | undefined =
      opcode === OPCODE_RECEIVE
        ? { direction: 'inbound' }
        : opcode === OPCODE_SEND
          ? { direction: 'outbound' }
          : undefined;
    this.packets++;
    const dropCount = this.unwritten === 0 ? undefined : BigInt(this.unwritten);
    this.unwritten = 0;
    return this.writer.packet({
      ...(dropCount === undefined ? {} : { dropCount }),
      timestamp: packet.timestampNs,
      data: packet.fragment,
      originalLength: packet.originalLength,
      ...(flags === undefined ? {} : { flags }),
    });
  }
}
