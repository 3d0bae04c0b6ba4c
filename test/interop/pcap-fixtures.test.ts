/**
 * Public captures from the tcpdump and libpcap test suites, read by netrx and
 * compared with tshark. The captures are not part of the repository: they live
 * in ../shared/fixtures/pcap beside it, and the suite is skipped (with a
 * notice) when that folder is absent.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PcapFileError, pcapInfo, readPcapFile } from '../../src/node/link/index.js';
import { lines, run, toolVersion } from './pcap-tools.js';
import { requirePeers } from './support/peers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixturesDir = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'pcap');
const present = existsSync(fixturesDir);
if (!present)
  console.warn(`[netrx interop] ${fixturesDir} not found: skipping the pcap fixture suite`);

/** The tshark these expectations were taken from. */
const RECORDED_TSHARK = 'TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).';
const tshark = toolVersion('tshark', ['--version']);
const tsharkPeer = requirePeers('pcap-fixtures.test.ts', [
  { name: 'tshark', ok: () => tshark !== undefined, hint: 'apt-get install -y tshark' },
]);
if (tshark !== undefined && tshark !== RECORDED_TSHARK) {
  console.warn(
    `[netrx interop] tshark is "${tshark}"; expectations were recorded with "${RECORDED_TSHARK}"`,
  );
}

/** Frame counts tshark 4.0.17 reported for the readable fixtures (checked live when tshark is here). */
const FRAMES: Readonly<Record<string, number>> = {
  'LINKTYPE_IPV6.pcap': 1,
  'LINKTYPE_IPV6_invalid.pcap': 1,
  'OSPFv2_Capture_FINAL.pcapng': 30,
  'RADIUS-RFC5176.pcap': 6,
  'RADIUS.pcap': 4,
  'aarp-heapoverflow-1.pcap': 1,
  'ahcp.pcapng': 8,
  'arp-oobr.pcap': 2282,
  'arp-too-long-tha.pcap': 1,
  'bgp-orf.pcapng': 1,
  'bigtcp-ipv4-vxlan-ipv4.pcap': 1,
  'cve2015-0261-ipv6.pcap': 2,
  'dhcp-option-108.pcapng': 2,
  'dns_udp.pcap': 2,
  'eap_extract_read2_asan.pcap': 1,
  'eapon1.pcap': 114,
  'empty.pcapng': 0,
  'geneve.pcap': 10,
  'gso-ipv4-vxlan-ipv4.pcap': 1,
  'gso-ipv4-vxlan-ipv6.pcap': 1,
  'icmpv6.pcap': 5,
  'ipv6_ext_headers.pcap': 1,
  'rarp_req_reply.pcapng': 2,
  'vxlan.pcap': 10,
  'wpa-Induction.pcap': 10,
};

/** Fixtures malformed at the file level: the code netrx rejects them with, and the reason. */
const REJECTED: Readonly<Record<string, { code: string; reason: RegExp }>> = {
  'linktype-reserved-field-not-zero.pcap': { code: 'bad-link-type', reason: /reserved bits/ },
  'pcap-invalid-version-1.pcap': { code: 'bad-version', reason: /pcap version 1\.4/ },
  'pcap-invalid-version-2.pcap': { code: 'bad-version', reason: /pcap version 2\.5/ },
  'pcapng-invalid-vers-1.pcapng': { code: 'bad-version', reason: /pcapng section version 0\.1/ },
  'pcapng-invalid-vers-2.pcapng': { code: 'bad-version', reason: /pcapng section version 1\.1/ },
};

/**
 * Where tshark and netrx disagree, and why netrx keeps its answer. tshark's
 * wiretap accepts any pcap 2.x; libpcap (tcpdump 4.99.3 / libpcap 1.10.3 here)
 * rejects 2.5 with "unsupported pcap savefile version 2.5", and the draft
 * defines only 2.4, so netrx rejects it too.
 */
const TSHARK_READS_ANYWAY: ReadonlySet<string> = new Set(['pcap-invalid-version-2.pcap']);

const files = present
  ? readdirSync(fixturesDir)
      .filter((f) => /\.pcap(ng)?$/.test(f))
      .sort()
  : [];
const good = files.filter((f) => !(f in REJECTED));
const bad = files.filter((f) => f in REJECTED);
const at = (file: string): string => path.join(fixturesDir, file);

async function ourLengths(file: string): Promise<string[]> {
  const out: string[] = [];
  // A small chunk size makes most records span chunks.
  for await (const r of readPcapFile(at(file), { chunkSize: 1000 })) {
    out.push(`${r.originalLength}\t${r.capturedLength}`);
  }
  return out;
}

describe.skipIf(!present)('pcap fixtures', () => {
  it('has an expectation for every fixture', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(file in FRAMES || file in REJECTED, file).toBe(true);
  });

  it.each(good)('reads %s with the recorded frame count', async (file) => {
    const summary = await pcapInfo(at(file));
    expect(summary.format).toBe(file.endsWith('.pcapng') ? 'pcapng' : 'pcap');
    expect(summary.frames).toBe(FRAMES[file]);
    expect(summary.linkTypes.length).toBeGreaterThan(0);
  });

  it.each(bad)('rejects %s with a clear reason', async (file) => {
    const error = await pcapInfo(at(file)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PcapFileError);
    const { failure, message } = error as PcapFileError;
    expect(failure.code).toBe(REJECTED[file]!.code);
    expect(message).toMatch(REJECTED[file]!.reason);
    expect(message).not.toContain('\n');
  });

  describe.skipIf(tsharkPeer.skip)('against tshark', () => {
    it('tshark is installed', () => {
      expect(tshark, 'tshark is required under CI=true').toBeDefined();
    });

    it.each(good)('%s: every frame length equals tshark', async (file) => {
      const result = run('tshark', [
        '-r',
        at(file),
        '-T',
        'fields',
        '-e',
        'frame.len',
        '-e',
        'frame.cap_len',
      ]);
      expect(result.status).toBe(0);
      const theirs = lines(result.stdout);
      expect(theirs).toHaveLength(FRAMES[file]!);
      expect(await ourLengths(file)).toEqual(theirs);
    });

    it.each(bad)('%s: tshark agrees it is unreadable (or the disagreement is recorded)', (file) => {
      const result = run('tshark', ['-r', at(file), '-T', 'fields', '-e', 'frame.len']);
      if (TSHARK_READS_ANYWAY.has(file)) expect(result.status).toBe(0);
      else expect(result.status).not.toBe(0);
    });
  });
});
