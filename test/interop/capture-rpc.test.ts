/**
 * impacket (Debian python3-impacket), an MS-RPC client nobody here wrote,
 * against `netrx capture serve`: it binds to the LREC interface over
 * ncacn_ip_tcp (an NDR64-only bind first, which must be refused), calls
 * open, receive (many times) and close with hand-marshalled NDR20
 * (support/lrec_impacket_client.py), checks every EVENT_BUFFER's layout and
 * that delivered + lost = the events the synthetic provider generated, by
 * their u64 sequence numbers. tshark captures the conversation on lo and
 * must decode it with `-d tcp.port==PORT,dcerpc`: bind, bind_ack, request,
 * response (fragmented and reassembled) and fault, no malformed frame, no
 * expert warning. tshark does not dissect LREC stubs (they show as opaque
 * "Stub data"), so the stubs it reassembled from the wire are decoded again
 * by impacket's NDR classes (support/lrec_ndr.py: decode, re-marshal, same
 * bytes), their EVENT_BUFFERs walked, and the totals compared with what the
 * client reported: a stub netrx got wrong fails here even if tshark is happy.
 * The client also checks every stub it sends and receives with the same
 * classes, and first proves they refuse subtly wrong stubs (a self test).
 *
 * Decision: the capture is tshark on lo with a port filter (the tests run as
 * root; a netns is not needed for a loopback conversation), so the frames
 * are the kernel's, not a recording netrx made of itself.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { lines, run, toolVersion } from './pcap-tools.js';
import { isRoot, requirePeers } from './support/peers.js';
import { io, until } from '../support/cli-io.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = resolve(import.meta.dirname, 'support', 'lrec_impacket_client.py');
const RECORDED = {
  impacket: '0.10.0-4',
  tshark: 'TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).',
};

const impacket = (() => {
  const probe = spawnSync(PYTHON, ['-c', 'import impacket.dcerpc.v5.transport'], {
    stdio: 'ignore',
  });
  if (probe.status !== 0) return undefined;
  const dpkg = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'python3-impacket'], {
    encoding: 'utf8',
  });
  return dpkg.stdout.trim() || 'unknown';
})();
const tshark = toolVersion('tshark', ['--version']);
const peers = requirePeers('capture-rpc.test.ts', [
  {
    name: 'python3-impacket (/usr/bin/python3)',
    ok: () => impacket !== undefined,
    hint: 'apt-get install -y python3-impacket',
  },
  { name: 'tshark', ok: () => tshark !== undefined, hint: 'apt-get install -y tshark' },
  { name: 'root (tshark -i lo)', ok: isRoot, hint: 'run the interop tests as root' },
]);
console.info(`peers: python3-impacket ${impacket ?? 'missing'}, ${tshark ?? 'tshark missing'}`);
for (const [name, found] of [
  ['impacket', impacket],
  ['tshark', tshark],
] as const) {
  if (found !== undefined && found !== RECORDED[name]) {
    console.warn(`[netrx interop] ${name} is ${found}; checked with ${RECORDED[name]}`);
  }
}

/** Runs a command to its end without blocking the event loop (the server is in this process). */
function runAsync(command: string, args: readonly string[]) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(command, args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

interface WireReport {
  readonly ok: boolean;
  readonly error?: string;
  readonly counts: Record<string, number>;
  readonly delivered: number;
  readonly distinct: number;
  readonly lost: number;
  readonly statuses: Record<string, number>;
}

interface Report {
  readonly ok: boolean;
  readonly error?: string;
  readonly delivered: number;
  readonly lost: number;
  readonly receives: number;
  readonly largestBuffer: number;
  readonly faults: Record<string, string>;
  readonly ndr64: string;
}

/**
 * Sends UDP datagrams to `probe` (a socket of ours on loopback, inside the
 * capture filter) until the capture file grows past what it held when called:
 * then dumpcap is really capturing and has written every packet sent before.
 * "Capturing on" alone comes before the capture is live, and the first
 * segments (the bind) were missed.
 */
async function probeUntilCaptured(probe: UdpSocket, pcap: string): Promise<void> {
  const size = (): number => {
    try {
      return statSync(pcap).size;
    } catch {
      return 0;
    }
  };
  const { port } = probe.address();
  let before = size();
  for (let i = 0; i < 300; i++) {
    // The file starts with its section and interface blocks: wait for those first.
    if (before === 0) before = size();
    probe.send('netrx-capture-probe', port, '127.0.0.1');
    await new Promise((done) => setTimeout(done, 50));
    if (before > 0 && size() > before) return;
  }
  throw new Error(`the capture ${pcap} did not grow within 15 s`);
}

describe.skipIf(peers.skip)('capture RPC: impacket and tshark', () => {
  it.each([
    // A roomy queue (no loss expected, large fragmented buffers) and a tiny one (loss certain).
    ['a roomy queue', 4096, 5000],
    ['a 64-event queue', 64, 20_000],
  ])(
    'impacket opens, receives and closes with %s; delivered + lost = generated; tshark decodes it all',
    async (_label, queueEvents, generated) => {
      const serve = io();
      const serving = runCli(
        [
          'capture',
          'serve',
          '--session',
          'Example Session',
          '--rpc-port',
          '0',
          '--insecure-no-auth',
          '--synthetic',
          '50000',
          '--synthetic-count',
          String(generated),
          '--queue-events',
          String(queueEvents),
          '--timer-ms',
          '100',
        ],
        serve.cli,
      );
      const dir = mkdtempSync(join(tmpdir(), 'netrx-lrec-'));
      const pcap = join(dir, 'lrec.pcapng');
      let capture: ReturnType<typeof spawn> | undefined;
      let probe: UdpSocket | undefined;
      try {
        await until(() => serve.out.includes('ready'), 10_000, 'serve ready');
        const port = /127\.0\.0\.1:(\d+)/.exec(serve.out.join('\n'))?.[1] ?? '';
        probe = createSocket('udp4');
        await new Promise<void>((done) => probe?.bind(0, '127.0.0.1', done));
        capture = spawn('tshark', [
          '-i',
          'lo',
          '-B',
          '64',
          '-f',
          `tcp port ${port} or udp port ${probe.address().port}`,
          '-w',
          pcap,
          '-q',
        ]);
        let captureErr = '';
        capture.stderr?.on('data', (d: Buffer) => (captureErr += d.toString()));
        await until(() => captureErr.includes('Capturing on'), 15_000, 'tshark capturing');
        await probeUntilCaptured(probe, pcap);
        const result = await runAsync(PYTHON, [SCRIPT, port, 'Example Session', String(generated)]);
        const report = JSON.parse(lines(result.stdout).at(-1) ?? '{}') as Report;
        expect(report.error).toBeUndefined();
        expect(report.ok).toBe(true);
        expect(report.delivered + report.lost).toBe(generated);
        expect(report.delivered).toBeGreaterThan(0);
        if (queueEvents === 64) expect(report.lost).toBeGreaterThan(0);
        expect(report.receives).toBeGreaterThan(1);
        expect(report.faults).toEqual({
          opnum7: 'nca_s_op_rng_error',
          unknown_handle: expect.stringContaining('context_mismatch') as unknown,
          // 0x1c00001b by impacket's own table (rpcrt.py); 0x1c010014 would read server_too_busy.
          oversize_open: expect.stringContaining('nca_s_fault_remote_no_memory') as unknown,
        });
        expect(report.ndr64).toContain('proposed_transfer_syntaxes_not_supported');
        console.info(`impacket (${_label}): ${JSON.stringify(report)}`);

        await probeUntilCaptured(probe, pcap); // every segment before the probe is in the file
        const stopped = new Promise((done) => capture?.once('close', done));
        capture.kill('SIGINT');
        await stopped;
        capture = undefined;
        const decode = ['-r', pcap, '-d', `tcp.port==${port},dcerpc`];
        const types = run('tshark', [
          ...decode,
          '-Y',
          'dcerpc',
          '-T',
          'fields',
          '-e',
          'dcerpc.pkt_type',
        ]);
        expect(types.status).toBe(0);
        const seen = new Set(lines(types.stdout).flatMap((l) => l.split(',')));
        // request 0, response 2, fault 3, bind 11, bind_ack 12
        for (const type of ['0', '2', '3', '11', '12']) expect(seen).toContain(type);
        const malformed = run('tshark', [
          ...decode,
          '-Y',
          // Warnings count on DCE/RPC frames only: under load TCP's own analysis flags bare ACKs
          // (zero windows, SACK blocks), which says nothing about what netrx wrote. The 64 MiB
          // capture buffer (-B) keeps dumpcap from losing segments, which would desynchronise it.
          '_ws.malformed || (_ws.expert.severity >= "warning" && dcerpc && !tcp.analysis.flags)',
        ]);
        expect(malformed.status).toBe(0);
        expect(lines(malformed.stdout)).toEqual([]);
        const reassembled = run('tshark', [
          ...decode,
          '-Y',
          'dcerpc.fragment',
          '-T',
          'fields',
          '-e',
          'frame.number',
        ]);
        if (queueEvents === 4096) expect(lines(reassembled.stdout).length).toBeGreaterThan(0);
        // The stubs themselves, as the wire carried them, decoded by impacket. tshark puts the
        // reassembled stub on the last fragment's frame (earlier ones show only their part).
        const stubs = run('tshark', [
          ...decode,
          '-Y',
          '(dcerpc.pkt_type == 0 || dcerpc.pkt_type == 2) && dcerpc.opnum <= 2 && dcerpc.stub_data && dcerpc.cn_flags.last_frag == 1',
          '-T',
          'fields',
          '-e',
          'dcerpc.pkt_type',
          '-e',
          'dcerpc.opnum',
          '-e',
          'dcerpc.stub_data',
          '-E',
          'occurrence=l',
        ]);
        expect(stubs.status).toBe(0);
        const stubFile = join(dir, 'stubs.tsv');
        writeFileSync(stubFile, stubs.stdout);
        const wire = await runAsync(PYTHON, [SCRIPT, 'decode', stubFile]);
        const onWire = JSON.parse(lines(wire.stdout).at(-1) ?? '{}') as WireReport;
        expect(onWire.error).toBeUndefined();
        expect(onWire.counts).toEqual({
          request0: 1,
          oversize_request0: 1, // 20 KB, faulted: no response stub
          response0: 1,
          request1: report.receives + 1, // + the unknown-handle probe (faulted: no response stub)
          response1: report.receives,
          request2: 1,
          response2: 1,
        });
        expect(onWire.delivered).toBe(report.delivered);
        expect(onWire.distinct).toBe(report.delivered);
        expect(onWire.lost).toBe(report.lost);
        expect(onWire.statuses).toEqual({ '0': report.receives + 1 });
        const opnums = run('tshark', [
          ...decode,
          '-Y',
          'dcerpc.pkt_type == 0',
          '-T',
          'fields',
          '-e',
          'dcerpc.opnum',
        ]);
        const counts = new Set(lines(opnums.stdout));
        for (const opnum of ['0', '1', '2', '7']) expect(counts).toContain(opnum);
      } finally {
        probe?.close();
        capture?.kill('SIGINT');
        serve.stop();
        await serving;
      }
    },
    120_000,
  );
});
