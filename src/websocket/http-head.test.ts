import { describe, expect, it } from 'vitest';
import { HttpHeadParser, encodeHead, headerList, headerValue } from './http-head.js';

const bytesOf = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const REQUEST =
  'GET /chat?x=1 HTTP/1.1\r\nHost: a.example\r\nX-Multi: one\r\nx-multi:  two \r\n\r\n';

describe('HttpHeadParser', () => {
  it('parses a request head in one chunk and returns the bytes after it as a view', () => {
    const chunk = bytesOf(REQUEST + '\x81\x00');
    const step = new HttpHeadParser('request').push(chunk);
    expect(step.state).toBe('complete');
    if (step.state !== 'complete') return;
    expect(step.head).toEqual({
      kind: 'request',
      method: 'GET',
      target: '/chat?x=1',
      minorVersion: 1,
      headers: [
        ['Host', 'a.example'],
        ['X-Multi', 'one'],
        ['x-multi', 'two'],
      ],
    });
    expect(Array.from(step.rest)).toEqual([0x81, 0x00]);
    expect(step.rest.buffer).toBe(chunk.buffer);
    expect(headerValue(step.head.headers, 'X-MULTI')).toBe('one, two');
    expect(headerList(step.head.headers, 'x-multi')).toEqual(['one', 'two']);
  });

  it('gives the same result however the head is split', () => {
    const bytes = bytesOf(REQUEST + 'tail');
    for (let a = 0; a <= bytes.length; a++) {
      const parser = new HttpHeadParser('request');
      const first = parser.push(bytes.subarray(0, a));
      const completedFirst = first.state !== 'incomplete';
      const step = completedFirst ? first : parser.push(bytes.subarray(a));
      expect(step.state, `split at ${a}`).toBe('complete');
      if (step.state === 'complete') {
        expect(step.head.target).toBe('/chat?x=1');
        // Bytes after the head: what came back, plus what was never pushed.
        const after =
          String.fromCharCode(...step.rest) +
          (completedFirst ? String.fromCharCode(...bytes.subarray(a)) : '');
        expect(after).toBe('tail');
      }
    }
    const parser = new HttpHeadParser('request');
    let last;
    for (const b of bytes.subarray(0, bytes.length - 4)) last = parser.push(new Uint8Array([b]));
    expect(last?.state).toBe('complete');
  });

  it('parses a status line with or without a reason', () => {
    for (const line of ['HTTP/1.1 101 Switching Protocols', 'HTTP/1.1 101 ', 'HTTP/1.1 101']) {
      const step = new HttpHeadParser('response').push(
        bytesOf(`${line}\r\nUpgrade: websocket\r\n\r\n`),
      );
      expect(step.state).toBe('complete');
      if (step.state === 'complete') expect(step.head.status).toBe(101);
    }
  });

  it('bounds the head size and the header count with 431', () => {
    const big = new HttpHeadParser('request', { maxHeadSize: 64 });
    expect(big.push(bytesOf('GET / HTTP/1.1\r\nX: ' + 'a'.repeat(30))).state).toBe('incomplete');
    const step = big.push(bytesOf('a'.repeat(30) + '\r\n\r\n'));
    expect(step).toMatchObject({
      state: 'failed',
      failure: { code: 'http-head-too-large', status: 431 },
    });
    expect(() => big.push(bytesOf('x'))).toThrow(
      expect.objectContaining({ code: 'ERR_HTTP_HEAD_DONE' }),
    );
    const oneShot = new HttpHeadParser('request', { maxHeadSize: 16 }).push(bytesOf(REQUEST));
    expect(oneShot).toMatchObject({ state: 'failed', failure: { status: 431 } });
    const many = new HttpHeadParser('request', { maxHeaders: 2 }).push(bytesOf(REQUEST));
    expect(many).toMatchObject({
      state: 'failed',
      failure: { code: 'http-too-many-headers', status: 431 },
    });
  });

  const malformed: [string, string, string, number][] = [
    ['bare LF', 'GET / HTTP/1.1\nHost: a\r\n\r\n', 'http-bad-line-ending', 400],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n', 'http-bad-header', 400],
    ['space before colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', 'http-bad-header', 400],
    ['no colon', 'GET / HTTP/1.1\r\nHost\r\n\r\n', 'http-bad-header', 400],
    ['control in value', 'GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n', 'http-bad-header', 400],
    ['bad request line', 'GET  / HTTP/1.1\r\n\r\n', 'http-bad-start-line', 400],
    ['HTTP/2', 'GET / HTTP/2.0\r\n\r\n', 'http-version-unsupported', 505],
  ];
  for (const [name, text, code, status] of malformed) {
    it(`rejects ${name}`, () => {
      const step = new HttpHeadParser('request').push(bytesOf(text));
      expect(step).toMatchObject({ state: 'failed', failure: { code, status } });
    });
  }

  it('reports response failures without a status', () => {
    const step = new HttpHeadParser('response').push(bytesOf('HTTP/1.1 1O1 x\r\n\r\n'));
    expect(step.state === 'failed' && step.failure.status).toBeUndefined();
  });
});

describe('encodeHead', () => {
  it('writes a start line and headers, and refuses injection', () => {
    expect(String.fromCharCode(...encodeHead('GET / HTTP/1.1', [['Host', 'x']]))).toBe(
      'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(() => encodeHead('GET / HTTP/1.1', [['Host', 'x\r\nEvil: 1']])).toThrow(TypeError);
    expect(() => encodeHead('GET / HTTP/1.1', [['Bad Name', 'x']])).toThrow(TypeError);
    expect(() => encodeHead('GET / HTTP/1.1', [['Host', 'ĀĀ']])).toThrow(TypeError);
  });
});
