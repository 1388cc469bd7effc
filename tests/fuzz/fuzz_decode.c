/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for hp_decode(): every input is decoded with and without checksum
 * validation. Besides what ASan/UBSan catch (any read past len: libFuzzer hands us a buffer of
 * exactly `size` bytes), an HP_DEC_OK result must describe only bytes inside the frame, and the
 * two modes must agree on everything except checksum outcomes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp_decode.h"

#include "fuzz.h"

static int
is_csum_err(enum hp_decode_err e)
{
	return e == HP_DEC_IPV4_CSUM || e == HP_DEC_TCP_CSUM || e == HP_DEC_UDP_CSUM ||
	       e == HP_DEC_ICMP_CSUM;
}

static void
check_ok(const struct hp_pkt *p, uint32_t len)
{
	uint32_t l3_end = (uint32_t)p->l3_off + p->l3_len;

	CHECK(p->n_vlan <= 2);
	CHECK(p->l3 <= HP_L3_IPV6);
	CHECK(p->l3_off <= len);
	if (p->l3 == HP_L3_IPV4 || p->l3 == HP_L3_IPV6) {
		CHECK(l3_end <= len);
		CHECK(p->l3_hdr_len <= p->l3_len);
		CHECK(p->l4_off >= p->l3_off + p->l3_hdr_len);
		CHECK(p->l4_off <= l3_end);
		if (p->frag_off)
			CHECK(p->frag_off + 8u <= l3_end);
	} else {
		CHECK(l3_end <= len);
		CHECK(p->flags == 0);
	}
	if (p->flags & HP_PKT_L4) {
		CHECK(p->payload_off >= p->l4_off);
		CHECK((uint32_t)p->payload_off + p->payload_len <= l3_end);
		CHECK((uint32_t)p->payload_off + p->payload_len <= len);
	}
	if (p->flags & HP_PKT_FRAG_FIRST)
		CHECK(p->flags & HP_PKT_FRAG);
	if (p->flags & HP_PKT_L4_CSUM_OK)
		CHECK((p->flags & HP_PKT_L4) && !(p->flags & HP_PKT_FRAG));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_pkt with, without;
	enum hp_decode_err e1, e2;
	uint32_t len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;

	e1 = hp_decode(data, len, HP_DECODE_CSUM, &with);
	e2 = hp_decode(data, len, 0, &without);
	CHECK((unsigned int)e1 < HP_DEC__MAX && (unsigned int)e2 < HP_DEC__MAX);
	CHECK(strcmp(hp_decode_err_name(e1), "unknown") != 0);

	if (e1 == HP_DEC_OK)
		check_ok(&with, len);
	if (e2 == HP_DEC_OK)
		check_ok(&without, len);
	CHECK(!is_csum_err(e2));

	/* Validation only adds checksum errors: same result otherwise, same fields but for the
	 * checksum flag. An L4 checksum is the last check; the IPv4 header checksum may hide a
	 * later (fragment or L4) error. */
	if (!is_csum_err(e1)) {
		CHECK(e1 == e2);
		if (e1 == HP_DEC_OK) {
			with.flags &= (uint8_t)~HP_PKT_L4_CSUM_OK;
			CHECK(memcmp(&with, &without, sizeof(with)) == 0);
		}
	} else if (e1 != HP_DEC_IPV4_CSUM) {
		CHECK(e2 == HP_DEC_OK);
	}
	return 0;
}
