#!/bin/sh
# netrx as a port of a Linux bridge, through a kernel VXLAN interface: no
# native addon, only a UDP socket (docs/link.md, "Attaching to a LAN").
#
#   sudo scripts/link-bridge-lab.sh up   [TAG]   build the lab, print how to start netrx
#   sudo scripts/link-bridge-lab.sh down [TAG]   remove it
#
# Three network namespaces (TAG keeps several labs apart; default: lab;
# NRX_LAB_PREFIX replaces the nrx- their names start with):
#
#   nrx-TAG-host     hv1 10.200.0.1/24: a plain host on the LAN segment, MTU 1500
#        | veth
#   nrx-TAG-bridge   br0 (bridge, group_fwd_mask 8 so EAPOL to 01:80:c2:00:00:03
#        |           is forwarded), with ports hv0 and vx0 (VXLAN VNI 42 to
#        | veth      10.99.0.2:4789 over lk0 10.99.0.1/30, MTU 1550)
#   nrx-TAG-netrx    lk1 10.99.0.2/30: netrx's UDP socket, the other VTEP
#
# The underlay's MTU is 1550 so that the segment carries 1500-byte packets:
# VXLAN adds 50 bytes (outer IPv4 20, UDP 8, VXLAN 8, inner Ethernet 14).
#
# On a real machine the bridge namespace is the host itself, hv0 is the LAN
# NIC (eth0), and netrx runs in its own namespace (or on another machine):
# a VXLAN device does not send to a socket of its own namespace (its local
# bypass looks for a local VXLAN device instead).
set -eu

action=${1:-}
tag=${2:-lab}
prefix=${NRX_LAB_PREFIX:-nrx-}
host=$prefix$tag-host
bridge=$prefix$tag-bridge
netrx=$prefix$tag-netrx

down() {
  for ns in "$host" "$bridge" "$netrx"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}

up() {
  ip netns add "$host"
  ip netns add "$bridge"
  ip netns add "$netrx"
  # The underlay: the bridge's VTEP to netrx's UDP socket.
  ip link add lk0 netns "$bridge" type veth peer name lk1 netns "$netrx"
  # The LAN segment: a host on the bridge.
  ip link add hv0 netns "$bridge" type veth peer name hv1 netns "$host"
  for ns in "$host" "$bridge" "$netrx"; do ip -n "$ns" link set lo up; done

  ip -n "$netrx" addr add 10.99.0.2/30 dev lk1
  ip -n "$netrx" link set lk1 mtu 1550 up

  ip -n "$bridge" addr add 10.99.0.1/30 dev lk0
  ip -n "$bridge" link set lk0 mtu 1550 up
  # Bit 3 of group_fwd_mask: forward 01:80:c2:00:00:03 (the 802.1X PAE group
  # address), which a bridge otherwise keeps to itself.
  ip -n "$bridge" link add br0 type bridge group_fwd_mask 8
  ip -n "$bridge" link add vx0 type vxlan id 42 local 10.99.0.1 remote 10.99.0.2 \
    dev lk0 dstport 4789 nolearning
  # 1550 - 50: whole 1500-byte packets across the tunnel, as on the LAN.
  ip -n "$bridge" link set vx0 mtu 1500
  ip -n "$bridge" link set vx0 master br0
  ip -n "$bridge" link set hv0 master br0
  ip -n "$bridge" link set vx0 up
  ip -n "$bridge" link set hv0 up
  ip -n "$bridge" link set br0 up

  # The host: a LAN MTU of 1500, and checksums computed in software (with
  # tx offload on, its UDP checksums would leave unfinished).
  ip -n "$host" link set hv1 address 02:00:00:00:00:01
  ip -n "$host" addr add 10.200.0.1/24 dev hv1
  ip -n "$host" link set hv1 up
  ip netns exec "$host" ethtool -K hv1 tx off >/dev/null

  cli=$(cd "$(dirname "$0")/.." && pwd)/dist/cli/main.js
  cat <<EOF
lab $tag is up. Start netrx in its namespace:
  nsenter --net=/run/netns/$netrx node $cli link vxlan \\
    --bind 10.99.0.2:4789 --remote 10.99.0.1:4789 --vni 42 \\
    --mac 02:00:00:00:00:02 --ip 10.200.0.2/24 --mtu 1500 --udp-echo 7 --pcap seen.pcapng
then, from the host on the bridge:
  ip netns exec $host ping -c 3 10.200.0.2
remove it with: $0 down $tag
EOF
}

case "$action" in
  up) down; up ;;
  down) down ;;
  *) echo "usage: $0 up|down [TAG]" >&2; exit 2 ;;
esac
