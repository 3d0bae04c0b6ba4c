import { NetrxError } from '../runtime/index.js';
import type {
  DeflateCodec,
  Deflater,
  DeflaterOptions,
  InflateResult,
  Inflater,
  InflaterOptions,
} from './deflate-codec.js';

/**
 * A `DeflateCodec` that recycles inflaters and deflaters instead of freeing
 * them, so that a session can give its compression objects back after every
 * message when no context takeover applies, and an idle connection holds none.
 *
 * Why: creating a zlib object and touching its fresh memory costs about as
 * much as compressing a small message with it (node:zlib, window 15, 80-byte
 * JSON: 3.8 µs to deflate and reset, 10.3 µs to create, deflate and free). A
 * reset object is as good as a new one: zlib's reset clears the hash chains
 * and forgets the window, so nothing of one connection's messages can leak
 * into another's output. Every call is synchronous, so one pool serves every
 * connection of a host.
 *
 * Bounded: at most `maxIdle` objects wait per kind (window bits, level,
 * memLevel); one given back to a full pool is freed, and counted.
 */

export interface DeflateCodecPoolOptions {
  /** Idle objects kept per kind (window bits, level, memLevel). Default 4. */
  readonly maxIdle?: number;
}

export interface DeflateCodecPoolStats {
  /** Objects the underlying codec created. */
  readonly created: number;
  /** Objects handed out again from the pool. */
  readonly reused: number;
  /** Objects given back to a full pool (or failing to reset), hence freed. */
  readonly freed: number;
  /** Objects waiting in the pool now. */
  readonly idle: number;
}

export interface PooledDeflateCodec extends DeflateCodec {
  stats(): DeflateCodecPoolStats;
  /** Frees every idle object (a host shutting down, or shedding memory). */
  clear(): void;
}

interface Closable {
  reset(): void;
  close(): void;
}

class Pool {
  private readonly idle = new Map<string, Closable[]>();
  created = 0;
  reused = 0;
  freed = 0;

  constructor(private readonly maxIdle: number) {}

  take<T extends Closable>(key: string, create: () => T): T {
    const waiting = this.idle.get(key)?.pop() as T | undefined;
    if (waiting !== undefined) {
      this.reused++;
      return waiting;
    }
    const made = create();
    this.created++;
    return made;
  }

  give(key: string, object: Closable): void {
    let list = this.idle.get(key);
    if (list === undefined) {
      list = [];
      this.idle.set(key, list);
    }
    if (list.length >= this.maxIdle) return this.free(object);
    try {
      object.reset(); // clears a failed inflater's error state too
    } catch {
      return this.free(object);
    }
    list.push(object);
  }

  private free(object: Closable): void {
    this.freed++;
    object.close();
  }

  idleCount(): number {
    let count = 0;
    for (const list of this.idle.values()) count += list.length;
    return count;
  }

  clear(): void {
    for (const list of this.idle.values()) {
      for (const object of list.splice(0)) this.free(object);
    }
  }
}

function closedError(what: string): NetrxError {
  return new NetrxError(
    'ERR_WS_DEFLATE_CLOSED',
    `Cannot use this ${what}: it was closed (and given back to its pool)`,
  );
}

class PooledInflater implements Inflater {
  constructor(
    private inner: Inflater | undefined,
    private readonly pool: Pool,
    private readonly key: string,
  ) {}

  inflate(data: Uint8Array, maxOutputLength: number, endOfMessage = false): InflateResult {
    if (this.inner === undefined) throw closedError('inflater');
    return this.inner.inflate(data, maxOutputLength, endOfMessage);
  }

  reset(): void {
    if (this.inner === undefined) throw closedError('inflater');
    this.inner.reset();
  }

  close(): void {
    if (this.inner === undefined) return;
    this.pool.give(this.key, this.inner);
    this.inner = undefined;
  }
}

class PooledDeflater implements Deflater {
  constructor(
    private inner: Deflater | undefined,
    private readonly pool: Pool,
    private readonly key: string,
  ) {}

  deflate(data: Uint8Array): Uint8Array {
    if (this.inner === undefined) throw closedError('deflater');
    return this.inner.deflate(data);
  }

  reset(): void {
    if (this.inner === undefined) throw closedError('deflater');
    this.inner.reset();
  }

  close(): void {
    if (this.inner === undefined) return;
    this.pool.give(this.key, this.inner);
    this.inner = undefined;
  }
}

/** Wraps `codec` so that `close()` gives objects back for reuse. Throws `RangeError` on a bad `maxIdle`. */
export function createDeflateCodecPool(
  codec: DeflateCodec,
  options: DeflateCodecPoolOptions = {},
): PooledDeflateCodec {
  const maxIdle = options.maxIdle ?? 4;
  if (!Number.isInteger(maxIdle) || maxIdle < 0) {
    throw new RangeError(`maxIdle must be an integer >= 0: got ${String(maxIdle)}`);
  }
  const pool = new Pool(maxIdle);
  return {
    createInflater(inflaterOptions: InflaterOptions): Inflater {
      const key = `inflate/${inflaterOptions.windowBits}`;
      const inner = pool.take(key, () => codec.createInflater(inflaterOptions));
      return new PooledInflater(inner, pool, key);
    },
    createDeflater(deflaterOptions: DeflaterOptions): Deflater {
      const { windowBits, level, memLevel } = deflaterOptions;
      const key = `deflate/${windowBits}/${String(level)}/${String(memLevel)}`;
      const inner = pool.take(key, () => codec.createDeflater(deflaterOptions));
      return new PooledDeflater(inner, pool, key);
    },
    // Pooling reuses the objects, not their output memory.
    ...(codec.stableOutput === true ? { stableOutput: true } : {}),
    stats: () => ({
      created: pool.created,
      reused: pool.reused,
      freed: pool.freed,
      idle: pool.idleCount(),
    }),
    clear: () => pool.clear(),
  };
}
