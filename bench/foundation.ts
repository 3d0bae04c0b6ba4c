/**
 * Foundation benchmarks: the posted-receive model against Node's own queue
 * between a producer and a consumer (a Readable stream in object mode), and
 * tracing against Node's diagnostics_channel, each in the same run.
 *
 *   npm run bench -- foundation
 */
import { Readable } from 'node:stream';
import diagnostics from 'node:diagnostics_channel';
import { Receiver } from '../src/receive/index.js';
import { defineEvent, TraceRegistry } from '../src/trace/index.js';
import { systemClock } from '../src/node/runtime/index.js';
import { compare } from './harness.js';

const message = new Uint8Array(16);

// 1. Push one message, receive it (synchronous completion), 1 M times.
const receiver = new Receiver({ clock: systemClock });
const readable = new Readable({ objectMode: true, read() {}, highWaterMark: 1024 });
await compare(
  'receive: push then receive, sync',
  {
    name: 'netrx Receiver',
    run(n) {
      for (let i = 0; i < n; i++) {
        receiver.push(message, undefined);
        if (receiver.receive().result?.status !== 'data') throw new Error('lost');
      }
    },
  },
  {
    name: 'stream.Readable',
    run(n) {
      for (let i = 0; i < n; i++) {
        readable.push(message);
        if (readable.read() !== message) throw new Error('lost');
      }
    },
  },
  1_000_000,
);

// 2. A consumer awaiting each message as the producer pushes it.
await compare(
  'receive: post, push, await completion',
  {
    name: 'netrx Receiver',
    async run(n) {
      for (let i = 0; i < n; i++) {
        const op = receiver.receive();
        receiver.push(message, undefined);
        await op.done;
      }
    },
  },
  {
    name: 'Readable async iterator',
    async run(n) {
      const stream = new Readable({ objectMode: true, read() {} });
      const iterator = stream[Symbol.asyncIterator]();
      for (let i = 0; i < n; i++) {
        const next = iterator.next();
        stream.push(message);
        await next;
      }
      stream.destroy();
    },
  },
  200_000,
);

// 3. Tracing with nobody listening: the cost every hot path pays.
const registry = new TraceRegistry({ clock: systemClock });
const provider = registry.register({ guid: '00000000-0000-0000-0000-0000000000be', name: 'bench' });
const event = defineEvent({
  id: 1,
  name: 'Frame',
  level: 5,
  keywords: 1n,
  fields: [{ name: 'length', type: 'u32' }],
});
const channel = diagnostics.channel('netrx-bench');
const emitNetrx = {
  name: 'netrx TraceProvider',
  run(n: number) {
    for (let i = 0; i < n; i++) provider.emit(event, { length: i });
  },
};
const emitDiagnostics = {
  name: 'diagnostics_channel',
  run(n: number) {
    for (let i = 0; i < n; i++) if (channel.hasSubscribers) channel.publish({ length: i });
  },
};
await compare('trace: emit with no listener', emitNetrx, emitDiagnostics, 10_000_000);

// 4. Tracing with one listener: encode the payload and deliver it.
let seen = 0;
registry.enable('bench', () => seen++, { level: 5 });
const onMessage = () => seen++;
channel.subscribe(onMessage);
await compare('trace: emit to one listener', emitNetrx, emitDiagnostics, 1_000_000);
channel.unsubscribe(onMessage);
process.stdout.write(`(delivered ${seen} events)\n`);
