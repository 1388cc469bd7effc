#!/usr/bin/python3
# Writes the seed corpus of fuzz_decode (tests/fuzz/seeds/decode/*.bin) with scapy.
# Run from anywhere: python3 tests/fuzz/seeds/make_decode_seeds.py
import os
from scapy.all import (ARP, AH, Dot1AD, Dot1Q, Dot3, Ether, ICMP, ICMPv6EchoRequest, IP, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       IPv6ExtHdrSegmentRouting, LLC, STP, TCP, UDP, in6_chksum)

E = Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02")
V4 = dict(src="192.0.2.1", dst="198.51.100.2")
V6 = dict(src="2001:db8::1", dst="2001:db8::2")
PL = bytes(range(32))
# scapy leaves the TCP checksum at 0 behind AH: compute it here
AH_TCP = bytes(TCP() / PL[:4])
AH_TCP_CSUM = in6_chksum(6, IPv6(**V6), AH_TCP)

seeds = {
    "v4_tcp": E / IP(**V4) / TCP(sport=40000, dport=443, flags="PA", options=[("MSS", 1460)]) / PL,
    "v4_udp_padded": E / IP(**V4) / UDP(sport=5353, dport=53) / b"abcd" / (b"\0" * 14),
    "v4_icmp": E / IP(**V4) / ICMP() / PL[:8],
    "v4_options": E / IP(options=b"\x01\x01\x01\x00" * 2, **V4) / TCP() / PL[:4],
    "v4_frag_first": E / IP(flags="MF", **V4) / TCP(sport=1, dport=2) / PL[:12],
    "v4_frag_middle": E / IP(flags="MF", frag=100, proto=6, **V4) / PL[:24],
    "arp": E / ARP(),
    "lldp": Ether(dst="01:80:c2:00:00:0e", type=0x88cc) / (b"\x02\x07\x04" + bytes(6)),
    "stp_8023": Dot3(dst="01:80:c2:00:00:00") / LLC() / STP(),
    "vlan_tcp": E / Dot1Q(vlan=100) / IP(**V4) / TCP() / PL[:8],
    "qinq_v6_udp": E / Dot1AD(vlan=10) / Dot1Q(vlan=20) / IPv6(**V6) / UDP() / PL[:8],
    "v6_tcp": E / IPv6(**V6) / TCP(sport=40000, dport=443, flags="S"),
    "v6_hbh_icmp6": E / IPv6(**V6) / IPv6ExtHdrHopByHop() / ICMPv6EchoRequest(data=PL[:8]),
    "v6_ext_frag_first": E / IPv6(**V6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() /
        IPv6ExtHdrFragment(m=1, id=7) / TCP() / PL[:12],
    "v6_frag_later": E / IPv6(**V6) / IPv6ExtHdrFragment(offset=4, nh=17, id=7) / PL[:20],
    "v6_srh_udp": E / IPv6(**V6) / IPv6ExtHdrSegmentRouting(addresses=["2001:db8::9", "2001:db8::2"],
        segleft=1) / UDP() / PL[:4],
    "v6_ah_tcp": E / IPv6(**V6) / AH(nh=6, payloadlen=4, spi=1, icv=bytes(12)) /
        TCP(chksum=AH_TCP_CSUM) / PL[:4],
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "decode")
os.makedirs(out, exist_ok=True)
for name, pkt in seeds.items():
    with open(os.path.join(out, name + ".bin"), "wb") as f:
        f.write(bytes(pkt))
