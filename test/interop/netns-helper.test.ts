import { describe, expect, it } from 'vitest';
import { createNamespaces, netnsName, NETNS_PREFIX, sh } from './support/netns.js';
import { commandExists, isRoot, requirePeers } from './support/peers.js';

/**
 * The shared namespace helper the link and 802.1X interop suites build their
 * labs with: names unique to this process, everything removed by name even
 * after a step failed, and `destroy()` safe to call twice.
 */
const peers = requirePeers('netns helper', [
  { name: 'root', ok: isRoot, hint: 'network namespaces need root' },
  { name: 'ip', ok: () => commandExists('ip'), hint: 'apt-get install iproute2' },
  { name: 'ping', ok: () => commandExists('ping'), hint: 'apt-get install iputils-ping' },
]);

const listed = () => sh(['ip', 'netns', 'list']).stdout;

describe.skipIf(peers.skip)('createNamespaces', () => {
  it('names namespaces prefix + tag + role + PID, and removes them all after a failed step', () => {
    const spaces = createNamespaces('t');
    const a = spaces.add('a');
    const b = spaces.add('b');
    expect(a).toBe(`${NETNS_PREFIX}ta${process.pid}`);
    expect(b).toBe(netnsName('t', 'b'));
    spaces.veth(a, 'tv0', b, 'tv1');
    spaces.address(a, 'tv0', '192.0.2.1/30');
    spaces.address(b, 'tv1', '192.0.2.2/30');
    expect(spaces.exec(a, ['ping', '-c', '1', '-W', '2', '192.0.2.2']).stdout).toMatch(
      /1 received/,
    );
    expect(() => spaces.ip(a, 'link', 'add', 'bad0', 'type', 'no-such-kind')).toThrow(/failed/);
    expect(listed()).toContain(a);
    spaces.destroy();
    expect(listed()).not.toContain(a);
    expect(listed()).not.toContain(b);
    spaces.destroy(); // idempotent
  });
});
