import { afterEach, describe, expect, it } from 'vitest';
import { commandExists, isRoot, requirePeers, versionOf } from './support/peers.js';
import { createVxlanLab, waitForOutput, type VxlanLab } from './support/netns.js';
import { spawnNetrxVxlan } from './support/netrx-vxlan.js';
import { TAGGED_PROBE } from './support/tagged-probe.js';

/**
 * `netrx link vxlan --vlan 100` against the Linux kernel (moved here from the
 * fourth outside review of issue 9, test/review4/vlan-kernel.test.ts): the
 * kernel's vx0 in one namespace sends netrx an ICMP echo request and an ARP
 * request, untagged, tagged 100 and tagged 200, through an AF_PACKET socket;
 * netrx must answer only VLAN 100, and its answers must carry tag 100. The
 * namespaces are made and removed by the lab (names start with
 * NETRX_NETNS_PREFIX). Peers: the kernel's VXLAN device and 802.1Q handling
 * (PACKET_AUXDATA gives back the tag the kernel strips), python3 as the raw
 * socket client, iproute2; versions are printed before the test.
 */
const peers = requirePeers('link-vlan interop', [
  { name: 'root', ok: isRoot, hint: 'network namespaces need root' },
  { name: 'ip', ok: () => commandExists('ip'), hint: 'apt-get install iproute2' },
  { name: 'nsenter', ok: () => commandExists('nsenter'), hint: 'util-linux' },
  { name: 'python3', ok: () => commandExists('python3'), hint: 'apt-get install python3' },
]);

describe.skipIf(peers.skip)('netrx link vxlan --vlan 100 against the Linux kernel', () => {
  let lab: VxlanLab | undefined;
  afterEach(() => {
    lab?.destroy();
    lab = undefined;
  });

  it('answers VLAN 100 tagged 100, and ignores untagged frames and VLAN 200', async () => {
    console.info(
      `peers: kernel ${versionOf('uname', ['-r'])}; ${versionOf('python3')}; ${versionOf('ip', ['-V'])}`,
    );
    lab = createVxlanLab('vl', { offload: false });
    const netrx = spawnNetrxVxlan(lab, ['--udp-echo', '7', '--vlan', '100']);
    await waitForOutput(netrx, /^ready$/m);
    const probe = (vlan: string) =>
      (lab as VxlanLab)
        .exec((lab as VxlanLab).kernelNs, ['python3', '-c', TAGGED_PROBE, vlan])
        .stdout.trim();
    const got = { v100: probe('100'), untagged: probe('0'), v200: probe('200') };
    expect(got).toEqual({ v100: 'vlan100 arp vlan100 ipv4', untagged: 'nothing', v200: 'nothing' });
  }, 30_000);
});
