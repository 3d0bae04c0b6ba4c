// Hostile configuration files (issue 14 F8): each is refused with one
// ConfigError line that starts with the file and names the key (or the
// line, for what is refused before parsing), quickly and without taking the
// process down: a huge file, deep nesting (flow and block), YAML aliases
// (the billion laughs), ports written as 1e3, 0x1F90, 0o17, 012, +80, and
// the out-of-range ports.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES, parseConfigText } from './config-file.js';
import { ConfigError, loadHostConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-config-file-'));
let n = 0;
function file(text: string, ext = 'yaml'): string {
  const path = join(dir, `c${n++}.${ext}`);
  writeFileSync(path, text);
  return path;
}

async function refusal(text: string, ext = 'yaml'): Promise<string> {
  const path = file(text, ext);
  try {
    await loadHostConfig(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.startsWith(`${path}: `)).toBe(true);
    expect(message).not.toContain('\n');
    return message.slice(path.length + 2);
  }
  throw new Error(`accepted: ${text.slice(0, 80)}`);
}

const laughs = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'http: { host: *f }',
  '',
].join('\n');

describe('hostile configuration files', () => {
  it('a file over 1 MiB is refused before it is read', async () => {
    expect(await refusal(`# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`)).toBe(
      `is ${MAX_CONFIG_BYTES + 3} bytes: a configuration is at most ${MAX_CONFIG_BYTES}`,
    );
  });

  it('deep nesting is refused before the parser recurses into it, flow or block, YAML or JSON', async () => {
    // 20 000 brackets once took the process down with the parser (out of memory, uncatchable).
    expect(await refusal(`http: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`)).toBe(
      'line 1: brackets nested more than 64 deep (nested too deeply)',
    );
    expect(await refusal(`{"http": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`, 'json')).toBe(
      'line 1: brackets nested more than 64 deep (nested too deeply)',
    );
    let block = '';
    for (let i = 0; i < 200; i++) block += `${' '.repeat(i)}a${i}:\n`;
    expect(await refusal(block)).toBe(
      'line 130: indented more than 128 columns (nested too deeply)',
    );
  });

  it('review mutant M6: brackets 64 deep are accepted by the depth guard, 65 refused', async () => {
    const nested = (depth: number) => `x: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
    // 64 deep passes the guard and reaches the validator (an unknown key), 65 does not.
    expect(await refusal(nested(64))).toMatch(/^x: unknown key/);
    expect(await refusal(nested(65))).toBe(
      'line 1: brackets nested more than 64 deep (nested too deeply)',
    );
  });

  it('aliases are refused, naming the key, so the billion laughs never expand', async () => {
    expect(await refusal(laughs)).toBe(
      'b[0]: YAML aliases (*name) are not accepted in a netrx configuration: write the value out',
    );
    expect(
      await refusal('radius:\n  users:\n    - &u { name: a, password: b }\n    - *u\n'),
    ).toMatch(/^radius\.users\[1\]: YAML aliases/);
  });

  it('a number not written as a plain decimal is refused, naming the key', async () => {
    for (const [written, key] of [
      ['1e3', 'http.port'],
      ['0x1F90', 'http.port'],
      ['0o17', 'http.port'],
      ['012', 'http.port'],
      ['+80', 'http.port'],
      ['.inf', 'http.port'],
    ] as const)
      expect(await refusal(`http:\n  port: ${written}\n`)).toBe(
        `${key}: expected a plain decimal number, got "${written}" (exponent, hex, octal, a sign or a leading zero)`,
      );
    expect(await refusal('{"http": {"port": 1e3}}', 'json')).toMatch(
      /^http\.port: expected a plain decimal number, got "1e3"/,
    );
    expect(await refusal('capture:\n  sessions:\n    - { name: a, level: 0x5 }\n')).toMatch(
      /^capture\.sessions\[0\]\.level: expected a plain decimal/,
    );
  });

  it('ports out of range, as strings, or not integers are refused, naming the key', async () => {
    expect(await refusal('http:\n  port: 65536\n')).toBe(
      'http.port: expected an integer from 0 to 65535, got 65536',
    );
    expect(await refusal('http:\n  port: -1\n')).toBe(
      'http.port: expected an integer from 0 to 65535, got -1',
    );
    expect(await refusal('http:\n  port: "1e3"\n')).toBe(
      'http.port: expected an integer from 0 to 65535, got "1e3"',
    );
    expect(await refusal('radius:\n  port: 1812.5\n')).toBe(
      'radius.port: expected an integer from 0 to 65535, got 1812.5',
    );
  });

  it('what a configuration really looks like still parses (anchors without aliases too)', async () => {
    const config = await loadHostConfig(
      file('http:\n  port: 0\n  token: &t "0123456789abcdef"\nradius:\n  port: 0\n'),
    );
    expect(config.http.port).toBe(0);
    expect(config.http.token).toBe('0123456789abcdef');
  });

  it('property: any text either parses or is refused with one ConfigError line, never anything else', () => {
    const pieces = fc.constantFrom(
      '[',
      ']',
      '{',
      '}',
      ':',
      ' ',
      '\n',
      '  ',
      '- ',
      '&a ',
      '*a',
      '"',
      "'",
      '#',
      'http',
      'port',
      '1e3',
      '0x1F',
      '7340',
      ',',
      '!!str ',
      '<<: ',
      '|',
      '>',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 60 }), fc.boolean(), (parts, json) => {
        try {
          parseConfigText(parts.join(''), json);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message).not.toContain('\n');
        }
      }),
      { numRuns: 500 },
    );
  });
});
