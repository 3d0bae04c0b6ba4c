/**
 * Experiment (issue 8, large messages): what the socket read path costs a
 * minimal WebSocket echo server at 1 MiB, driven by the bench's lean client.
 * Not a benchmark of netrx: four tiny servers that differ only in how reads
 * reach the message, so the read path's share is visible.
 *
 *   data    'data' events (a fresh 64 KiB Buffer per read), the message's
 *           reads held as views and gathered once (what ws does)
 *   pieces  'data' events, the views written back as they are (no gather:
 *           what netrx's echoConnection does with binaryType 'fragments')
 *   onread  the upgraded socket re-wrapped as new net.Socket({ handle,
 *           onread: { buffer: <one shared 64 KiB>, callback } }), each read
 *           copied into a message buffer sized from the header
 *   direct  re-wrapped with onread's buffer *function*: while a payload is
 *           arriving it returns the message buffer's unfilled tail, so reads
 *           land in the message (no copy, no per-read allocation)
 *
 * Run: `npx tsc -p tsconfig.bench.json`, then
 * `MODE=direct node bench/experiments/websocket-read-path.mjs` (SIZE,
 * CONNS); `MODE=netrx` or `MODE=ws` drives the bench's own netrx or ws
 * server instead. Prints server CPU per MiB echoed (the client's count)
 * over 3 s after 1 s of warm-up.
 * The servers skip what a real one must do (UTF-8, limits, close); the
 * `pieces` unmask ignores the mask phase of each piece (the lean client
 * counts headers only, so the bytes echoed do not matter here).
 */
import { Buffer } from 'node:buffer';
import { fork } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);
const bufferutil = require('bufferutil');
const MODE = process.env.MODE ?? 'data';
const SIZE = Number(process.env.SIZE ?? 1048576);
const CONNS = Number(process.env.CONNS ?? 1);
/** `MODE=netrx|ws`: the bench's own servers (`websocket.js server STACK 0`), for comparison. */
const REAL = MODE === 'netrx' || MODE === 'ws';
const self = new URL(import.meta.url).pathname;

if (process.argv[2] === 'client') {
  const lean = new URL('../../dist-bench/bench/support/lean-ws-client.js', import.meta.url);
  const { leanEchoClients, maskedBinaryFrame } = await import(lean.href);
  const frame = maskedBinaryFrame(Buffer.alloc(SIZE, 7));
  let echoes = 0;
  await leanEchoClients('127.0.0.1', Number(process.argv[3]), CONNS, 2, frame, (c) => {
    echoes += c;
  });
  process.on('message', (m) => {
    if (m === 'count') process.send?.(echoes);
    if (m === 'exit') process.exit(0);
  });
  process.send?.('ready');
} else if (process.argv[2] === 'server') {
  serve();
} else {
  await drive();
}

function serve() {
  const shared = Buffer.allocUnsafe(65536);
  const server = http.createServer();
  server.on('upgrade', (_req, socket, head) => {
    let s = socket;
    const st = { hdr: Buffer.alloc(14), hl: 0, need: -1, len: 0, mask: Buffer.alloc(4) };
    st.parts = [];
    st.got = 0;
    st.msg = null;
    const finish = (lend) => {
      const pieces = MODE === 'pieces';
      let msg = st.msg;
      if (lend && !pieces) msg = st.parts.length === 1 ? st.parts[0] : Buffer.concat(st.parts);
      if (pieces) for (const p of st.parts) bufferutil.mask(p, st.mask, p, 0, p.length);
      else bufferutil.unmask(msg, st.mask);
      const h = Buffer.allocUnsafe(10);
      h[0] = 0x82;
      h[1] = 127;
      h.writeBigUInt64BE(BigInt(st.len), 2);
      s.cork();
      s.write(h);
      if (pieces) for (const p of st.parts) s.write(p);
      else s.write(msg);
      s.uncork();
      st.need = -1;
      st.hl = 0;
      st.msg = null;
      st.parts = [];
    };
    const onBytes = (chunk, lend) => {
      let off = 0;
      while (off < chunk.length) {
        if (st.need < 0) {
          while (off < chunk.length && st.hl < 2) st.hdr[st.hl++] = chunk[off++];
          if (st.hl < 2) return;
          const l7 = st.hdr[1] & 127;
          const hlen = 2 + (l7 === 126 ? 2 : l7 === 127 ? 8 : 0) + 4;
          while (off < chunk.length && st.hl < hlen) st.hdr[st.hl++] = chunk[off++];
          if (st.hl < hlen) return;
          st.len =
            l7 === 126
              ? st.hdr.readUInt16BE(2)
              : l7 === 127
                ? Number(st.hdr.readBigUInt64BE(2))
                : l7;
          st.hdr.copy(st.mask, 0, hlen - 4, hlen);
          st.need = st.len;
          st.parts = [];
          st.got = 0;
          if (!lend) st.msg = Buffer.allocUnsafe(st.len);
        }
        const take = Math.min(st.need, chunk.length - off);
        if (lend) st.parts.push(chunk.subarray(off, off + take));
        else chunk.copy(st.msg, st.got, off, off + take);
        st.got += take;
        st.need -= take;
        off += take;
        if (st.need === 0) finish(lend);
      }
    };
    const rewrap = (onread) => {
      const handle = socket._handle;
      socket._handle = null;
      socket.destroy();
      return new net.Socket({ handle, onread });
    };
    if (MODE === 'direct') {
      s = rewrap({
        buffer: () =>
          st.need > 0 && st.msg !== null
            ? st.msg.subarray(st.got, st.got + Math.min(st.need, 262144))
            : shared,
        callback: (n, buf) => {
          if (buf === shared) {
            onBytes(shared.subarray(0, n), false);
            return;
          }
          st.got += n;
          st.need -= n;
          if (st.need === 0) finish(false);
        },
      });
    } else if (MODE === 'onread') {
      s = rewrap({ buffer: shared, callback: (n) => onBytes(shared.subarray(0, n), false) });
    } else {
      socket.on('data', (c) => onBytes(c, true));
    }
    s.setNoDelay(true);
    s.on('error', () => {});
    s.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    );
    if (head.length > 0) onBytes(head, MODE === 'data' || MODE === 'pieces');
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
  process.on('message', (m) => {
    if (m === 'usage') {
      const c = process.cpuUsage();
      process.send?.({ cpu: c.user + c.system });
    }
    if (m === 'exit') process.exit(0);
  });
}

async function drive() {
  const ask = (child, m) =>
    new Promise((r) => {
      child.once('message', r);
      child.send(m);
    });
  const bench = new URL('../../dist-bench/bench/websocket.js', import.meta.url).pathname;
  const server = REAL ? fork(bench, ['server', MODE, '0']) : fork(self, ['server']);
  const { port } = await new Promise((r) => server.once('message', r));
  const client = fork(self, ['client', String(port)]);
  await new Promise((r) => client.once('message', r));
  const usage = async () => {
    const u = await ask(server, REAL ? { type: 'usage' } : 'usage');
    const echoes = await ask(client, 'count');
    return { cpu: u.cpu, bytes: echoes * SIZE };
  };
  await sleep(1000);
  const a = await usage();
  const t0 = performance.now();
  await sleep(3000);
  const b = await usage();
  const seconds = (performance.now() - t0) / 1000;
  const mib = (b.bytes - a.bytes) / 1048576;
  const cpuMs = (b.cpu - a.cpu) / 1000;
  const row = { mode: MODE, size: SIZE, conns: CONNS };
  row.MBps = Math.round((mib * 1.048576) / seconds);
  row.cpuMsPerMiB = Number((cpuMs / mib).toFixed(3));
  row.serverCpuPct = Math.round(cpuMs / 10 / seconds);
  console.log(JSON.stringify(row));
  server.send(REAL ? { type: 'exit' } : 'exit');
  client.send('exit');
}
