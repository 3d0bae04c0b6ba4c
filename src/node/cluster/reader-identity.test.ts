import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { checkReaderId, defaultReaderId, readerIdFromHostName } from './reader-identity.js';
import { StreamSessionSource } from './reader.js';
import { FakeJetStream } from './fake-jetstream.js';

describe('reader identity (review16 R2)', () => {
  it('keeps a name that is an identity; derives one (prefix + digest) from any other', () => {
    expect(readerIdFromHostName('build-7')).toBe('build-7');
    expect(readerIdFromHostName('capture_server16')).toBe('capture_server16');
    expect(readerIdFromHostName('build-7.lab.example')).toMatch(/^build-7-[0-9a-f]{8}$/);
    expect(readerIdFromHostName('a very+long name of a box')).toMatch(/^a-very--[0-9a-f]{8}$/);
    expect(readerIdFromHostName('')).toBe('reader');
    expect(readerIdFromHostName('.local')).toMatch(/^r-[0-9a-f]{8}$/);
    // Host names are not case-sensitive: one machine, one identity.
    expect(readerIdFromHostName('Lab1.Site-A')).toBe(readerIdFromHostName('lab1.site-a'));
    // By default from this machine: os.hostname() and, for a nameless host, its machine-id files.
    const system = {
      hostName: hostname,
      readFile: (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined),
    };
    expect(defaultReaderId()).toBe(defaultReaderId(system));
  });

  it('two host names that differ after the cut or after the first dot get two identities (review16c N1)', () => {
    expect(readerIdFromHostName('capture-server-01')).not.toBe(
      readerIdFromHostName('capture-server-02'),
    );
    expect(readerIdFromHostName('lab1.site-a')).not.toBe(readerIdFromHostName('lab1.site-b'));
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
        fc.pre(a.toLowerCase() !== b.toLowerCase());
        // Distinct names collide only through the 32-bit digest (never seen in these runs).
        expect(readerIdFromHostName(a)).not.toBe(readerIdFromHostName(b));
      }),
    );
  });

  it('whatever the host name, the identity is a valid one (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (name) => {
        expect(checkReaderId(readerIdFromHostName(name))).toBe(readerIdFromHostName(name));
      }),
    );
  });

  it('the default durable carries the reader id, so two servers bind two durables', () => {
    const port = new FakeJetStream({ maxMsgs: 10 });
    const durables: string[] = [];
    const spy = {
      consume: (spec: Parameters<FakeJetStream['consume']>[0]) => {
        durables.push(spec.durable);
        return { stop: () => undefined };
      },
      streamHosts: () => port.streamHosts('', 'lab'),
    };
    const sink = { record: () => true, fits: () => true, lost: () => undefined };
    for (const readerId of ['machine-a', undefined]) {
      const source = new StreamSessionSource({
        port: spy,
        session: 'lab',
        hosts: 'lab-1',
        ...(readerId === undefined ? {} : { readerId }),
      });
      source.open(sink).close();
    }
    expect(durables).toEqual([
      'netrx-reader-lab-machine-a-lab-1',
      'netrx-reader-lab-machine-a-loss',
      `netrx-reader-lab-${defaultReaderId()}-lab-1`,
      `netrx-reader-lab-${defaultReaderId()}-loss`,
    ]);
    expect(() => new StreamSessionSource({ port: spy, session: 'lab', readerId: 'a.b' })).toThrow(
      TypeError,
    );
  });
});

describe('reader identity of a machine named localhost (issue 16: two such machines shared a durable)', () => {
  const MACHINE_A = '3d1219c7c4c5404aaa1f6d2a48adfda4';
  const MACHINE_B = '0f4e5d6c7b8a99887766554433221100';
  /** A machine whose files are `files` (absent: unreadable). */
  const machine = (name: string, files: Record<string, string>) => ({
    hostName: () => name,
    readFile: (path: string) => files[path],
  });

  it('derives it from /etc/machine-id, so two localhost machines get two identities', () => {
    const a = defaultReaderId(machine('localhost', { '/etc/machine-id': `${MACHINE_A}\n` }));
    const b = defaultReaderId(machine('localhost', { '/etc/machine-id': `${MACHINE_B}\n` }));
    expect(a).toMatch(/^machine-[0-9a-f]{8}$/);
    expect(b).toMatch(/^machine-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    // The id is a keyed digest: the machine-id itself (confidential, machine-id(5)) is not in it.
    expect(MACHINE_A).not.toContain(a.slice('machine-'.length));
    // One machine, one identity, whatever localhost form it reports.
    for (const name of [
      'localhost.localdomain',
      'LOCALHOST',
      'localhost6.localdomain6',
      '',
      '(none)',
    ])
      expect(defaultReaderId(machine(name, { '/etc/machine-id': MACHINE_A }))).toBe(a);
  });

  it("falls back to D-Bus's copy, then to the name, when /etc/machine-id is missing or not an id", () => {
    const dbus = { '/var/lib/dbus/machine-id': MACHINE_B };
    const fromDbus = defaultReaderId(machine('localhost', dbus));
    expect(fromDbus).toBe(defaultReaderId(machine('localhost', { '/etc/machine-id': MACHINE_B })));
    // systemd's first-boot placeholder, an empty file (containers), zeros: not an id.
    for (const placeholder of ['uninitialized\n', '', '0'.repeat(32), 'xyz'])
      expect(
        defaultReaderId(machine('localhost', { '/etc/machine-id': placeholder, ...dbus })),
      ).toBe(fromDbus);
    expect(defaultReaderId(machine('localhost', {}))).toBe('localhost');
    expect(defaultReaderId(machine('localhost.localdomain', {}))).toBe(
      readerIdFromHostName('localhost.localdomain'),
    );
  });

  it('leaves any other name to readerIdFromHostName, without reading the files', () => {
    const read: string[] = [];
    const sources = (name: string) => ({
      hostName: () => name,
      readFile: (path: string) => {
        read.push(path);
        return MACHINE_A;
      },
    });
    expect(defaultReaderId(sources('build-7'))).toBe('build-7');
    expect(defaultReaderId(sources('lab1.site-a'))).toBe(readerIdFromHostName('lab1.site-a'));
    expect(defaultReaderId(sources('mylocalhost'))).toBe('mylocalhost');
    expect(read).toEqual([]);
  });

  it('any machine-id gives a valid identity, distinct ids distinct identities (fast-check)', () => {
    const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);
    fc.assert(
      fc.property(
        hex32,
        hex32,
        fc.constantFrom('localhost', 'localhost.localdomain'),
        (x, y, name) => {
          fc.pre(x !== y && /[1-9a-f]/.test(x) && /[1-9a-f]/.test(y));
          const idX = defaultReaderId(machine(name, { '/etc/machine-id': x }));
          expect(checkReaderId(idX)).toBe(idX);
          expect(idX).not.toBe(defaultReaderId(machine(name, { '/etc/machine-id': y })));
        },
      ),
    );
  });
});
