/**
 * The RPC server's bound on a peer that stops reading. Two rules, both
 * checked on what node:net still holds in user space (the kernel's send
 * buffer is bounded by the kernel):
 *
 * - backlog: more than `maxBytes` queued → cut at once;
 * - write progress: bytes queued and none of them flushed for `stallMs` →
 *   cut. The idle deadline counts input only, so without this a peer that
 *   pipelines calls and never reads kept its connection (and up to the
 *   backlog bound of memory) for as long as it kept sending.
 *
 * A conforming client has one Receive outstanding per handle, so a few
 * EVENT_BUFFERs (≤ 64 KiB each) plus small faults is all it ever has queued.
 */
import type { Clock, Timer } from '../../runtime/index.js';

/** What the guard reads of a socket (node:net's Socket has all of it). */
export interface GuardedSocket {
  readonly writableLength: number;
  /** Bytes accepted by write(), including those still queued (node:net's meaning). */
  readonly bytesWritten: number;
  readonly destroyed: boolean;
  write(bytes: Uint8Array): boolean;
  destroy(): void;
}

export type WriteCut = 'write-backlog' | 'write-stall';

export interface WriteGuardOptions {
  readonly maxBytes: number;
  /** 0 = off. */
  readonly stallMs: number;
  readonly clock: Clock;
  /** Called once, before the socket is destroyed. */
  readonly onCut: (reason: WriteCut) => void;
}

export interface WriteGuard {
  write(bytes: Uint8Array): void;
  /** The socket closed: cancel the deadline. */
  dispose(): void;
}

export function guardWrites(socket: GuardedSocket, options: WriteGuardOptions): WriteGuard {
  let timer: Timer | undefined;
  let flushedAtArm = 0;
  let cut = false;
  const flushed = (): number => socket.bytesWritten - socket.writableLength;
  const cutOff = (reason: WriteCut): void => {
    if (cut) return;
    cut = true;
    timer?.cancel();
    timer = undefined;
    options.onCut(reason);
    socket.destroy();
  };
  const arm = (): void => {
    flushedAtArm = flushed();
    timer = options.clock.setTimer(options.stallMs, () => {
      timer = undefined;
      if (cut || socket.destroyed || socket.writableLength === 0) return;
      // Some bytes left user space since the deadline was armed: a slow
      // reader, not a stopped one; give it another period.
      if (flushed() > flushedAtArm) arm();
      else cutOff('write-stall');
    });
  };
  return {
    write(bytes) {
      if (cut || socket.destroyed) return;
      socket.write(bytes);
      if (socket.writableLength > options.maxBytes) cutOff('write-backlog');
      else if (socket.writableLength > 0 && timer === undefined && options.stallMs > 0) arm();
    },
    dispose() {
      timer?.cancel();
      timer = undefined;
    },
  };
}
