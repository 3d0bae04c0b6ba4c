import { describe, expect, it } from 'vitest';
import { checkPortSpec, parsePortList } from './spec.js';

describe('port specs', () => {
  it('accepts what openTransport opens', () => {
    for (const spec of [
      'tcp:127.0.0.1:23',
      'tcp:[::1]:2323',
      'tls:console.example:992',
      'serial:/dev/ttyUSB0',
      'serial:/dev/ttyS0@115200',
      'serialport:/dev/ttyACM0@9600',
      'exec:telnet host',
      'pty:ssh console',
    ])
      expect(checkPortSpec(spec), spec).toBeUndefined();
  });

  it('says what is wrong with one that is not', () => {
    expect(checkPortSpec('telnet:host:23')).toMatch(/^expected tcp:HOST:PORT, /);
    expect(checkPortSpec('tcp:host:0')).toBe('port number out of range');
    expect(checkPortSpec('tcp:host:65536')).toBe('port number out of range');
    expect(checkPortSpec('exec:  ')).toBe('exec: needs a command');
    expect(checkPortSpec('pty:')).toBe('pty: needs a command');
    expect(checkPortSpec('serial:/dev/ttyS0@fast')).toBe('expected serial:PATH[@BAUD]');
    // @0 is B0 (drop DTR: hang up the modem); other rates must be termios ones.
    expect(checkPortSpec('serial:/dev/ttyS0@0')).toMatch(
      /^unsupported line rate 0 \(0 would hang up/,
    );
    expect(checkPortSpec('serialport:/dev/ttyS0@12345')).toMatch(/^unsupported line rate 12345 /);
    expect(checkPortSpec('serial:/dev/ttyS0@4000000')).toBeUndefined();
    expect(checkPortSpec('stdio')).toMatch(/^expected /);
  });
});

describe('--ports FILE', () => {
  it('reads one spec a line, skipping blank lines and # comments, with line numbers', () => {
    const text = [
      '# consoles in rack 4',
      'tcp:127.0.0.1:2001',
      '',
      '   tcp:127.0.0.1:2002   # the spare',
      '\t# indented comment',
      "exec:printf 'login: # not a comment'",
      'serial:/dev/ttyS1@9600\r',
    ].join('\n');
    expect(parsePortList(text, 'ports.txt')).toEqual([
      { spec: 'tcp:127.0.0.1:2001', line: 2 },
      { spec: 'tcp:127.0.0.1:2002', line: 4 },
      { spec: "exec:printf 'login: # not a comment'", line: 6 },
      { spec: 'serial:/dev/ttyS1@9600', line: 7 },
    ]);
    expect(parsePortList('# nothing\n\n', 'empty')).toEqual([]);
  });

  it('a bad spec is an ERR_PORT_SPEC naming the file and line', () => {
    const text = 'tcp:127.0.0.1:2001\n# fine\ntcp:127.0.0.1:99999\ntelnet:x:23\n';
    expect(() => parsePortList(text, 'ports.txt')).toThrow(
      expect.objectContaining({
        code: 'ERR_PORT_SPEC',
        message: 'ports.txt:3: bad port "tcp:127.0.0.1:99999": port number out of range',
      }),
    );
    expect(() => parsePortList('stdio\n', 'p')).toThrow(
      'p:1: bad port "stdio": stdio cannot be one of many ports',
    );
  });
});
