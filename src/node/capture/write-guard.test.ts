// The RPC server's slow-reader guard on a virtual clock, with a fake socket
// whose queue the test drains by hand.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { guardWrites, type GuardedSocket, type WriteCut } from './write-guard.js';

class FakeSocket implements GuardedSocket {
  writableLength = 0;
  bytesWritten = 0;
  destroyed = false;
  write(bytes: Uint8Array): boolean {
    this.writableLength += bytes.length;
    this.bytesWritten += bytes.length;
    return this.writableLength === 0;
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** The peer read `n` bytes. */
  drain(n: number): void {
    this.writableLength -= Math.min(n, this.writableLength);
  }
}

function setup(maxBytes = 1000, stallMs = 500) {
  const clock = new VirtualClock();
  const socket = new FakeSocket();
  const cuts: WriteCut[] = [];
  const guard = guardWrites(socket, { maxBytes, stallMs, clock, onCut: (r) => cuts.push(r) });
  return { clock, socket, cuts, guard };
}

describe('RPC write guard', () => {
  it('cuts a peer whose queued bytes make no progress for stallMs, under the backlog bound', () => {
    const { clock, socket, cuts, guard } = setup();
    guard.write(new Uint8Array(32)); // one fault, never read
    clock.advance(499);
    expect(socket.destroyed).toBe(false);
    clock.advance(1);
    expect(cuts).toEqual(['write-stall']);
    expect(socket.destroyed).toBe(true);
  });

  it('keeps a slow reader that makes progress, and one whose queue emptied', () => {
    const { clock, socket, cuts, guard } = setup();
    guard.write(new Uint8Array(600));
    for (let i = 0; i < 10; i++) {
      clock.advance(400);
      socket.drain(10); // slow, but progress each period
      guard.write(new Uint8Array(10));
    }
    socket.drain(10_000);
    clock.advance(10_000);
    expect(cuts).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('cuts at once past the backlog bound, once, and dispose cancels the deadline', () => {
    const { clock, socket, cuts, guard } = setup(100);
    guard.write(new Uint8Array(101));
    guard.write(new Uint8Array(1));
    expect(cuts).toEqual(['write-backlog']);
    expect(socket.destroyed).toBe(true);
    const other = setup();
    other.guard.write(new Uint8Array(1));
    other.guard.dispose();
    other.clock.advance(10_000);
    expect(other.cuts).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never holds more than maxBytes, nor a stopped queue for two periods (settings drawn)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('write' as const), n: fc.integer({ min: 1, max: 300 }) }),
            fc.record({ kind: fc.constant('read' as const), n: fc.integer({ min: 0, max: 300 }) }),
            fc.record({ kind: fc.constant('wait' as const), n: fc.integer({ min: 0, max: 3000 }) }),
          ),
          { maxLength: 60 },
        ),
        (maxBytes, stallMs, ops) => {
          const { clock, socket, cuts, guard } = setup(maxBytes, stallMs);
          let stalledSince: number | undefined;
          for (const op of ops) {
            if (socket.destroyed) break;
            if (op.kind === 'write') guard.write(new Uint8Array(op.n));
            else if (op.kind === 'read') {
              if (op.n > 0 && socket.writableLength > 0) stalledSince = undefined;
              socket.drain(op.n);
            } else clock.advance(op.n);
            if (socket.destroyed) break;
            expect(socket.writableLength).toBeLessThanOrEqual(maxBytes);
            if (socket.writableLength === 0) stalledSince = undefined;
            else stalledSince ??= clock.now();
            // A stopped reader is cut within two periods of its last progress.
            if (stalledSince !== undefined)
              expect(clock.now() - stalledSince).toBeLessThan(2 * stallMs);
          }
          expect(cuts.length).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});
