/**
 * A publisher thread of bench/experiments/fanin-window.ts: bench/support/cluster-worker.ts,
 * with the batch buffer pool capped at `poolKeep` free buffers when the
 * experiment asks (the publisher before perf16c kept 8), so both pools are
 * measured in the same run. The cap is a patch of this thread's module only.
 */
import { workerData } from 'node:worker_threads';
import { BatchBufferPool } from '../../src/node/cluster/batch-writer.js';

const keep = (workerData as { readonly poolKeep?: number }).poolKeep;
if (keep !== undefined) {
  const proto = BatchBufferPool.prototype as unknown as Record<string, unknown>;
  const give = proto['give'] as (this: BatchBufferPool, bytes: Uint8Array) => void;
  proto['give'] = function (this: BatchBufferPool, bytes: Uint8Array) {
    if (this.held < keep) give.call(this, bytes);
  };
}
await import('../support/cluster-worker.js');
