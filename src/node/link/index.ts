/**
 * netrx/node/link: the Node side of the link layer.
 *
 * Capture files on disk: `readPcapFile` streams the records of a pcap or
 * pcapng file through the sans-I/O `PcapReader` in fixed-size chunks, so
 * memory stays within one block plus two chunks whatever the file size;
 * `pcapInfo` summarises a file (format, link types, frames, captured bytes);
 * `PcapFileWriter` writes or appends pcap and pcapng files; from the data
 * path, `record` queues without waiting into a bounded, batching
 * `BatchedWriter` (drops counted, the first write failure reported once as
 * `ERR_PCAP_WRITE`). `replayPcap` indicates a file's frames to an adapter,
 * truncated records as partial lookaheads. A malformed file
 * rejects with `PcapFileError` (`ERR_PCAP_INVALID`) whose message is one line
 * and whose `failure.code` is the reader's stable code; a file that cannot be
 * opened rejects with `ERR_PCAP_OPEN`, a refused append with `ERR_PCAP_APPEND`.
 *
 * VXLAN: `VxlanLink` is a tunnel endpoint (RFC 7348) that turns the UDP
 * datagrams of one VNI into indications on a netrx link `Adapter`, and sends
 * the adapter's frames back to the configured remote port. It accepts
 * datagrams only from the remote's address and `allowedSources` (any source
 * port); `startVxlanHost` puts a stack, an optional UDP echo and a capture
 * file (attached before the stack's first frame) on it, and optionally
 * 802.1X (`attach8021x`: the netrx/eapol authenticator with EAP-MD5 over a
 * static user list, or the supplicant).
 */
export {
  DEFAULT_CHUNK_SIZE,
  DEFAULT_MAX_PENDING_BYTES,
  PcapFileError,
  PcapFileReader,
  PcapFileWriter,
  pcapInfo,
  readPcapFile,
  type PcapFileSummary,
  type PcapFileWriterOptions,
  type PcapFileWriterStats,
  type ReadPcapFileOptions,
} from './pcap-file.js';
export {
  VxlanLink,
  type UdpEndpoint,
  type VxlanLinkOptions,
  type VxlanLinkStats,
} from './vxlan.js';
export { startVxlanHost, type VxlanHost, type VxlanHostOptions } from './vxlan-host.js';
export {
  attach8021x,
  type Ieee8021x,
  type Ieee8021xAuthenticatorOptions,
  type Ieee8021xOptions,
  type Ieee8021xSupplicantOptions,
} from './eapol-host.js';
export { canonicalAddress, parseEndpoint, parsePrefix } from './addresses.js';
export { NodeLinkEvent } from './events.js';
export {
  BatchedWriter,
  type BatchedWriterOptions,
  type BatchedWriterStats,
  type WriteTarget,
} from './batched-writer.js';
export { replayPcap, type PcapReplayOptions, type PcapReplayStats } from './pcap-replay.js';
