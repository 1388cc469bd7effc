/* SPDX-License-Identifier: BSD-3-Clause
 * Packet decoder: Ethernet / 802.1Q (QinQ) / ARP / IPv4 / IPv6 (+ extension headers) /
 * TCP / UDP / ICMP / ICMPv6, with optional L3/L4 checksum validation.
 *
 * Pure function over one contiguous frame: no EAL, no allocation, no logging, so it can be unit
 * tested and fuzzed without a NIC. It only reads the bytes in [frame, frame + len) and never
 * reads past len, whatever the headers claim. The worker calls it once per frame with the first
 * segment's data; a header that does not fit in that segment is reported as truncated.
 *
 * Result: HP_DEC_OK and a filled struct hp_pkt, or a reason code (enum hp_decode_err) that the
 * worker counts. For a non-IP frame (ARP, LLDP, unknown ethertype) the result is HP_DEC_OK with
 * l3 == HP_L3_ARP / HP_L3_OTHER: a bridge must carry those; they are simply not inspected.
 *
 * Details of the contract (decided with the implementation, tested in tests/unit/test_decode.c):
 * - Non-IP: l3_off is the first byte after the L2 header; l3_len is 28 for ARP (the fixed
 *   Ethernet/IPv4 ARP header, which must fit), 0 otherwise. An 802.3 frame (type < 0x0600)
 *   is HP_L3_OTHER with ethertype = its length field.
 * - l4_off is set for every decoded IP datagram: start of the L4 header, or for a non-first
 *   fragment the start of the fragment data (after the IPv4 header / IPv6 fragment header).
 * - Fragments: L4 is decoded on a first fragment only if it fits in the fragment; L4 problems
 *   there are not errors, UDP length and L4 checksums are never checked on a fragment.
 *   IPv6: after a non-first fragment header the walk stops (the rest is data); a first
 *   fragment must hold the whole extension chain (RFC 7112), else ipv6_ext_trunc; a second
 *   fragment header is ipv6_frag_bad. An atomic fragment (offset 0, M clear, RFC 6946) is a
 *   whole datagram: no HP_PKT_FRAG, frag_off still set, L4 decoded and verified.
 * - HP_PKT_IPV6_EXT: fragment: an extension header precedes the fragment header (so all
 *   fragments of a datagram agree); otherwise any extension header (an atomic fragment
 *   header included) precedes the L4 header.
 * - ICMP / ICMPv6: sport = type << 8 | code, dport = 0; the payload follows the 4-byte
 *   type/code/checksum part. ICMP over IPv6 and ICMPv6 over IPv4 are "other" protocols.
 * - UDP: length must equal the IP payload (else udp_len; RFC 9868 surplus-area options are
 *   therefore rejected). Checksum 0: over IPv4 valid but unverified (no HP_PKT_L4_CSUM_OK),
 *   over IPv6 udp_csum (only when validating, like every checksum check).
 * - IPv6 L4 checksums use upper-layer length and protocol after the extension headers, and
 *   the final destination of a routing header with segments left (types 0, 2 and 4/SRH);
 *   with another routing type the checksum is not verified (no error, no CSUM_OK).
 * - On a checksum error the L4 fields are valid (HP_PKT_L4 set, HP_PKT_L4_CSUM_OK not).
 * - Offsets are 16 bits: an IPv6 datagram whose 40 + payload length exceeds 65535 (a large
 *   reassembled one) is ipv6_payload_len. IPv4 datagrams up to 65535 are fine at any l3_off.
 */
#ifndef HP_DP_DECODE_H
#define HP_DP_DECODE_H

#include <stdbool.h>
#include <stdint.h>

enum hp_l3 {
	HP_L3_OTHER = 0, /* not IP and not ARP: forwarded, not inspected */
	HP_L3_ARP,
	HP_L3_IPV4,
	HP_L3_IPV6,
};

/* flags of struct hp_pkt */
#define HP_PKT_FRAG       0x01 /* IP fragment (any) */
#define HP_PKT_FRAG_FIRST 0x02 /* fragment with offset 0 (L4 header decoded when it fits) */
#define HP_PKT_L4         0x04 /* L4 header decoded: sport/dport (and tcp fields) valid */
#define HP_PKT_L4_CSUM_OK 0x08 /* L4 checksum verified (only set when validation is on) */
#define HP_PKT_IPV6_EXT   0x10 /* IPv6 extension headers present before the L4/frag header */

/* Decode options (hp_decode flags argument). */
#define HP_DECODE_CSUM 0x01 /* validate IPv4 header, TCP, UDP, ICMP, ICMPv6 checksums */

/* Reason codes. Keep in sync with hp_decode_err_name(); names are stable (they appear in
 * counters and metrics), snake_case. */
enum hp_decode_err {
	HP_DEC_OK = 0,
	HP_DEC_ETH_TRUNC,     /* frame shorter than an Ethernet header */
	HP_DEC_VLAN_TRUNC,    /* 802.1Q/802.1ad tag cut short */
	HP_DEC_VLAN_TOO_DEEP, /* more than 2 VLAN tags */
	HP_DEC_ARP_TRUNC,
	HP_DEC_IPV4_TRUNC,     /* less than 20 bytes of IPv4 header */
	HP_DEC_IPV4_VERSION,   /* version field is not 4 */
	HP_DEC_IPV4_HDR_LEN,   /* IHL < 5 or header longer than the frame */
	HP_DEC_IPV4_TOTAL_LEN, /* total length < IHL*4 or > bytes in the frame */
	HP_DEC_IPV4_CSUM,      /* header checksum wrong */
	HP_DEC_IPV4_FRAG_BAD, /* fragment with bad offset/length (offset+len > 65535, MF with len%8)
			       */
	HP_DEC_IPV6_TRUNC,    /* less than 40 bytes of IPv6 header */
	HP_DEC_IPV6_VERSION,
	HP_DEC_IPV6_PAYLOAD_LEN,  /* payload length > bytes in the frame (jumbograms unsupported) */
	HP_DEC_IPV6_EXT_TRUNC,    /* extension header chain runs past the payload */
	HP_DEC_IPV6_EXT_TOO_MANY, /* more than 8 extension headers */
	HP_DEC_IPV6_FRAG_BAD,     /* fragment with bad length (MF with len%8) or offset overflow */
	HP_DEC_TCP_TRUNC,         /* fewer than 20 bytes, or data offset past the segment */
	HP_DEC_TCP_HDR_LEN,       /* data offset < 5 */
	HP_DEC_TCP_CSUM,
	HP_DEC_UDP_TRUNC,
	HP_DEC_UDP_LEN, /* UDP length field disagrees with the IP payload */
	HP_DEC_UDP_CSUM,
	HP_DEC_ICMP_TRUNC,
	HP_DEC_ICMP_CSUM,
	HP_DEC__MAX,
};

struct hp_pkt {
	uint16_t l3_off;      /* offset of the IP (or ARP) header in the frame */
	uint16_t l3_len;      /* IP datagram length from l3_off: IPv4 total length, or 40 +
			       * IPv6 payload length (Ethernet padding excluded) */
	uint16_t l3_hdr_len;  /* IPv4: IHL*4; IPv6: 40 + extension headers before the frag/L4 hdr */
	uint16_t frag_off;    /* IPv6: offset of the fragment extension header, 0 if none */
	uint16_t l4_off;      /* offset of the L4 header (valid with HP_PKT_L4 or a first frag) */
	uint16_t payload_off; /* offset of L4 payload (valid with HP_PKT_L4) */
	uint16_t payload_len; /* L4 payload bytes (valid with HP_PKT_L4) */
	uint16_t ethertype;   /* innermost ethertype, host order */
	uint16_t vlan[2];     /* VLAN TCIs, outer first, host order */
	uint8_t n_vlan;
	uint8_t l3;       /* enum hp_l3 */
	uint8_t l4_proto; /* IP protocol of the L4 header (after extension headers) */
	uint8_t flags;    /* HP_PKT_* */
	uint16_t sport;   /* host order */
	uint16_t dport;
	uint32_t tcp_seq; /* host order */
	uint32_t tcp_ack;
	uint8_t tcp_flags;
	uint8_t ip_ttl; /* TTL / hop limit */
	uint16_t tcp_win;
};

/* Decode one frame. flags: HP_DECODE_*. Returns HP_DEC_OK or the first error found; on error
 * the fields of *pkt decoded so far stay valid (l3 tells how far it got). */
enum hp_decode_err hp_decode(const uint8_t *frame, uint32_t len, unsigned int flags,
			     struct hp_pkt *pkt);

/* Stable snake_case name of a reason code ("ok", "eth_trunc", ...). */
const char *hp_decode_err_name(enum hp_decode_err err);

#endif /* HP_DP_DECODE_H */
