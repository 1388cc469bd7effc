/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the packet decoder (dataplane/dp_decode.c).
 *
 * Frames are built by hand with the small writers below; their checksums come from a test-side
 * oracle (plain big-endian 16-bit sum) written independently of the decoder, and the builders
 * themselves are cross-checked byte for byte against two frames produced by scapy 2.5.
 * Every decode runs on an exact-size heap copy of the frame, so valgrind / ASan catch a read
 * past len.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_decode.h"

#define FRAME_MAX 4096

#define P_HBH   0
#define P_ICMP  1
#define P_TCP   6
#define P_UDP   17
#define P_RT    43
#define P_FRAG  44
#define P_ESP   50
#define P_AH    51
#define P_ICMP6 58
#define P_NONE  59
#define P_DST   60
#define P_MOB   135

static const uint8_t ip4_src[4] = {192, 0, 2, 1};
static const uint8_t ip4_dst[4] = {198, 51, 100, 2};
static const uint8_t ip6_src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t ip6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t ip6_final[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 9};

/* --- checksum oracle ------------------------------------------------------------------------ */

static uint32_t
sum_be(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
sum_fin(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* --- header writers: each writes at f + off and returns the offset after its header ----------- */

static uint32_t
w_eth(uint8_t *f, uint16_t et)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};

	memcpy(f, macs, sizeof(macs));
	put16(f + 12, et);
	return 14;
}

static uint32_t
w_vlan(uint8_t *f, uint32_t off, uint16_t tci, uint16_t et)
{
	put16(f + off, tci);
	put16(f + off + 2, et);
	return off + 4;
}

/* IPv4, ihl 5 + opt_len/4 (options: NOPs then EOL), total length = header + l4_len, header
 * checksum filled in. frag: the flags + fragment offset field. */
static uint32_t
w_ipv4(uint8_t *f, uint32_t off, uint8_t proto, uint32_t opt_len, uint32_t l4_len, uint16_t frag)
{
	uint8_t *ip = f + off;
	uint32_t hl = 20 + opt_len;

	ip[0] = (uint8_t)(0x40 | hl / 4);
	ip[1] = 0;
	put16(ip + 2, hl + l4_len);
	put16(ip + 4, 0x1234);
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	put16(ip + 10, 0);
	memcpy(ip + 12, ip4_src, 4);
	memcpy(ip + 16, ip4_dst, 4);
	memset(ip + 20, 1, opt_len);
	if (opt_len)
		ip[hl - 1] = 0;
	put16(ip + 10, sum_fin(sum_be(ip, hl, 0)));
	return off + hl;
}

static void
refix_ipv4(uint8_t *f, uint32_t l3)
{
	uint8_t *ip = f + l3;

	put16(ip + 10, 0);
	put16(ip + 10, sum_fin(sum_be(ip, (ip[0] & 0xfu) * 4, 0)));
}

static uint32_t
w_ipv6(uint8_t *f, uint32_t off, uint8_t nh, uint32_t plen)
{
	uint8_t *ip = f + off;

	put32(ip, 0x60000000);
	put16(ip + 4, plen);
	ip[6] = nh;
	ip[7] = 64;
	memcpy(ip + 8, ip6_src, 16);
	memcpy(ip + 24, ip6_dst, 16);
	return off + 40;
}

/* Extension header of len bytes (AH: multiple of 4 and >= 12, others multiple of 8), options
 * area filled with one PadN, routing type 4 with segments left 0. */
static uint32_t
w_ext(uint8_t *f, uint32_t off, uint8_t type, uint8_t nh, uint32_t len)
{
	uint8_t *p = f + off;

	memset(p, 0, len);
	p[0] = nh;
	p[1] = (uint8_t)(type == P_AH ? len / 4 - 2 : len / 8 - 1);
	if (type == P_HBH || type == P_DST) {
		p[2] = 1; /* PadN */
		p[3] = (uint8_t)(len - 4);
	} else if (type == P_RT) {
		p[2] = 4;
	}
	return off + len;
}

static uint32_t
w_frag6(uint8_t *f, uint32_t off, uint8_t nh, uint16_t off_bytes, bool more)
{
	uint8_t *p = f + off;

	p[0] = nh;
	p[1] = 0;
	put16(p + 2, (uint32_t)off_bytes | (more ? 1 : 0));
	put32(p + 4, 0xdeadbeef);
	return off + 8;
}

/* TCP 40000 -> 443, PSH|ACK, options: NOPs. */
static uint32_t
w_tcp(uint8_t *f, uint32_t off, uint32_t opt_len)
{
	uint8_t *t = f + off;

	put16(t, 40000);
	put16(t + 2, 443);
	put32(t + 4, 0x01020304);
	put32(t + 8, 0xa0b0c0d0);
	t[12] = (uint8_t)(((20 + opt_len) / 4) << 4);
	t[13] = 0x18;
	put16(t + 14, 0xfedc);
	put32(t + 16, 0);
	memset(t + 20, 1, opt_len);
	return off + 20 + opt_len;
}

static uint32_t
w_udp(uint8_t *f, uint32_t off, uint32_t ulen)
{
	uint8_t *u = f + off;

	put16(u, 5353);
	put16(u + 2, 53);
	put16(u + 4, ulen);
	put16(u + 6, 0);
	return off + 8;
}

/* ICMP / ICMPv6 echo-style header: type, code, csum, id 0x4242, seq 1. */
static uint32_t
w_icmp(uint8_t *f, uint32_t off, uint8_t type, uint8_t code)
{
	uint8_t *c = f + off;

	c[0] = type;
	c[1] = code;
	put16(c + 2, 0);
	put16(c + 4, 0x4242);
	put16(c + 6, 1);
	return off + 8;
}

static uint32_t
w_data(uint8_t *f, uint32_t off, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		f[off + i] = (uint8_t)(i * 7 + 3);
	return off + n;
}

static uint32_t
l4_csum_off(uint8_t proto)
{
	return proto == P_TCP ? 16 : proto == P_UDP ? 6 : 2;
}

/* L4 checksum for the IPv4 header at l3 (protocol from the header; ICMP has no pseudo hdr). */
static void
fix_l4_v4(uint8_t *f, uint32_t l3, uint32_t l4, uint32_t l4_len)
{
	const uint8_t *ip = f + l3;
	uint32_t s = 0;
	uint16_t c;

	put16(f + l4 + l4_csum_off(ip[9]), 0);
	if (ip[9] != P_ICMP)
		s = sum_be(ip + 12, 8, 0) + ip[9] + l4_len;
	c = sum_fin(sum_be(f + l4, l4_len, s));
	if (c == 0 && ip[9] == P_UDP)
		c = 0xffff;
	put16(f + l4 + l4_csum_off(ip[9]), c);
}

/* L4 checksum over IPv6: pseudo header with the IPv6 source, dst (NULL: the header's), the
 * upper-layer length and proto (not the fixed header's next header). */
static void
fix_l4_v6(uint8_t *f, uint32_t l3, const uint8_t *dst, uint8_t proto, uint32_t l4, uint32_t l4_len)
{
	uint32_t s;
	uint16_t c;

	put16(f + l4 + l4_csum_off(proto), 0);
	s = sum_be(f + l3 + 8, 16, 0);
	s = sum_be(dst ? dst : f + l3 + 24, 16, s);
	s += (l4_len >> 16) + (l4_len & 0xffff) + proto;
	c = sum_fin(sum_be(f + l4, l4_len, s));
	if (c == 0 && proto == P_UDP)
		c = 0xffff;
	put16(f + l4 + l4_csum_off(proto), c);
}

/* --- whole frames ---------------------------------------------------------------------------- */

static uint32_t
mk_v4_tcp(uint8_t *f, uint32_t ip_opt, uint32_t tcp_opt, uint32_t n)
{
	uint32_t l3 = w_eth(f, 0x0800);
	uint32_t l4 = w_ipv4(f, l3, P_TCP, ip_opt, 20 + tcp_opt + n, 0);
	uint32_t end = w_data(f, w_tcp(f, l4, tcp_opt), n);

	fix_l4_v4(f, l3, l4, end - l4);
	return end;
}

static uint32_t
mk_v4_udp(uint8_t *f, uint32_t n)
{
	uint32_t l3 = w_eth(f, 0x0800);
	uint32_t l4 = w_ipv4(f, l3, P_UDP, 0, 8 + n, 0);
	uint32_t end = w_data(f, w_udp(f, l4, 8 + n), n);

	fix_l4_v4(f, l3, l4, end - l4);
	return end;
}

static uint32_t
mk_v4_icmp(uint8_t *f, uint32_t n)
{
	uint32_t l3 = w_eth(f, 0x0800);
	uint32_t l4 = w_ipv4(f, l3, P_ICMP, 0, 8 + n, 0);
	uint32_t end = w_data(f, w_icmp(f, l4, 8, 0), n);

	fix_l4_v4(f, l3, l4, end - l4);
	return end;
}

static uint32_t
mk_v6_tcp(uint8_t *f, uint32_t n)
{
	uint32_t l3 = w_eth(f, 0x86dd);
	uint32_t l4 = w_ipv6(f, l3, P_TCP, 20 + n);
	uint32_t end = w_data(f, w_tcp(f, l4, 0), n);

	fix_l4_v6(f, l3, NULL, P_TCP, l4, end - l4);
	return end;
}

static uint32_t
mk_v6_udp(uint8_t *f, uint32_t n)
{
	uint32_t l3 = w_eth(f, 0x86dd);
	uint32_t l4 = w_ipv6(f, l3, P_UDP, 8 + n);
	uint32_t end = w_data(f, w_udp(f, l4, 8 + n), n);

	fix_l4_v6(f, l3, NULL, P_UDP, l4, end - l4);
	return end;
}

/* ICMPv6 echo request, optionally behind an 8-byte hop-by-hop header. */
static uint32_t
mk_v6_icmp(uint8_t *f, bool hbh, uint32_t n)
{
	uint32_t l3 = w_eth(f, 0x86dd);
	uint32_t l4 = w_ipv6(f, l3, hbh ? P_HBH : P_ICMP6, (hbh ? 8 : 0) + 8 + n);
	uint32_t end;

	if (hbh)
		l4 = w_ext(f, l4, P_HBH, P_ICMP6, 8);
	end = w_data(f, w_icmp(f, l4, 128, 0), n);
	fix_l4_v6(f, l3, NULL, P_ICMP6, l4, end - l4);
	return end;
}

/* --- decode helpers -------------------------------------------------------------------------- */

/* Invariants of an HP_DEC_OK result (the fuzzer checks the same). */
static void
check_ok_invariants(const struct hp_pkt *p, uint32_t len)
{
	assert_true(p->n_vlan <= 2);
	if (p->l3 == HP_L3_IPV4 || p->l3 == HP_L3_IPV6) {
		assert_true((uint32_t)p->l3_off + p->l3_len <= len);
		assert_true(p->l3_hdr_len <= p->l3_len);
		assert_true(p->l4_off >= p->l3_off + p->l3_hdr_len);
		assert_true(p->l4_off <= (uint32_t)p->l3_off + p->l3_len);
		if (p->frag_off) {
			assert_true(p->frag_off >= p->l3_off + 40);
			assert_true(p->frag_off + 8u <= (uint32_t)p->l3_off + p->l3_len);
		}
	} else if (p->l3 == HP_L3_ARP) {
		assert_true((uint32_t)p->l3_off + p->l3_len <= len);
	}
	if (p->flags & HP_PKT_L4) {
		assert_true(p->payload_off >= p->l4_off);
		assert_true((uint32_t)p->payload_off + p->payload_len <=
			    (uint32_t)p->l3_off + p->l3_len);
		assert_true((uint32_t)p->payload_off + p->payload_len <= len);
	}
	if (p->flags & HP_PKT_FRAG_FIRST)
		assert_true(p->flags & HP_PKT_FRAG);
	if (p->flags & HP_PKT_L4_CSUM_OK)
		assert_true((p->flags & HP_PKT_L4) && !(p->flags & HP_PKT_FRAG));
}

/* Decode an exact-size heap copy of f[0..len). */
static enum hp_decode_err
dec(const uint8_t *f, uint32_t len, unsigned int flags, struct hp_pkt *p)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum hp_decode_err e;

	assert_non_null(copy);
	memcpy(copy, f, len);
	memset(p, 0xa5, sizeof(*p)); /* hp_decode must initialise every field */
	e = hp_decode(copy, len, flags, p);
	free(copy);
	if (e == HP_DEC_OK)
		check_ok_invariants(p, len);
	return e;
}

/* A checksum error: reported with validation on, accepted with it off. */
static void
expect_csum_err(const uint8_t *f, uint32_t len, enum hp_decode_err err)
{
	struct hp_pkt p;

	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), err);
	assert_int_equal(dec(f, len, 0, &p), HP_DEC_OK);
	assert_false(p.flags & HP_PKT_L4_CSUM_OK);
}

/* A structural error: reported whatever the flags. */
static void
expect_err(const uint8_t *f, uint32_t len, enum hp_decode_err err)
{
	struct hp_pkt p;

	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), err);
	assert_int_equal(dec(f, len, 0, &p), err);
}

/* --- builders agree with scapy --------------------------------------------------------------- */

/* scapy: Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02")/IP(src="192.0.2.1",
 * dst="198.51.100.2", id=0x1234, ttl=64)/TCP(sport=40000, dport=443, seq=0x01020304,
 * ack=0xa0b0c0d0, flags="PA", window=0xfedc)/Raw(bytes((i*7+3)&0xff for i in range(16))) */
static const uint8_t scapy_v4_tcp[70] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x38, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0x7c, 0x55, 0xc0, 0x00,
	0x02, 0x01, 0xc6, 0x33, 0x64, 0x02, 0x9c, 0x40, 0x01, 0xbb, 0x01, 0x02, 0x03, 0x04,
	0xa0, 0xb0, 0xc0, 0xd0, 0x50, 0x18, 0xfe, 0xdc, 0x1f, 0x4c, 0x00, 0x00, 0x03, 0x0a,
	0x11, 0x18, 0x1f, 0x26, 0x2d, 0x34, 0x3b, 0x42, 0x49, 0x50, 0x57, 0x5e, 0x65, 0x6c,
};

/* scapy: same Ether/IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=64)/IPv6ExtHdrHopByHop()/
 * ICMPv6EchoRequest(id=0x4242, seq=1, data=<same 16 bytes>) */
static const uint8_t scapy_v6_hbh_icmp[86] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x86, 0xdd, 0x60,
	0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x3a, 0x00, 0x01, 0x04, 0x00, 0x00,
	0x00, 0x00, 0x80, 0x00, 0x40, 0x1b, 0x42, 0x42, 0x00, 0x01, 0x03, 0x0a, 0x11, 0x18, 0x1f,
	0x26, 0x2d, 0x34, 0x3b, 0x42, 0x49, 0x50, 0x57, 0x5e, 0x65, 0x6c,
};

static void
test_builders_match_scapy(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t len;

	(void)state;
	len = mk_v4_tcp(f, 0, 0, 16);
	assert_int_equal(len, sizeof(scapy_v4_tcp));
	assert_memory_equal(f, scapy_v4_tcp, len);
	assert_int_equal(dec(scapy_v4_tcp, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_true(p.flags & HP_PKT_L4_CSUM_OK);

	len = mk_v6_icmp(f, true, 16);
	assert_int_equal(len, sizeof(scapy_v6_hbh_icmp));
	assert_memory_equal(f, scapy_v6_hbh_icmp, len);
	assert_int_equal(dec(scapy_v6_hbh_icmp, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_true(p.flags & HP_PKT_L4_CSUM_OK);
}

/* --- IPv4 ------------------------------------------------------------------------------------ */

static void
test_ipv4_tcp_fields(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t len = mk_v4_tcp(f, 0, 12, 100);

	(void)state;
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.ethertype, 0x0800);
	assert_int_equal(p.n_vlan, 0);
	assert_int_equal(p.l3, HP_L3_IPV4);
	assert_int_equal(p.l3_off, 14);
	assert_int_equal(p.l3_len, 20 + 32 + 100);
	assert_int_equal(p.l3_hdr_len, 20);
	assert_int_equal(p.frag_off, 0);
	assert_int_equal(p.l4_proto, P_TCP);
	assert_int_equal(p.l4_off, 34);
	assert_int_equal(p.payload_off, 34 + 32);
	assert_int_equal(p.payload_len, 100);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_L4_CSUM_OK);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.tcp_seq, 0x01020304);
	assert_int_equal(p.tcp_ack, 0xa0b0c0d0);
	assert_int_equal(p.tcp_flags, 0x18);
	assert_int_equal(p.tcp_win, 0xfedc);
	assert_int_equal(p.ip_ttl, 64);

	/* same frame, validation off: same fields, no checksum flag */
	assert_int_equal(dec(f, len, 0, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_L4);
	assert_int_equal(p.payload_len, 100);
}

static void
test_ipv4_udp(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t len = mk_v4_udp(f, 33); /* odd length: checksum of an odd trailing byte */

	(void)state;
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l3, HP_L3_IPV4);
	assert_int_equal(p.l4_proto, P_UDP);
	assert_int_equal(p.sport, 5353);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.l4_off, 34);
	assert_int_equal(p.payload_off, 42);
	assert_int_equal(p.payload_len, 33);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_L4_CSUM_OK);
}

static void
test_ipv4_icmp_echo(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t len = mk_v4_icmp(f, 56);

	(void)state;
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l4_proto, P_ICMP);
	assert_int_equal(p.sport, 8 << 8); /* type 8, code 0 */
	assert_int_equal(p.dport, 0);
	assert_int_equal(p.payload_off, 34 + 4);
	assert_int_equal(p.payload_len, 4 + 56);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_L4_CSUM_OK);
}

static void
test_ipv4_options(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t len = mk_v4_tcp(f, 12, 0, 10);

	(void)state;
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l3_hdr_len, 32);
	assert_int_equal(p.l4_off, 14 + 32);
	assert_int_equal(p.payload_off, 14 + 32 + 20);
	assert_int_equal(p.payload_len, 10);
	assert_int_equal(p.sport, 40000);
	assert_true(p.flags & HP_PKT_L4_CSUM_OK);

	len = mk_v4_tcp(f, 40, 0, 0); /* IHL 15 */
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l3_hdr_len, 60);
	assert_int_equal(p.payload_len, 0);
}

/* Short UDP in a minimum-size 60-byte frame: the padding is not part of the datagram. */
static void
test_ethernet_padding(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t len = mk_v4_udp(f, 4);

	(void)state;
	assert_int_equal(len, 46);
	memset(f + len, 0, 60 - len);
	assert_int_equal(dec(f, 60, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l3_len, 32);
	assert_int_equal(p.payload_len, 4);
	assert_true(p.flags & HP_PKT_L4_CSUM_OK);

	/* non-zero padding bytes must not enter the checksum either */
	memset(f + len, 0xee, 60 - len);
	assert_int_equal(dec(f, 60, HP_DECODE_CSUM, &p), HP_DEC_OK);

	/* same with IPv6 / TCP, no payload: 74 bytes, padded to 80 */
	len = mk_v6_tcp(f, 0);
	memset(f + len, 0x77, 6);
	assert_int_equal(dec(f, len + 6, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l3_len, 60);
	assert_int_equal(p.payload_len, 0);
	assert_true(p.flags & HP_PKT_L4_CSUM_OK);
}

/* --- L2 -------------------------------------------------------------------------------------- */

static void
test_arp(void **state)
{
	uint8_t f[FRAME_MAX] = {0};
	struct hp_pkt p;
	uint32_t off = w_eth(f, 0x0806);

	(void)state;
	put16(f + off, 1);          /* Ethernet */
	put16(f + off + 2, 0x0800); /* IPv4 */
	f[off + 4] = 6;
	f[off + 5] = 4;
	put16(f + off + 6, 1); /* request */
	assert_int_equal(dec(f, 42, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l3, HP_L3_ARP);
	assert_int_equal(p.ethertype, 0x0806);
	assert_int_equal(p.l3_off, 14);
	assert_int_equal(p.l3_len, 28);
	assert_int_equal(p.flags, 0);
	assert_int_equal(dec(f, 60, 0, &p), HP_DEC_OK); /* padded */

	expect_err(f, 41, HP_DEC_ARP_TRUNC);
	expect_err(f, 14, HP_DEC_ARP_TRUNC);
	assert_int_equal(dec(f, 41, 0, &p), HP_DEC_ARP_TRUNC);
	assert_int_equal(p.l3, HP_L3_ARP);
}

static void
test_other_ethertypes(void **state)
{
	uint8_t f[FRAME_MAX] = {0};
	struct hp_pkt p;

	(void)state;
	w_eth(f, 0x88cc); /* LLDP */
	assert_int_equal(dec(f, 60, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l3, HP_L3_OTHER);
	assert_int_equal(p.ethertype, 0x88cc);
	assert_int_equal(p.l3_off, 14);
	assert_int_equal(p.l3_len, 0);
	assert_int_equal(p.flags, 0);
	assert_int_equal(dec(f, 14, 0, &p), HP_DEC_OK); /* header only */

	/* 802.3 + LLC (STP BPDU): length field 38, DSAP/SSAP 0x42 */
	w_eth(f, 38);
	f[14] = 0x42;
	f[15] = 0x42;
	f[16] = 0x03;
	assert_int_equal(dec(f, 60, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l3, HP_L3_OTHER);
	assert_int_equal(p.ethertype, 38);

	/* 0x05ff is still a length (< 0x0600) */
	w_eth(f, 0x05ff);
	assert_int_equal(dec(f, 60, 0, &p), HP_DEC_OK);
	assert_int_equal(p.l3, HP_L3_OTHER);

	expect_err(f, 0, HP_DEC_ETH_TRUNC);
	expect_err(f, 13, HP_DEC_ETH_TRUNC);
}

static void
test_vlan(void **state)
{
	uint8_t f[FRAME_MAX];
	uint8_t g[FRAME_MAX];
	struct hp_pkt p;
	uint32_t len = mk_v4_tcp(f, 0, 0, 20);

	(void)state;
	/* single 802.1Q tag: shift the IP datagram by 4 */
	w_eth(g, 0x8100);
	w_vlan(g, 14, 0x2064, 0x0800); /* PCP 1, VID 100 */
	memcpy(g + 18, f + 14, len - 14);
	assert_int_equal(dec(g, len + 4, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.n_vlan, 1);
	assert_int_equal(p.vlan[0], 0x2064);
	assert_int_equal(p.ethertype, 0x0800);
	assert_int_equal(p.l3_off, 18);
	assert_int_equal(p.l4_off, 38);
	assert_int_equal(p.payload_len, 20);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_L4_CSUM_OK);

	/* QinQ: 802.1ad outer, 802.1Q inner */
	w_eth(g, 0x88a8);
	w_vlan(g, 14, 10, 0x8100);
	w_vlan(g, 18, 0xe00d, 0x0800); /* PCP 7, VID 13: the whole TCI is reported */
	memcpy(g + 22, f + 14, len - 14);
	assert_int_equal(dec(g, len + 8, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.n_vlan, 2);
	assert_int_equal(p.vlan[0], 10);
	assert_int_equal(p.vlan[1], 0xe00d);
	assert_int_equal(p.l3_off, 22);
	assert_int_equal(p.sport, 40000);
	assert_true(p.flags & HP_PKT_L4_CSUM_OK);

	/* QinQ carrying ARP */
	w_vlan(g, 18, 20, 0x0806);
	memset(g + 22, 0, 28);
	assert_int_equal(dec(g, 50, 0, &p), HP_DEC_OK);
	assert_int_equal(p.l3, HP_L3_ARP);
	assert_int_equal(p.l3_off, 22);
	expect_err(g, 49, HP_DEC_ARP_TRUNC);

	/* a third tag */
	w_eth(g, 0x88a8);
	w_vlan(g, 14, 1, 0x8100);
	w_vlan(g, 18, 2, 0x8100);
	w_vlan(g, 22, 3, 0x0800);
	memcpy(g + 26, f + 14, len - 14);
	expect_err(g, len + 12, HP_DEC_VLAN_TOO_DEEP);
	assert_int_equal(dec(g, len + 12, 0, &p), HP_DEC_VLAN_TOO_DEEP);
	assert_int_equal(p.n_vlan, 2);

	/* tags cut short */
	expect_err(g, 17, HP_DEC_VLAN_TRUNC);
	expect_err(g, 21, HP_DEC_VLAN_TRUNC);
	assert_int_equal(dec(g, 21, 0, &p), HP_DEC_VLAN_TRUNC);
	assert_int_equal(p.n_vlan, 1);
	assert_int_equal(p.vlan[0], 1);
}

/* --- IPv4 errors ----------------------------------------------------------------------------- */

static void
test_ipv4_errors(void **state)
{
	uint8_t f[FRAME_MAX];
	uint8_t g[FRAME_MAX];
	uint32_t len = mk_v4_tcp(f, 0, 0, 40);

	(void)state;
	expect_err(f, 14, HP_DEC_IPV4_TRUNC);
	expect_err(f, 33, HP_DEC_IPV4_TRUNC);

	memcpy(g, f, len);
	g[14] = 0x65; /* version 6 in an IPv4 ethertype */
	expect_err(g, len, HP_DEC_IPV4_VERSION);

	memcpy(g, f, len);
	g[14] = 0x44; /* IHL 4 */
	refix_ipv4(g, 14);
	expect_err(g, len, HP_DEC_IPV4_HDR_LEN);

	/* IHL 15 but only 40 bytes of IP in the frame */
	memcpy(g, f, len);
	g[14] = 0x4f;
	put16(g + 16, 40);
	expect_err(g, 14 + 40, HP_DEC_IPV4_HDR_LEN);

	/* total length below the header length, and past the frame */
	memcpy(g, f, len);
	put16(g + 16, 19);
	refix_ipv4(g, 14);
	expect_err(g, len, HP_DEC_IPV4_TOTAL_LEN);
	memcpy(g, f, len);
	put16(g + 16, len - 14 + 1);
	refix_ipv4(g, 14);
	expect_err(g, len, HP_DEC_IPV4_TOTAL_LEN);
	expect_err(f, len - 1, HP_DEC_IPV4_TOTAL_LEN); /* frame cut inside the datagram */

	/* header checksum */
	memcpy(g, f, len);
	g[24] ^= 0x01;
	expect_csum_err(g, len, HP_DEC_IPV4_CSUM);
	memcpy(g, f, len);
	g[22]--; /* TTL changed, checksum not updated */
	expect_csum_err(g, len, HP_DEC_IPV4_CSUM);
}

static void
test_l4_errors_v4(void **state)
{
	uint8_t f[FRAME_MAX];
	uint32_t len, l4 = 34;
	struct hp_pkt p;

	(void)state;
	/* TCP: 19 bytes of segment */
	len = w_eth(f, 0x0800);
	len = w_ipv4(f, len, P_TCP, 0, 19, 0);
	memset(f + len, 0, 19);
	expect_err(f, len + 19, HP_DEC_TCP_TRUNC);

	/* TCP data offset 4, then 15 with only 40 bytes of segment */
	len = mk_v4_tcp(f, 0, 0, 20);
	f[l4 + 12] = 0x40;
	expect_err(f, len, HP_DEC_TCP_HDR_LEN);
	f[l4 + 12] = 0xf0;
	expect_err(f, len, HP_DEC_TCP_TRUNC);
	f[l4 + 12] = 0xa0; /* 40 bytes: all of the segment is header */
	fix_l4_v4(f, 14, l4, len - l4);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.payload_off, len);

	/* TCP checksum */
	len = mk_v4_tcp(f, 0, 0, 20);
	f[len - 1] ^= 0x80;
	expect_csum_err(f, len, HP_DEC_TCP_CSUM);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_TCP_CSUM);
	assert_true(p.flags & HP_PKT_L4); /* header fields are valid, checksum is not */
	assert_false(p.flags & HP_PKT_L4_CSUM_OK);

	/* UDP: 7 bytes, length field disagreeing both ways, checksum */
	len = w_eth(f, 0x0800);
	len = w_ipv4(f, len, P_UDP, 0, 7, 0);
	memset(f + len, 0, 7);
	expect_err(f, len + 7, HP_DEC_UDP_TRUNC);
	len = mk_v4_udp(f, 10);
	put16(f + l4 + 4, 17);
	fix_l4_v4(f, 14, l4, len - l4);
	expect_err(f, len, HP_DEC_UDP_LEN);
	put16(f + l4 + 4, 19);
	fix_l4_v4(f, 14, l4, len - l4);
	expect_err(f, len, HP_DEC_UDP_LEN);
	put16(f + l4 + 4, 7);
	expect_err(f, len, HP_DEC_UDP_LEN);
	len = mk_v4_udp(f, 10);
	f[l4 + 1] ^= 1; /* source port */
	expect_csum_err(f, len, HP_DEC_UDP_CSUM);

	/* ICMP: 3 bytes, checksum */
	len = w_eth(f, 0x0800);
	len = w_ipv4(f, len, P_ICMP, 0, 3, 0);
	memset(f + len, 0, 3);
	expect_err(f, len + 3, HP_DEC_ICMP_TRUNC);
	len = mk_v4_icmp(f, 5);
	f[len - 2] ^= 0x10;
	expect_csum_err(f, len, HP_DEC_ICMP_CSUM);
}

static void
test_udp_zero_csum(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t len;

	(void)state;
	len = mk_v4_udp(f, 12);
	put16(f + 34 + 6, 0);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_L4); /* valid, but nothing was verified */

	len = mk_v6_udp(f, 12);
	put16(f + 54 + 6, 0);
	expect_csum_err(f, len, HP_DEC_UDP_CSUM);
}

/* A segment whose data sums to 0xffff: TCP carries checksum 0, UDP carries 0xffff. */
static void
test_csum_edge_values(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t len, l4 = 34, l4_len;
	uint16_t c;

	(void)state;
	len = mk_v4_udp(f, 2);
	l4_len = len - l4;
	/* choose the 2 payload bytes so that the complemented sum is 0 */
	put16(f + len - 2, 0);
	fix_l4_v4(f, 14, l4, l4_len);
	c = get16(f + l4 + 6);
	put16(f + len - 2, c);
	fix_l4_v4(f, 14, l4, l4_len);
	assert_int_equal(get16(f + l4 + 6), 0xffff);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_true(p.flags & HP_PKT_L4_CSUM_OK);

	len = mk_v4_tcp(f, 0, 0, 2);
	l4_len = len - l4;
	put16(f + len - 2, 0);
	fix_l4_v4(f, 14, l4, l4_len);
	c = get16(f + l4 + 16);
	put16(f + len - 2, c);
	fix_l4_v4(f, 14, l4, l4_len);
	assert_int_equal(get16(f + l4 + 16), 0);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_true(p.flags & HP_PKT_L4_CSUM_OK);
	/* and the other representation of zero is accepted too (RFC 1624) */
	put16(f + l4 + 16, 0xffff);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
}

/* Every tail of the checksum sum (32/16/8/4/2/1-byte steps), at both frame alignments. */
static void
test_csum_all_lengths(void **state)
{
	uint8_t buf[FRAME_MAX + 2];
	struct hp_pkt p;
	uint32_t n, len, al;

	(void)state;
	for (al = 0; al <= 1; al++) {
		uint8_t *f = buf + al;

		for (n = 0; n <= 100; n++) {
			len = mk_v4_udp(f, n);
			assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
			assert_true(p.flags & HP_PKT_L4_CSUM_OK);
			f[len - 1 - n / 2] ^= 0x01; /* a payload or header byte */
			assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_UDP_CSUM);

			len = mk_v6_tcp(f, n);
			assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
			assert_true(p.flags & HP_PKT_L4_CSUM_OK);
			f[len - 1 - n / 3] ^= 0x80;
			assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_TCP_CSUM);
		}
	}
}

/* --- IPv4 fragments -------------------------------------------------------------------------- */

static void
test_ipv4_fragments(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t len, l4;

	(void)state;
	/* first fragment: TCP header + 28 bytes, MF, bogus L4 checksum (covers the datagram) */
	len = w_eth(f, 0x0800);
	l4 = w_ipv4(f, len, P_TCP, 0, 48, 0x2000);
	len = w_data(f, w_tcp(f, l4, 0), 28);
	put16(f + l4 + 16, 0xbad0);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_FRAG | HP_PKT_FRAG_FIRST | HP_PKT_L4);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.l4_off, 34);
	assert_int_equal(p.payload_off, 54);
	assert_int_equal(p.payload_len, 28);

	/* first fragment too short for the TCP header (tiny fragment): OK, no L4 */
	len = w_eth(f, 0x0800);
	l4 = w_ipv4(f, len, P_TCP, 0, 16, 0x2000);
	len = w_data(f, l4, 16);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_FRAG | HP_PKT_FRAG_FIRST);

	/* first fragment of UDP: the UDP length is the datagram's, not checked */
	len = w_eth(f, 0x0800);
	l4 = w_ipv4(f, len, P_UDP, 0, 24, 0x2000);
	len = w_data(f, w_udp(f, l4, 3000), 16);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_FRAG | HP_PKT_FRAG_FIRST | HP_PKT_L4);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.payload_len, 16);

	/* middle fragment (offset 185 * 8, MF): data only */
	len = w_eth(f, 0x0800);
	l4 = w_ipv4(f, len, P_TCP, 0, 64, 0x2000 | 185);
	len = w_data(f, l4, 64);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_FRAG);
	assert_int_equal(p.l4_proto, P_TCP);
	assert_int_equal(p.l4_off, 34);
	assert_int_equal(p.l3_len, 84);
	assert_int_equal(p.sport, 0);

	/* last fragment: no MF, any length, DF bit ignored */
	len = w_eth(f, 0x0800);
	l4 = w_ipv4(f, len, P_UDP, 0, 13, 0x4000 | 370);
	len = w_data(f, l4, 13);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_FRAG);

	/* DF alone is not a fragment */
	len = w_eth(f, 0x0800);
	l4 = w_ipv4(f, len, P_UDP, 0, 8 + 3, 0x4000);
	len = w_data(f, w_udp(f, l4, 11), 3);
	fix_l4_v4(f, 14, l4, len - l4);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_L4_CSUM_OK);

	/* bad: MF with a length not a multiple of 8 */
	len = w_eth(f, 0x0800);
	l4 = w_ipv4(f, len, P_TCP, 0, 60, 0x2000 | 3);
	len = w_data(f, l4, 60);
	expect_err(f, len, HP_DEC_IPV4_FRAG_BAD);
	assert_int_equal(dec(f, len, 0, &p), HP_DEC_IPV4_FRAG_BAD);
	assert_true(p.flags & HP_PKT_FRAG);

	/* bad: offset * 8 + length > 65535; exactly 65535 is fine */
	len = w_eth(f, 0x0800);
	l4 = w_ipv4(f, len, P_TCP, 0, 16, 8190);
	len = w_data(f, l4, 16);
	expect_err(f, len, HP_DEC_IPV4_FRAG_BAD);
	len = w_eth(f, 0x0800);
	l4 = w_ipv4(f, len, P_TCP, 0, 15, 8190);
	len = w_data(f, l4, 15);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
}

/* --- IPv6 ------------------------------------------------------------------------------------ */

static void
test_ipv6_tcp_udp(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t len = mk_v6_tcp(f, 1000);

	(void)state;
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.ethertype, 0x86dd);
	assert_int_equal(p.l3, HP_L3_IPV6);
	assert_int_equal(p.l3_off, 14);
	assert_int_equal(p.l3_len, 40 + 20 + 1000);
	assert_int_equal(p.l3_hdr_len, 40);
	assert_int_equal(p.l4_proto, P_TCP);
	assert_int_equal(p.l4_off, 54);
	assert_int_equal(p.payload_off, 74);
	assert_int_equal(p.payload_len, 1000);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_L4_CSUM_OK);
	assert_int_equal(p.tcp_seq, 0x01020304);
	assert_int_equal(p.ip_ttl, 64);
	f[len - 500] ^= 0x42;
	expect_csum_err(f, len, HP_DEC_TCP_CSUM);

	len = mk_v6_udp(f, 7);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l4_proto, P_UDP);
	assert_int_equal(p.sport, 5353);
	assert_int_equal(p.payload_off, 62);
	assert_int_equal(p.payload_len, 7);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_L4_CSUM_OK);
	put16(f + 54 + 4, 14);
	fix_l4_v6(f, 14, NULL, P_UDP, 54, len - 54);
	expect_err(f, len, HP_DEC_UDP_LEN);
}

static void
test_ipv6_icmp(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t len;

	(void)state;
	len = mk_v6_icmp(f, false, 32);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l4_proto, P_ICMP6);
	assert_int_equal(p.sport, 128 << 8);
	assert_int_equal(p.l3_hdr_len, 40);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_L4_CSUM_OK);
	f[len - 1] ^= 1;
	expect_csum_err(f, len, HP_DEC_ICMP_CSUM);

	/* behind hop-by-hop: the pseudo header says 58, not the fixed header's 0 */
	len = mk_v6_icmp(f, true, 32);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l4_proto, P_ICMP6);
	assert_int_equal(p.l3_hdr_len, 48);
	assert_int_equal(p.l4_off, 14 + 48);
	assert_int_equal(p.payload_len, 4 + 32);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_L4_CSUM_OK | HP_PKT_IPV6_EXT);
	f[len - 1] ^= 1;
	expect_csum_err(f, len, HP_DEC_ICMP_CSUM);

	/* checksum computed with next header 0 and the full payload length must be rejected */
	len = mk_v6_icmp(f, true, 32);
	fix_l4_v6(f, 14, NULL, P_HBH, 62, len - 62); /* writes at the ICMP checksum offset */
	expect_csum_err(f, len, HP_DEC_ICMP_CSUM);

	/* ICMPv6 too short */
	len = w_eth(f, 0x86dd);
	len = w_ext(f, w_ipv6(f, len, P_HBH, 11), P_HBH, P_ICMP6, 8);
	memset(f + len, 0, 3);
	expect_err(f, len + 3, HP_DEC_ICMP_TRUNC);
}

static void
test_ipv6_errors(void **state)
{
	uint8_t f[FRAME_MAX];
	uint8_t g[FRAME_MAX];
	uint32_t len = mk_v6_tcp(f, 10), off;

	(void)state;
	expect_err(f, 14 + 39, HP_DEC_IPV6_TRUNC);
	memcpy(g, f, len);
	g[14] = 0x40;
	expect_err(g, len, HP_DEC_IPV6_VERSION);
	expect_err(f, len - 1, HP_DEC_IPV6_PAYLOAD_LEN);
	memcpy(g, f, len);
	put16(g + 18, 0); /* payload length 0 with hop-by-hop: jumbogram */
	g[20] = P_HBH;
	expect_err(g, len, HP_DEC_IPV6_PAYLOAD_LEN);

	/* payload length 0, No Next Header: a valid empty datagram */
	off = w_ipv6(f, w_eth(f, 0x86dd), P_NONE, 0);
	{
		struct hp_pkt p;

		assert_int_equal(dec(f, off, HP_DECODE_CSUM, &p), HP_DEC_OK);
		assert_int_equal(p.l4_proto, P_NONE);
		assert_int_equal(p.flags, 0);
		assert_int_equal(p.l4_off, off);
	}

	/* TCP header cut, data offset < 5 */
	off = w_ipv6(f, w_eth(f, 0x86dd), P_TCP, 19);
	memset(f + off, 0, 19);
	expect_err(f, off + 19, HP_DEC_TCP_TRUNC);
	len = mk_v6_tcp(f, 0);
	f[54 + 12] = 0x30;
	expect_err(f, len, HP_DEC_TCP_HDR_LEN);

	/* UDP too short */
	off = w_ipv6(f, w_eth(f, 0x86dd), P_UDP, 4);
	memset(f + off, 0, 4);
	expect_err(f, off + 4, HP_DEC_UDP_TRUNC);
}

static void
test_ipv6_ext_chain(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t l3 = 14, off, l4, len;

	(void)state;
	/* HBH(8) + DST(16) + RT(24, segments left 0) + AH(24) + MOB? no: TCP; checksum correct */
	w_eth(f, 0x86dd);
	off = w_ipv6(f, l3, P_HBH, 8 + 16 + 24 + 24 + 20 + 5);
	off = w_ext(f, off, P_HBH, P_DST, 8);
	off = w_ext(f, off, P_DST, P_RT, 16);
	off = w_ext(f, off, P_RT, P_AH, 24);
	l4 = w_ext(f, off, P_AH, P_TCP, 24);
	len = w_data(f, w_tcp(f, l4, 0), 5);
	fix_l4_v6(f, l3, NULL, P_TCP, l4, len - l4);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l4_proto, P_TCP);
	assert_int_equal(p.l3_hdr_len, 40 + 72);
	assert_int_equal(p.l4_off, l4);
	assert_int_equal(p.payload_len, 5);
	assert_int_equal(p.frag_off, 0);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_L4_CSUM_OK | HP_PKT_IPV6_EXT);
	f[l4 - 24 + 1] = 5; /* AH length 5 -> 28 bytes: TCP would start 4 bytes later */
	fix_l4_v6(f, l3, NULL, P_TCP, l4, len - l4);
	assert_int_not_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);

	/* UDP behind a destination options header */
	off = w_ipv6(f, l3, P_DST, 8 + 8 + 3);
	l4 = w_ext(f, off, P_DST, P_UDP, 8);
	len = w_data(f, w_udp(f, l4, 11), 3);
	fix_l4_v6(f, l3, NULL, P_UDP, l4, len - l4);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_L4_CSUM_OK | HP_PKT_IPV6_EXT);
	assert_int_equal(p.payload_len, 3);

	/* stop at ESP, No Next Header, an unknown protocol, mobility -> none */
	off = w_ipv6(f, l3, P_HBH, 8 + 16);
	w_ext(f, off, P_HBH, P_ESP, 8);
	len = w_data(f, off + 8, 16);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l4_proto, P_ESP);
	assert_int_equal(p.l4_off, off + 8);
	assert_int_equal(p.flags, HP_PKT_IPV6_EXT);
	f[off] = 253;
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l4_proto, 253);
	f[off] = P_MOB;
	w_ext(f, off + 8, P_DST, P_NONE, 16); /* mobility header, 16 bytes, then nothing */
	f[off + 8] = P_NONE;
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l4_proto, P_NONE);
	assert_int_equal(p.l3_hdr_len, 40 + 8 + 16);
}

static void
test_ipv6_ext_errors(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t l3 = 14, off, i, len;

	(void)state;
	/* 8 destination options headers, then UDP: the maximum */
	w_eth(f, 0x86dd);
	off = w_ipv6(f, l3, P_DST, 8 * 8 + 8);
	for (i = 0; i < 8; i++)
		off = w_ext(f, off, P_DST, i == 7 ? P_UDP : P_DST, 8);
	len = w_udp(f, off, 8);
	fix_l4_v6(f, l3, NULL, P_UDP, off, 8);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l3_hdr_len, 40 + 64);
	assert_true(p.flags & HP_PKT_L4_CSUM_OK);

	/* a 9th */
	off = w_ipv6(f, l3, P_DST, 9 * 8 + 8);
	for (i = 0; i < 9; i++)
		off = w_ext(f, off, P_DST, i == 8 ? P_UDP : P_DST, 8);
	len = w_udp(f, off, 8);
	fix_l4_v6(f, l3, NULL, P_UDP, off, 8);
	expect_err(f, len, HP_DEC_IPV6_EXT_TOO_MANY);

	/* chain runs past the payload: header length, and fewer than 8 bytes left */
	off = w_ipv6(f, l3, P_HBH, 16);
	w_ext(f, off, P_HBH, P_UDP, 16);
	f[off + 1] = 2; /* claims 24 bytes */
	expect_err(f, off + 16, HP_DEC_IPV6_EXT_TRUNC);
	expect_err(f, off + 16 + 100, HP_DEC_IPV6_EXT_TRUNC); /* bytes beyond payload don't count */
	off = w_ipv6(f, l3, P_HBH, 8);
	w_ext(f, off, P_HBH, P_DST, 8);
	expect_err(f, off + 8, HP_DEC_IPV6_EXT_TRUNC);
	off = w_ipv6(f, l3, P_FRAG, 7);
	memset(f + off, 0, 7);
	expect_err(f, off + 7, HP_DEC_IPV6_EXT_TRUNC);
	off = w_ipv6(f, l3, P_AH, 12);
	w_ext(f, off, P_AH, P_TCP, 12);
	f[off + 1] = 2; /* 16 bytes */
	expect_err(f, off + 12, HP_DEC_IPV6_EXT_TRUNC);
}

static void
test_ipv6_fragments(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t l3 = 14, off, frag, l4, len;

	(void)state;
	/* first fragment, TCP header + 12 bytes, bogus checksum */
	w_eth(f, 0x86dd);
	frag = w_ipv6(f, l3, P_FRAG, 8 + 20 + 12);
	l4 = w_frag6(f, frag, P_TCP, 0, true);
	len = w_data(f, w_tcp(f, l4, 0), 12);
	put16(f + l4 + 16, 0xbad0);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_FRAG | HP_PKT_FRAG_FIRST | HP_PKT_L4);
	assert_int_equal(p.frag_off, frag);
	assert_int_equal(p.l3_hdr_len, 40);
	assert_int_equal(p.l4_proto, P_TCP);
	assert_int_equal(p.l4_off, l4);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.payload_len, 12);

	/* non-first: bytes after the fragment header are data, even if they look like headers */
	put16(f + frag + 2, 1448);
	f[l4] = P_HBH;
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_FRAG);
	assert_int_equal(p.l4_proto, P_TCP);
	assert_int_equal(p.l4_off, l4);
	assert_int_equal(p.sport, 0);

	/* HBH + DST + FRAG (first) + UDP */
	off = w_ipv6(f, l3, P_HBH, 8 + 16 + 8 + 8 + 8);
	off = w_ext(f, off, P_HBH, P_DST, 8);
	frag = w_ext(f, off, P_DST, P_FRAG, 16);
	l4 = w_frag6(f, frag, P_UDP, 0, true);
	len = w_data(f, w_udp(f, l4, 1000), 8);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.frag_off, 14 + 40 + 24);
	assert_int_equal(p.l3_hdr_len, 40 + 24);
	assert_int_equal(p.l4_off, 14 + 40 + 32);
	assert_int_equal(p.l4_proto, P_UDP);
	assert_int_equal(p.payload_len, 8);
	assert_int_equal(p.flags, HP_PKT_FRAG | HP_PKT_FRAG_FIRST | HP_PKT_L4 | HP_PKT_IPV6_EXT);
	/* the same as the last fragment */
	put16(f + frag + 2, 2048);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_FRAG | HP_PKT_IPV6_EXT);
	assert_int_equal(p.l3_hdr_len, 40 + 24);
	assert_int_equal(p.l4_off, 14 + 40 + 32);

	/* first fragment, DST after the fragment header: no HP_PKT_IPV6_EXT (the later fragments
	 * cannot show that header, all fragments must agree) */
	frag = w_ipv6(f, l3, P_FRAG, 8 + 8 + 8 + 8);
	off = w_frag6(f, frag, P_DST, 0, true);
	l4 = w_ext(f, off, P_DST, P_UDP, 8);
	len = w_data(f, w_udp(f, l4, 100), 8);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_FRAG | HP_PKT_FRAG_FIRST | HP_PKT_L4);
	assert_int_equal(p.l3_hdr_len, 40);
	assert_int_equal(p.frag_off, frag);
	assert_int_equal(p.l4_off, l4);

	/* bad: M with 12 bytes of fragment data; offset overflow; nested fragment headers */
	frag = w_ipv6(f, l3, P_FRAG, 8 + 12);
	w_frag6(f, frag, P_UDP, 8, true);
	len = w_data(f, frag + 8, 12);
	expect_err(f, len, HP_DEC_IPV6_FRAG_BAD);
	w_frag6(f, frag, P_UDP, 65528, false);
	expect_err(f, len, HP_DEC_IPV6_FRAG_BAD);
	w_frag6(f, frag, P_UDP, 65520, false); /* 65520 + 12 fits */
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	frag = w_ipv6(f, l3, P_FRAG, 8 + 8 + 8);
	w_frag6(f, frag, P_FRAG, 0, true);
	w_frag6(f, frag + 8, P_UDP, 0, true);
	len = w_data(f, frag + 16, 8);
	expect_err(f, len, HP_DEC_IPV6_FRAG_BAD);

	/* first fragment whose extension chain does not fit (RFC 7112) */
	frag = w_ipv6(f, l3, P_FRAG, 8 + 8);
	w_frag6(f, frag, P_DST, 0, true);
	w_ext(f, frag + 8, P_DST, P_TCP, 8);
	f[frag + 9] = 1; /* 16 bytes */
	expect_err(f, frag + 16, HP_DEC_IPV6_EXT_TRUNC);
}

/* Fragment header with offset 0 and M clear (RFC 6946): a whole datagram, checksum verified. */
static void
test_ipv6_atomic_fragment(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t l3 = 14, frag, l4, len;

	(void)state;
	w_eth(f, 0x86dd);
	frag = w_ipv6(f, l3, P_FRAG, 8 + 20 + 9);
	l4 = w_frag6(f, frag, P_TCP, 0, false);
	len = w_data(f, w_tcp(f, l4, 0), 9);
	fix_l4_v6(f, l3, NULL, P_TCP, l4, len - l4);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_L4_CSUM_OK | HP_PKT_IPV6_EXT);
	assert_int_equal(p.frag_off, frag);
	assert_int_equal(p.l3_hdr_len, 48);
	assert_int_equal(p.payload_len, 9);
}

/* Routing header with segments left: the pseudo header carries the final destination. */
static void
test_ipv6_routing_final_dst(void **state)
{
	uint8_t f[FRAME_MAX];
	struct hp_pkt p;
	uint32_t l3 = 14, rt, l4, len;

	(void)state;
	/* SRH (type 4) with 2 segments, segments left 1: segment list[0] is the final one */
	w_eth(f, 0x86dd);
	rt = w_ipv6(f, l3, P_RT, 40 + 8 + 4);
	l4 = w_ext(f, rt, P_RT, P_UDP, 40);
	f[rt + 3] = 1; /* segments left */
	f[rt + 4] = 1; /* last entry */
	memcpy(f + rt + 8, ip6_final, 16);
	memcpy(f + rt + 24, ip6_dst, 16);
	len = w_data(f, w_udp(f, l4, 12), 4);
	fix_l4_v6(f, l3, ip6_final, P_UDP, l4, len - l4);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_L4_CSUM_OK | HP_PKT_IPV6_EXT);
	fix_l4_v6(f, l3, NULL, P_UDP, l4, len - l4); /* computed with the header's dst: wrong */
	expect_csum_err(f, len, HP_DEC_UDP_CSUM);

	/* type 2 (mobile IPv6 home address) */
	w_ext(f, rt, P_RT, P_UDP, 24);
	f[rt + 2] = 2;
	f[rt + 3] = 1;
	memcpy(f + rt + 8, ip6_final, 16);
	put16(f + l3 + 4, 24 + 12);
	l4 = rt + 24;
	len = w_data(f, w_udp(f, l4, 12), 4);
	fix_l4_v6(f, l3, ip6_final, P_UDP, l4, len - l4);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_true(p.flags & HP_PKT_L4_CSUM_OK);

	/* unknown routing type with segments left: decoded, checksum not verifiable */
	f[rt + 2] = 3;
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.flags, HP_PKT_L4 | HP_PKT_IPV6_EXT);
}

/* Bytes past 65535 are fine for IPv4; IPv6 whose 40 + payload overflows l3_len is refused. */
static void
test_large_frames(void **state)
{
	static uint8_t f[70000];
	struct hp_pkt p;
	uint32_t len;

	(void)state;
	len = mk_v4_udp(f, 65535 - 28);
	assert_int_equal(len, 14 + 65535);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l3_len, 65535);
	assert_int_equal(p.payload_len, 65535 - 28);
	assert_true(p.flags & HP_PKT_L4_CSUM_OK);

	len = mk_v6_udp(f, 65495 - 8);
	assert_int_equal(dec(f, len, HP_DECODE_CSUM, &p), HP_DEC_OK);
	assert_int_equal(p.l3_len, 65535);
	len = mk_v6_udp(f, 65495 - 8 + 1);
	expect_err(f, len, HP_DEC_IPV6_PAYLOAD_LEN);
}

/* --- every truncation of valid frames -------------------------------------------------------- */

static void
sweep_truncations(const uint8_t *f, uint32_t len)
{
	struct hp_pkt full, p;
	uint32_t t, need;
	unsigned int fl;

	for (fl = 0; fl <= HP_DECODE_CSUM; fl++) {
		assert_int_equal(dec(f, len, fl, &full), HP_DEC_OK);
		need = full.l3 == HP_L3_OTHER ? 14u + 4u * full.n_vlan
					      : (uint32_t)full.l3_off + full.l3_len;
		for (t = 0; t < len; t++) {
			enum hp_decode_err e = dec(f, t, fl, &p);

			assert_true((unsigned int)e < HP_DEC__MAX);
			if (t < need)
				assert_int_not_equal(e, HP_DEC_OK);
			if (e == HP_DEC_OK)
				assert_memory_equal(&p, &full,
						    sizeof(p)); /* only padding was cut */
		}
	}
}

static void
test_truncation_sweep(void **state)
{
	uint8_t f[FRAME_MAX];
	uint8_t g[FRAME_MAX];
	uint32_t len, off, frag;

	(void)state;
	sweep_truncations(f, mk_v4_tcp(f, 8, 12, 30));
	sweep_truncations(f, mk_v4_icmp(f, 3));
	sweep_truncations(f, mk_v6_tcp(f, 17));
	sweep_truncations(f, mk_v6_icmp(f, true, 9));

	len = mk_v4_udp(f, 4); /* padded to 60 */
	memset(f + len, 0, 60 - len);
	sweep_truncations(f, 60);

	len = mk_v6_udp(f, 5); /* QinQ */
	w_eth(g, 0x88a8);
	w_vlan(g, 14, 7, 0x8100);
	w_vlan(g, 18, 8, 0x86dd);
	memcpy(g + 22, f + 14, len - 14);
	sweep_truncations(g, len + 8);

	w_eth(f, 0x86dd); /* HBH + DST + first fragment */
	off = w_ipv6(f, 14, P_HBH, 8 + 16 + 8 + 20 + 12);
	off = w_ext(f, off, P_HBH, P_DST, 8);
	frag = w_ext(f, off, P_DST, P_FRAG, 16);
	len = w_data(f, w_tcp(f, w_frag6(f, frag, P_TCP, 0, true), 0), 12);
	sweep_truncations(f, len);

	memset(f, 0, 60); /* ARP */
	w_eth(f, 0x0806);
	sweep_truncations(f, 42);
}

static void
test_err_names(void **state)
{
	static const char *const names[HP_DEC__MAX] = {
		"ok",
		"eth_trunc",
		"vlan_trunc",
		"vlan_too_deep",
		"arp_trunc",
		"ipv4_trunc",
		"ipv4_version",
		"ipv4_hdr_len",
		"ipv4_total_len",
		"ipv4_csum",
		"ipv4_frag_bad",
		"ipv6_trunc",
		"ipv6_version",
		"ipv6_payload_len",
		"ipv6_ext_trunc",
		"ipv6_ext_too_many",
		"ipv6_frag_bad",
		"tcp_trunc",
		"tcp_hdr_len",
		"tcp_csum",
		"udp_trunc",
		"udp_len",
		"udp_csum",
		"icmp_trunc",
		"icmp_csum",
	};
	int i;

	(void)state;
	for (i = 0; i < HP_DEC__MAX; i++)
		assert_string_equal(hp_decode_err_name((enum hp_decode_err)i), names[i]);
	assert_string_equal(hp_decode_err_name(HP_DEC__MAX), "unknown");
	assert_string_equal(hp_decode_err_name((enum hp_decode_err) - 1), "unknown");
	assert_string_equal(hp_decode_err_name((enum hp_decode_err)1000), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builders_match_scapy),
		cmocka_unit_test(test_ipv4_tcp_fields),
		cmocka_unit_test(test_ipv4_udp),
		cmocka_unit_test(test_ipv4_icmp_echo),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_other_ethertypes),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_ipv4_errors),
		cmocka_unit_test(test_l4_errors_v4),
		cmocka_unit_test(test_udp_zero_csum),
		cmocka_unit_test(test_csum_edge_values),
		cmocka_unit_test(test_csum_all_lengths),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv6_tcp_udp),
		cmocka_unit_test(test_ipv6_icmp),
		cmocka_unit_test(test_ipv6_errors),
		cmocka_unit_test(test_ipv6_ext_chain),
		cmocka_unit_test(test_ipv6_ext_errors),
		cmocka_unit_test(test_ipv6_fragments),
		cmocka_unit_test(test_ipv6_atomic_fragment),
		cmocka_unit_test(test_ipv6_routing_final_dst),
		cmocka_unit_test(test_large_frames),
		cmocka_unit_test(test_truncation_sweep),
		cmocka_unit_test(test_err_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
