/**
 * Wireshark's tshark (Debian), a capture tool nobody here wrote, capturing
 * live from a netrx capture host through `netrx capture extcap`: the
 * launcher `netrx capture extcap --install DIR` writes sits in tshark's
 * extcap folder, `tshark -i netrx -o extcap.netrx.server:rpc://… -c N -w
 * FILE` runs it, and the frames tshark wrote must be, byte for byte, the
 * frames the host's adapter saw (first 128 bytes: the packet-capture
 * provider's default truncation), with their direction and their length on
 * the wire. The same host also feeds `netrx capture tail --pcapng FILE`,
 * whose file tshark and capinfos must read with no malformed frame.
 *
 * The host is in this process (support/capture-lab.ts): a netrx stack on an
 * in-memory adapter that the real packet-capture provider taps, the peer
 * answered by the stack. The extcap is a child of tshark, so it reaches the
 * host over real loopback TCP.
 *
 * Where tshark looks for extcaps (`tshark -G folders`): TShark 4.0 has one
 * extcap folder, the global one, overridden by WIRESHARK_EXTCAP_DIR except
 * when started with special privileges (root included); 4.2 and later also
 * read the personal folder ~/.local/lib/wireshark/extcap. So the launcher
 * goes into both (under a temporary HOME), and as root tshark runs as
 * nobody (setpriv), which an extcap capture needs no privilege for.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { readPcapFile } from '../../src/node/link/index.js';
import { lines, run } from './pcap-tools.js';
import { startCaptureLab, type CaptureLab } from './support/capture-lab.js';
import {
  EXTCAP_TEST_TIMEOUT_MS,
  TRUNCATION,
  expected,
  extcapTiming,
  extcapHome,
  extcapPeers,
  feedUntilClosed,
  hex,
  io,
  netrxCapture,
  problems,
  sleep,
  spawnTshark,
  tsharkFrames,
  until,
} from './support/extcap-tools.js';

const peers = extcapPeers('capture-extcap.test.ts');

describe.skipIf(peers.skip)('capture extcap: tshark -i netrx captures live', () => {
  let lab: CaptureLab;
  beforeAll(async () => {
    lab = await startCaptureLab();
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('lists the netrx interface in the extcap folder tshark -G folders names', async () => {
    const home = await extcapHome();
    const [command, args] = home.command(['-G', 'folders']);
    const folders = spawnSync(command, args, { env: home.env, encoding: 'utf8' });
    const extcapLines = lines(folders.stdout).filter((l) => /extcap/i.test(l));
    console.info(`tshark -G folders (temporary HOME): ${extcapLines.join(' | ')}`);
    expect(extcapLines.some((l) => l.includes(home.personal))).toBe(true);
    const [listCommand, listArgs] = home.command(['-D']);
    const list = spawnSync(listCommand, listArgs, { env: home.env, encoding: 'utf8' });
    expect(lines(list.stdout)).toContainEqual(
      expect.stringMatching(/\. netrx \(netrx remote capture\)$/),
    );
  });

  it(
    'writes, frame for frame, what the host adapter saw (truncated to 128, wire length and direction kept); then the extcap closes its handle',
    async () => {
      const home = await extcapHome();
      const { openBudget } = extcapTiming(home);
      const out = join(home.home, 'live.pcapng');
      const count = 60;
      lab.seen.length = 0;
      const tshark = spawnTshark(
        home,
        netrxCapture(lab.url, lab.session, ['-c', String(count), '-w', out]),
      );
      try {
        await until(
          () => lab.openHandles() > 0 || tshark.finished,
          openBudget,
          'the extcap opening the session',
        );
        expect(tshark.finished, tshark.stderr).toBe(false);
        // Link frames flow until tshark has its count: a few exchanges at a time, as a live link.
        await feedUntilClosed(tshark, () => lab.traffic(3));
        expect(await tshark.exited, tshark.stderr).toBe(0);
      } finally {
        tshark.interrupt();
      }
      // tshark stops its extcap when the count is reached; the extcap lets go of the session.
      await until(() => lab.openHandles() === 0, 10_000, 'the extcap closing its handle');
      expect(lab.rundowns()).toBe(0); // closed, not cut off
      const frames = tsharkFrames(out);
      expect(frames).toHaveLength(count);
      expect(frames).toEqual(expected(lab.seen.slice(0, count)));
      expect(new Set(frames.map((f) => f.direction))).toEqual(
        new Set(['0x00000001', '0x00000002']),
      );
      expect(frames.some((f) => f.len > TRUNCATION)).toBe(true);
      expect(problems(out)).toEqual([]);
      const capinfos = run('capinfos', ['-c', '-E', out]);
      expect(capinfos.stdout).toMatch(new RegExp(`Number of packets:\\s+${count}\\b`));
      expect(capinfos.stdout).toMatch(/File encapsulation:\s+Ethernet/);
    },
    EXTCAP_TEST_TIMEOUT_MS,
  );
});

describe.skipIf(peers.skip)('capture extcap: a failure reaches tshark', () => {
  it(
    "an unknown session ends the capture at once with the extcap's line (it used to hang tshark)",
    async () => {
      const lab = await startCaptureLab('netrx-ce-known');
      const home = await extcapHome();
      const { openBudget } = extcapTiming(home);
      const tshark = spawnTshark(
        home,
        netrxCapture(lab.url, 'no-such-session', [
          '-c',
          '1',
          '-w',
          join(home.home, 'never.pcapng'),
        ]),
      );
      try {
        await until(() => tshark.finished, openBudget, 'tshark ending');
      } finally {
        tshark.interrupt();
        await lab.close();
      }
      expect(tshark.stderr).toContain(
        'netrx capture extcap: RpcNetEventOpenSession("no-such-session") failed: ERROR_NOT_FOUND (1168): No session named "no-such-session"',
      );
    },
    EXTCAP_TEST_TIMEOUT_MS,
  );
});

describe.skipIf(peers.skip)('capture extcap: tshark -i netrx -f FILTER', () => {
  it(
    'passes the capture filter to the extcap, which keeps only the matching frames',
    async () => {
      const lab = await startCaptureLab('netrx-ce-filter');
      const home = await extcapHome();
      const { openBudget } = extcapTiming(home);
      const out = join(home.home, 'icmp.pcapng');
      const count = 20;
      const tshark = spawnTshark(
        home,
        netrxCapture(lab.url, lab.session, [
          '-f',
          'icmp and not host 10.0.0.99',
          '-c',
          String(count),
          '-w',
          out,
        ]),
      );
      try {
        await until(
          () => lab.openHandles() > 0 || tshark.finished,
          openBudget,
          'the extcap opening',
        );
        await feedUntilClosed(tshark, () => lab.traffic(3));
        expect(await tshark.exited, tshark.stderr).toBe(0);
      } finally {
        tshark.interrupt();
        await until(() => lab.openHandles() === 0, 10_000, 'the extcap closing its handle');
        await lab.close();
      }
      // ICMP only: the echo requests and the stack's replies, in order, none of the ARP or UDP.
      const icmp = lab.seen.filter(
        (f) => f.data[12] === 0x08 && f.data[13] === 0 && f.data[23] === 1,
      );
      expect(icmp.length).toBeLessThan(lab.seen.length);
      expect(tsharkFrames(out)).toEqual(expected(icmp.slice(0, count)));
    },
    EXTCAP_TEST_TIMEOUT_MS,
  );
});

/** The Interface Statistics Blocks of a pcapng file as tshark's pcapng file dissector reads them. */
function tsharkIsbs(file: string): { ifrecv: number; ifdrop: number }[] {
  const result = run('tshark', ['-r', file, '-X', 'read_format:MIME Files Format', '-V']);
  expect(result.status, result.stderr).toBe(0);
  const isbs: { ifrecv: number; ifdrop: number }[] = [];
  for (const block of result.stdout.split(/^\s*Block: /m).slice(1)) {
    if (!block.startsWith('Interface Statistics Block')) continue;
    const value = (name: string) =>
      Number(new RegExp(`Option: ${name} = (\\d+)`).exec(block)?.[1] ?? NaN);
    isbs.push({
      ifrecv: value('Number of Received Packets'),
      ifdrop: value('Number of Dropped Packets'),
    });
  }
  return isbs;
}

/**
 * A lab whose session queues `maxBuffers` buffers of 4 KiB (about 20 packet
 * events each: a burst of hundreds overflows them), and tshark capturing
 * from it for `seconds` into `file`, once the extcap has opened the session.
 */
async function lossCapture(session: string, maxBuffers: number, seconds: number, file: string) {
  const lab = await startCaptureLab(session, { timerMs: 100, maxBuffers, bufferBytes: 4096 });
  const home = await extcapHome();
  const { openBudget, duration } = extcapTiming(home);
  const out = join(home.home, file);
  const tshark = spawnTshark(
    home,
    netrxCapture(lab.url, lab.session, ['-a', duration(seconds), '-w', out]),
  );
  try {
    await until(() => lab.openHandles() > 0, openBudget, `the extcap opening: ${tshark.stderr}`);
  } catch (error) {
    tshark.interrupt();
    await lab.close();
    throw error;
  }
  return { lab, out, tshark };
}

describe.skipIf(peers.skip)('capture extcap: loss reaches Wireshark', () => {
  it(
    'a loss no packet follows reaches the pcapng as an ISB (isb_ifdrop): written + dropped = seen',
    async () => {
      // One 4 KiB buffer holds about 20 packet events: a burst of hundreds overflows it.
      const { lab, out, tshark } = await lossCapture('netrx-ce-loss', 1, 4, 'loss.pcapng');
      try {
        // About 300 frames at once, and nothing after them: the loss is the last thing the
        // session reports, so no later packet can carry it as an epb_dropcount.
        lab.traffic(150);
        expect(await tshark.exited, tshark.stderr).toBe(0);
      } finally {
        tshark.interrupt();
        await lab.close();
      }
      // The loss went into the file, not the extcap's stderr: Wireshark shows that
      // as an error dialog (tshark relays it).
      expect(tshark.stderr).not.toContain('netrx capture extcap');
      const frames = tsharkFrames(out);
      const isbs = tsharkIsbs(out);
      const ours = isbs.filter((isb) => isb.ifdrop > 0);
      expect(ours.length, JSON.stringify(isbs)).toBeGreaterThan(0);
      const last = ours.at(-1) as { ifrecv: number; ifdrop: number };
      expect(last.ifdrop).toBeGreaterThan(0);
      expect(frames.length + last.ifdrop).toBe(lab.seen.length);
      expect(last.ifrecv).toBe(lab.seen.length);
      // What was written is the seen frames in order, less the dropped ones.
      const want = expected(lab.seen).map((f) => f.raw);
      let at = 0;
      for (const frame of frames) {
        while (at < want.length && want[at] !== frame.raw) at++;
        expect(at).toBeLessThan(want.length);
        at++;
      }
      expect(problems(out)).toEqual([]);
    },
    EXTCAP_TEST_TIMEOUT_MS,
  );

  it(
    "a loss followed by packets is also each next packet's frame.drop_count, at the place of the loss",
    async () => {
      // Several queued buffers: the loss follows the newest, not the oldest.
      const { lab, out, tshark } = await lossCapture('netrx-ce-loss2', 3, 5, 'loss2.pcapng');
      try {
        lab.traffic(150);
        await sleep(1000);
        for (let i = 0; i < 3; i++) {
          lab.traffic(2);
          await sleep(300);
        }
        expect(await tshark.exited, tshark.stderr).toBe(0);
      } finally {
        tshark.interrupt();
        await lab.close();
      }
      const result = run('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.drop_count']);
      expect(result.status, result.stderr).toBe(0);
      // One line per frame, empty where the frame has no drop count (kept: positions matter).
      const drops = result.stdout.replace(/\n$/, '').split('\n').map(Number);
      const frames = tsharkFrames(out);
      const dropped = drops.reduce((a, b) => a + b, 0);
      expect(dropped).toBeGreaterThan(0);
      expect(frames.length + dropped).toBe(lab.seen.length);
      // Each drop count sits exactly where the frames are missing: between two written
      // frames that occur once in what the host saw (ARP requests repeat; pings and UDP
      // datagrams do not), the seen frames not written equal the drop counts written there.
      const want = expected(lab.seen).map((f) => f.raw);
      const once = (raw: string) => want.indexOf(raw) === want.lastIndexOf(raw);
      let anchor = -1;
      let writtenSince = 0;
      let droppedSince = 0;
      frames.forEach((frame, i) => {
        droppedSince += drops[i] ?? 0;
        if (!once(frame.raw)) {
          writtenSince++;
          return;
        }
        const position = want.indexOf(frame.raw);
        expect(position).toBeGreaterThan(anchor);
        expect(position - anchor - 1 - writtenSince, `frame ${i + 1}`).toBe(droppedSince);
        anchor = position;
        writtenSince = 0;
        droppedSince = 0;
      });
    },
    EXTCAP_TEST_TIMEOUT_MS,
  );
});

describe.skipIf(peers.skip)('capture tail --pcapng from real packet events', () => {
  it('writes a pcapng tshark and capinfos read with no malformed frame, bytes truncated to 128', async () => {
    const lab = await startCaptureLab('netrx-ce-tail');
    const file = join(mkdtempSync(join(tmpdir(), 'ce-tail-')), 'tail.pcapng');
    const tail = io();
    const tailing = runCli(
      ['capture', 'tail', lab.url, '--session', lab.session, '--pcapng', file],
      tail.cli,
    );
    try {
      await until(() => lab.openHandles() > 0, 10_000, 'tail opening the session');
      for (let i = 0; i < 20; i++) {
        lab.traffic(3);
        await sleep(10);
      }
      const total = lab.seen.length;
      await until(() => tail.out.length >= total, 10_000, `tail printing ${total} events`);
    } finally {
      tail.stop();
    }
    expect(await tailing).toBe(0);
    await lab.close();
    expect(tail.out.at(-1)).toMatch(new RegExp(`\\[received ${lab.seen.length}, lost 0\\]$`));
    const frames = tsharkFrames(file);
    expect(frames.map(({ raw, len, capLen }) => ({ raw, len, capLen }))).toEqual(
      expected(lab.seen).map(({ raw, len, capLen }) => ({ raw, len, capLen })),
    );
    expect(problems(file)).toEqual([]);
    const capinfos = run('capinfos', ['-c', file]);
    expect(capinfos.stdout).toMatch(new RegExp(`Number of packets:\\s+${lab.seen.length}\\b`));
    // netrx's own reader agrees with tshark.
    const records: Uint8Array[] = [];
    for await (const record of readPcapFile(file)) records.push(record.data);
    expect(records.map(hex)).toEqual(frames.map((f) => f.raw));
    expect(readFileSync(file).length).toBeGreaterThan(0);
  }, 60_000);
});
