/** `capture serve --link-vxlan SPEC`: the spec's parse and its one-line refusals. */
import { describe, expect, it } from 'vitest';
import { parseLinkVxlan } from '../../src/cli/commands/capture-serve-link.js';
import { runCli, type CliIo } from '../../src/cli/index.js';

const SPEC =
  'bind=10.99.0.2:4789,remote=10.99.0.1:4789,vni=42,mac=02:00:00:00:00:02,ip=10.200.0.2/24';

describe('capture serve --link-vxlan', () => {
  it('parses a spec into the VXLAN host it runs', () => {
    const host = parseLinkVxlan(`${SPEC},udp-echo=7,pcap=/tmp/x.pcapng`);
    expect(host).toMatchObject({
      bind: { address: '10.99.0.2', port: 4789 },
      remote: { address: '10.99.0.1', port: 4789 },
      vni: 42,
      ipv4: [{ address: '10.200.0.2', prefixLength: 24 }],
      ipv6: [],
      udpEcho: 7,
      pcap: '/tmp/x.pcapng',
    });
    expect([...host.mac]).toEqual([2, 0, 0, 0, 0, 2]);
    expect(parseLinkVxlan(SPEC)).not.toHaveProperty('pcap');
  });

  it('takes the adapter MTU as link vxlan --mtu does (same bounds)', () => {
    expect(parseLinkVxlan(`${SPEC},mtu=1400`)).toMatchObject({ mtu: 1400 });
    expect(parseLinkVxlan(SPEC)).not.toHaveProperty('mtu');
  });

  it.each([
    ['bind=10.99.0.2:4789', 'missing remote='],
    [`${SPEC},vni=7`, 'vni given twice'],
    [`${SPEC},colour=red`, 'expected key=value pairs'],
    [SPEC.replace('vni=42', 'vni=99999999'), 'vni=: expected an integer from 0 to 16777215'],
    [SPEC.replace('mac=02:00:00:00:00:02', 'mac=zz'), 'mac= is not a MAC address'],
    [SPEC.replace('ip=10.200.0.2/24', 'ip=10.200.0.2'), 'ip= expects A.B.C.D/NN'],
    [SPEC.replace('bind=10.99.0.2:4789', 'bind=nowhere'), 'bind= expects IP:PORT'],
    [`${SPEC},mtu=67`, 'mtu=: expected an integer from 68 to 65535'],
  ])('refuses %s', async (spec, message) => {
    const err: string[] = [];
    const io: CliIo = {
      out: () => {},
      err: (l) => err.push(l),
      untilStopped: () => Promise.resolve(),
    };
    const argv = ['capture', 'serve', '--session', 's', '--rpc-port', '0', '--insecure-no-auth'];
    expect(await runCli([...argv, '--link-vxlan', spec], io)).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(message);
  });
});
