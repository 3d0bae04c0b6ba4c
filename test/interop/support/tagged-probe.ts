import { LAB } from './netns.js';

/**
 * A python3 script for the kernel namespace: sends an ICMP echo request and
 * an ARP request for netrx on vx0, tagged with VLAN argv[1] (0: untagged),
 * by AF_PACKET (no 8021q module needed), and prints the answers from
 * netrx's MAC seen on vx0 within two seconds, as tag and EtherType
 * ("vlan100 ipv4", "untagged arp", ...), or "nothing".
 */
export const TAGGED_PROBE = `
import socket, struct, sys, time
vlan = int(sys.argv[1])
me = bytes.fromhex('${LAB.kernelMac.replaceAll(':', '')}')
netrx = bytes.fromhex('${LAB.netrxMac.replaceAll(':', '')}')
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
def l2(dst, ethertype, payload):
    tag = struct.pack('!HH', 0x8100, vlan) if vlan else b''
    return dst + me + tag + struct.pack('!H', ethertype) + payload
src, dst = socket.inet_aton('${LAB.kernelIp}'), socket.inet_aton('${LAB.netrxIp}')
icmp = struct.pack('!BBHHH', 8, 0, 0, 0x4242, 1) + b'tagged?'
icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0, src, dst)
ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
arp = struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + me + src + bytes(6) + dst
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(('vx0', 0))
s.send(l2(netrx, 0x0800, ip + icmp))
s.send(l2(b'\\xff' * 6, 0x0806, arp))
s.settimeout(0.2)
# The kernel moves a received 802.1Q tag out of the frame: read it back from PACKET_AUXDATA.
s.setsockopt(263, 8, 1)
seen = set()
end = time.time() + 2
while time.time() < end:
    try:
        frame, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(20))
    except socket.timeout:
        continue
    # Answers only: netrx's own multicast (MLD reports, repeated now per RFC 3810) is not one.
    if frame[6:12] != netrx or frame[0:6] != me: continue
    tci = None
    for level, kind, data in anc:
        if level == 263 and kind == 8:
            status, _, _, _, _, vtci = struct.unpack('=IIIHHH', data[:18])
            if status & 0x10: tci = vtci & 0xfff
    inner = struct.unpack('!H', frame[12:14])[0]
    if inner == 0x8100:
        tci = struct.unpack('!H', frame[14:16])[0] & 0xfff
        inner = struct.unpack('!H', frame[16:18])[0]
    name = 'arp' if inner == 0x0806 else 'ipv4' if inner == 0x0800 else hex(inner)
    seen.add((('vlan%d ' % tci) if tci else 'untagged ') + name)
print(' '.join(sorted(seen)) or 'nothing')
`;
