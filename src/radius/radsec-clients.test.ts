import { describe, expect, it } from 'vitest';
import { RadSecClientTable } from './radsec-clients.js';

const peer = {
  address: '192.0.2.7',
  commonName: 'ap1.example.net',
  dnsNames: ['ap1.example.net', 'radius-client.example.net'],
  fingerprint256: 'AB:'.repeat(31) + 'AB',
};

describe('RadSecClientTable', () => {
  it('the first client whose criteria all hold wins; the entry has secret radsec', () => {
    const table = new RadSecClientTable([
      { name: 'wrong-net', address: '198.51.100.0/24' },
      { name: 'by-cn', commonName: 'AP1.example.net', address: '192.0.2.0/24' },
      { name: 'any' },
    ]);
    const match = table.lookup(peer);
    expect(match?.entry.name).toBe('by-cn');
    expect(new TextDecoder().decode(match?.entry.secret)).toBe('radsec');
    // TLS protects every packet: PAP without Message-Authenticator is accepted, Proxy-State unlimited.
    expect(match?.entry.requireMessageAuthenticator).toBe(false);
    expect(match?.entry.limitProxyState).toBe(false);
    expect(table.lookup({ ...peer, commonName: 'other' })?.entry.name).toBe('any');
  });

  it('matches DNS names exactly or by one-label wildcard, and fingerprints ignoring colons and case', () => {
    const table = new RadSecClientTable([
      { name: 'wild', dnsName: '*.example.net' },
      { name: 'print', fingerprint256: 'ab'.repeat(32) },
    ]);
    expect(table.lookup(peer)?.entry.name).toBe('wild');
    expect(table.lookup({ ...peer, dnsNames: ['a.b.example.net'] })?.entry.name).toBe('print');
    expect(
      table.lookup({ ...peer, dnsNames: [], fingerprint256: '00'.repeat(32) }),
    ).toBeUndefined();
  });

  it('refuses bad declarations', () => {
    expect(() => new RadSecClientTable([{ name: 'x', fingerprint256: 'zz' }])).toThrow(TypeError);
    expect(() => new RadSecClientTable([{ name: 'x', address: 'nowhere' }])).toThrow(TypeError);
    expect(() => new RadSecClientTable([{ name: 'x', maxConnections: 0 }])).toThrow(RangeError);
  });
});
