// The RPC server core under drawn operations: delivered + reported lost =
// generated through any mix of emits, receives, timer ticks and a final
// drop; and any bytes at all, after or instead of a bind, never throw and
// never grow the connection's buffers past its limits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TestPeer, flush, receiveContents, rpcSetup } from '../support/capture-rpc-kit.js';
import { LrecRpcClient } from '../../src/capture/index.js';

describe('capture RPC properties', () => {
  it('delivered + lost = generated, in order, for any drawn session limits and operations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxBuffers: fc.integer({ min: 1, max: 4 }),
          bufferBytes: fc.constantFrom(4096, 8192),
          eventsPerBuffer: fc.integer({ min: 0, max: 40 }),
          timerMs: fc.integer({ min: 100, max: 1000 }),
        }),
        fc.constantFrom(1432, 4280, 5840),
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('emit' as const), n: fc.integer({ min: 0, max: 120 }) }),
            fc.record({ op: fc.constant('receive' as const) }),
            fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1200 }) }),
          ),
          { maxLength: 40 },
        ),
        async (limits, frag, ops) => {
          const { server, synthetic, clock } = rpcSetup({ limits });
          const peer = new TestPeer(server, new LrecRpcClient({ maxFragLength: frag }));
          peer.bind();
          const { handle } = peer.open();
          const seen: number[] = [];
          let lost = 0;
          const drain = () => {
            for (let a = peer.take(); a !== undefined; a = peer.take()) {
              const got = receiveContents(a);
              if (got.status !== 0) continue; // a refused second receive
              seen.push(...got.seqs);
              lost += got.lost;
            }
          };
          for (const step of ops) {
            if (step.op === 'emit') synthetic.emit(step.n);
            else if (step.op === 'receive') peer.write(peer.client.receive(handle).bytes);
            else clock.advance(step.ms);
            await flush();
            drain();
          }
          // Collect what remains: keep receiving until a buffer comes back empty-handed.
          for (let i = 0; i < 100; i++) {
            peer.write(peer.client.receive(handle).bytes);
            clock.advance(limits.timerMs);
            await flush();
            const before = seen.length + lost;
            drain();
            if (seen.length + lost === synthetic.generated && before === seen.length + lost) break;
          }
          expect(seen.length + lost).toBe(synthetic.generated);
          for (let i = 1; i < seen.length; i++) {
            expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('any bytes, with or without a bind first, never throw and stay within the buffer limits', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 8 }),
        fc.boolean(),
        (bindFirst, chunks, plausible) => {
          const { server } = rpcSetup();
          const peer = new TestPeer(server);
          if (bindFirst) peer.bind();
          for (const chunk of chunks) {
            if (plausible && chunk.length >= 16) chunk.set([5, 0, 0, 3, 0x10, 0, 0, 0]);
            peer.write(chunk);
            expect(peer.connection.bufferedBytes).toBeLessThanOrEqual(5840 + 16_384);
          }
          if (!peer.closedByServer) peer.connection.closed();
          expect(server.stats().connections).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
