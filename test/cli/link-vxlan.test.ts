import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { concat, fromHex } from '../../src/bytes/index.js';
import { runCli, type CliIo } from '../../src/cli/index.js';
import { ethernetFrame, icmpv4Echo, ipv4Datagram } from '../../src/testing/index.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-cli-vxlan-'));
const VXLAN_42 = fromHex('08 00 00 00 00 00 2a 00');
// An ARP request for 10.200.0.2 from 10.200.0.1.
const ARP = fromHex(
  'ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01 02 00 00 00 00 01 0a c8 00 01 00 00 00 00 00 00 0a c8 00 02',
);

const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) await new Promise<void>((r) => socket.close(() => r()));
});

async function socketOn(address: string): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  sockets.push(socket);
  return socket;
}

/** Runs a long-lived command in process; `stop()` plays Ctrl-C. */
function running(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const waiter of waiters.splice(0)) {
      if (waiter.test()) waiter.resolve();
      else waiters.push(waiter);
    }
  };
  const io: CliIo = {
    out: (line) => {
      out.push(line);
      check();
    },
    err: (line) => {
      err.push(line);
      check();
    },
    untilStopped: () => stopped,
  };
  const exit = runCli(args, io);
  const until = (test: () => boolean) =>
    test() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ test, resolve }));
  return { out, err, exit, stop, until };
}

/** A UDP port free a moment ago (--bind wants a real port). */
async function freePort(): Promise<number> {
  const probe = createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('netrx link vxlan', () => {
  it('accepts the --remote and --allow-source addresses only, and counts the rest', async () => {
    const remote = await socketOn('127.0.0.1');
    const foreign = await socketOn('127.0.0.2');
    const extra = await socketOn('127.0.0.3');
    const linkPort = await freePort();
    const cli = running([
      'link',
      'vxlan',
      '--bind',
      `127.0.0.1:${linkPort}`,
      '--remote',
      `127.0.0.1:${remote.address().port}`,
      '--allow-source',
      '127.0.0.3',
      '--vni',
      '42',
      '--mac',
      '02:00:00:00:00:02',
      '--ip',
      '10.200.0.2/24',
    ]);
    await cli.until(() => cli.out.includes('ready'));
    expect(cli.out[0]).toContain('allowed sources 127.0.0.1 127.0.0.3');
    for (const socket of [foreign, extra, remote]) {
      await new Promise<void>((resolve) =>
        socket.send(concat([VXLAN_42, ARP]), linkPort, '127.0.0.1', () => resolve()),
      );
    }
    // netrx answers each accepted ARP request to the remote: two replies.
    let replies = 0;
    remote.on('message', () => void replies++);
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (replies >= 2) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    cli.stop();
    expect(await cli.exit).toBe(0);
    const stats = JSON.parse(cli.out.at(-1) ?? '{}') as { datagrams: number; dropped: object };
    expect(stats.datagrams).toBe(3);
    expect(stats.dropped).toMatchObject({ foreignSource: 1 });
  });

  it('--mtu 1500 answers a 1500-byte ping in one frame (the default 1450 drops it as a giant)', async () => {
    const remote = await socketOn('127.0.0.1');
    const linkPort = await freePort();
    const cli = running([
      'link',
      'vxlan',
      '--bind',
      `127.0.0.1:${linkPort}`,
      '--remote',
      `127.0.0.1:${remote.address().port}`,
      '--vni',
      '42',
      '--mac',
      '02:00:00:00:00:02',
      '--ip',
      '10.200.0.2/24',
      '--mtu',
      '1500',
    ]);
    await cli.until(() => cli.out.includes('ready'));
    // 20 + 8 + 1472: a 1500-byte IP packet, as `ping -s 1472` sends.
    const ping = ethernetFrame(
      '02:00:00:00:00:02',
      '02:00:00:00:00:01',
      0x0800,
      ipv4Datagram({
        source: '10.200.0.1',
        destination: '10.200.0.2',
        protocol: 1,
        payload: icmpv4Echo(8, 1, 1, new Uint8Array(1472)),
      }),
    );
    expect(ping.length).toBe(1514);
    // The first datagram that carries IPv4 ICMP (the stack's ARP and ND announcements come too).
    const reply = new Promise<Buffer>((resolve) =>
      remote.on('message', (message: Buffer) => {
        if (message[8 + 12] === 0x08 && message[8 + 13] === 0 && message[8 + 14 + 9] === 1)
          resolve(message);
      }),
    );
    remote.send(concat([VXLAN_42, ping]), linkPort, '127.0.0.1');
    const datagram = await reply;
    expect(datagram.length).toBe(8 + 1514);
    expect(datagram[8 + 14 + 20]).toBe(0); // echo reply
    cli.stop();
    expect(await cli.exit).toBe(0);
  });

  it('refuses an --mtu out of range, in one line', async () => {
    const err: string[] = [];
    const io: CliIo = {
      out: () => {},
      err: (l) => err.push(l),
      untilStopped: () => Promise.resolve(),
    };
    const code = await runCli(
      [
        'link',
        'vxlan',
        '--bind',
        '127.0.0.1:4789',
        '--remote',
        '127.0.0.1:4789',
        '--vni',
        '42',
        '--mac',
        '02:00:00:00:00:02',
        '--ip',
        '10.200.0.2/24',
        '--mtu',
        '70000',
      ],
      io,
    );
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/--mtu: expected an integer from 68 to 65535, got "70000"/);
  });

  it('refuses an --allow-source that is not an IP address, in one line', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      untilStopped: () => Promise.resolve(),
    };
    const code = await runCli(
      [
        'link',
        'vxlan',
        '--bind',
        '127.0.0.1:4789',
        '--remote',
        '127.0.0.1:4789',
        '--allow-source',
        'vtep.example',
        '--vni',
        '42',
        '--mac',
        '02:00:00:00:00:02',
        '--ip',
        '10.200.0.2/24',
      ],
      io,
    );
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/--allow-source: not an IP address: "vtep\.example"/);
  });

  it('says on stderr when writing the capture fails, runs on, and exits 1', async () => {
    const fifo = join(dir, 'gone.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // A reader that takes what is written at the start and then goes away.
    const reader = (async () => {
      const handle = await open(fifo, 'r');
      // Past the section and interface blocks (about 100 bytes), into the first frames.
      for (let total = 0; total < 160;) {
        const { bytesRead } = await handle.read(new Uint8Array(65536), 0, 65536, null);
        if (bytesRead === 0) break;
        total += bytesRead;
      }
      await handle.close();
    })();
    const remote = await socketOn('127.0.0.1');
    const linkPort = await freePort();
    const cli = running([
      'link',
      'vxlan',
      '--bind',
      `127.0.0.1:${linkPort}`,
      '--remote',
      `127.0.0.1:${remote.address().port}`,
      '--vni',
      '42',
      '--mac',
      '02:00:00:00:00:02',
      '--ip',
      '10.200.0.2/24',
      '--pcap',
      fifo,
    ]);
    await cli.until(() => cli.out.includes('ready'));
    await reader;
    // Each ARP request makes two records (in and out): the first write after the reader left fails.
    const poke = setInterval(() => remote.send(concat([VXLAN_42, ARP]), linkPort, '127.0.0.1'), 10);
    await cli.until(() => cli.err.length > 0);
    clearInterval(poke);
    expect(cli.err).toEqual([
      `netrx link vxlan: Cannot write to ${fifo}: EPIPE; the capture stopped`,
    ]);
    cli.stop();
    expect(await cli.exit).toBe(1);
    const stats = JSON.parse(cli.out.at(-1) ?? '{}') as {
      capture: { error: string; dropped: { afterError: number } };
    };
    expect(stats.capture.error).toBe(`Cannot write to ${fifo}: EPIPE`);
    expect(stats.capture.dropped.afterError).toBeGreaterThan(0);
  });
});
