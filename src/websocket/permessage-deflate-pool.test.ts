import { describe, expect, it } from 'vitest';
import { concat, fromHex, toHex } from '../bytes/index.js';
import { zlibDeflateCodec } from '../node/websocket/zlib-codec.js';
import { createDeflateCodecPool } from './permessage-deflate-pool.js';
import { PerMessageDeflateSession } from './permessage-deflate.js';

const ascii = (text: string) => new TextEncoder().encode(text);
const TAIL = fromHex('0000ffff');

describe('createDeflateCodecPool', () => {
  it('hands a closed object to the next caller, reset', () => {
    const pool = createDeflateCodecPool(zlibDeflateCodec);
    const first = pool.createDeflater({ windowBits: 15 });
    expect(toHex(first.deflate(ascii('Hello')))).toBe('f248cdc9c907000000ffff');
    first.close();
    expect(pool.stats()).toEqual({ created: 1, reused: 0, freed: 0, idle: 1 });
    // Reset on the way back: no back-reference into the first user's data.
    const second = pool.createDeflater({ windowBits: 15 });
    expect(toHex(second.deflate(ascii('Hello')))).toBe('f248cdc9c907000000ffff');
    expect(pool.stats()).toEqual({ created: 1, reused: 1, freed: 0, idle: 0 });
    // The first handle no longer reaches the object.
    expect(() => first.deflate(ascii('x'))).toThrow(
      expect.objectContaining({ code: 'ERR_WS_DEFLATE_CLOSED' }) as Error,
    );
    first.close(); // twice is harmless
    second.close();
    pool.clear();
    expect(pool.stats()).toMatchObject({ idle: 0, freed: 1 });
  });

  it('keeps one kind per window bits, level and memLevel', () => {
    const pool = createDeflateCodecPool(zlibDeflateCodec);
    pool.createDeflater({ windowBits: 15 }).close();
    pool.createDeflater({ windowBits: 15, level: 1 }).close();
    pool.createInflater({ windowBits: 15 }).close();
    pool.createDeflater({ windowBits: 9 }).close();
    expect(pool.stats()).toMatchObject({ created: 4, idle: 4 });
    pool.createDeflater({ windowBits: 15, level: 1 }).close();
    expect(pool.stats()).toMatchObject({ created: 4, reused: 1 });
    pool.clear();
  });

  it('frees what a full pool cannot keep, and counts it', () => {
    const pool = createDeflateCodecPool(zlibDeflateCodec, { maxIdle: 2 });
    const inflaters = Array.from({ length: 5 }, () => pool.createInflater({ windowBits: 12 }));
    for (const inflater of inflaters) inflater.close();
    expect(pool.stats()).toEqual({ created: 5, reused: 0, freed: 3, idle: 2 });
    pool.clear();
    expect(pool.stats()).toEqual({ created: 5, reused: 0, freed: 5, idle: 0 });
    expect(() => createDeflateCodecPool(zlibDeflateCodec, { maxIdle: -1 })).toThrow(RangeError);
  });

  it('recovers an inflater that failed before giving it out again', () => {
    const pool = createDeflateCodecPool(zlibDeflateCodec);
    const broken = pool.createInflater({ windowBits: 15 });
    expect(broken.inflate(fromHex('ffff'), 100)).toMatchObject({ ok: false, reason: 'corrupt' });
    broken.close();
    const next = pool.createInflater({ windowBits: 15 });
    const result = next.inflate(concat([fromHex('f248cdc9c90700'), TAIL]), 100);
    expect(result.ok && concat(result.chunks)).toEqual(ascii('Hello'));
    next.close();
    pool.clear();
  });

  it('lets sessions without context takeover share one deflater and one inflater', () => {
    const pool = createDeflateCodecPool(zlibDeflateCodec);
    const params = {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    };
    const servers = Array.from(
      { length: 10 },
      () => new PerMessageDeflateSession({ params, role: 'server', codec: pool }),
    );
    const client = new PerMessageDeflateSession({ params, role: 'client', codec: pool });
    for (const [i, server] of servers.entries()) {
      const message = ascii(`message ${i} `.repeat(10));
      const result = client.inflate(server.deflate(message), true);
      expect(result.ok && concat(result.chunks)).toEqual(message);
      const reply = server.inflate(client.deflate(message), true);
      expect(reply.ok && concat(reply.chunks)).toEqual(message);
    }
    // Idle sessions hold nothing: everything waits in the pool.
    expect(pool.stats()).toEqual({ created: 2, reused: 38, freed: 0, idle: 2 });
    for (const session of [...servers, client]) session.close();
    pool.clear();
  });
});
