/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for lib/pii: scan + validate + mask over any body.
 *
 * Input: byte 0 picks the database (every built-in entity; or one entity alone, so each
 * validator sees candidates the others would not leave it), the rest is the body. The body is
 * copied into a buffer of exactly its size (ASan sees any read past it).
 *
 * Traps on: a scan error on a valid buffer; a span outside the body, empty, of an unknown
 * entity, out of order or overlapping another span of its entity; counts that disagree with
 * the spans; a second scan disagreeing with the first; masking that changes the length or a
 * byte outside every span, or reports a different number of changed bytes than it changed;
 * and (differential) the same database built hyperscan_only, where every built-in goes through
 * its Hyperscan prefilter instead of the digit-run pass, finding other spans than the default;
 * and every version of the digit-run pass this CPU has (the block-mask ones) giving another
 * result than its reference version, the kept spans' order included.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pii/pii.h"
#include "pii/pii_priv.h"

#include "fuzz.h"

#define N_DB (HP_PII__BUILTIN_COUNT + 1)

static struct hp_pii_db *dbs[N_DB], *ref_dbs[N_DB];
static struct hp_pii_scratch *scratch[N_DB], *ref_scratch[N_DB];
static struct hp_pii_result res, res2;

/* res and r hold the same spans, in any order (the two engines report in different orders) */
static bool
same_spans(const struct hp_pii_result *a, const struct hp_pii_result *b)
{
	if (a->total != b->total || a->n_spans != b->n_spans || a->n_dropped != 0 ||
	    b->n_dropped != 0 || memcmp(a->count, b->count, sizeof(a->count)) != 0)
		return a->n_dropped != 0 || b->n_dropped != 0 ? a->total == b->total : false;
	for (uint32_t i = 0; i < a->n_spans; i++) {
		bool found = false;

		for (uint32_t k = 0; k < b->n_spans && !found; k++)
			found = a->span[i].start == b->span[k].start &&
				a->span[i].end == b->span[k].end &&
				a->span[i].entity == b->span[k].entity;
		if (!found)
			return false;
	}
	return true;
}

/* the same result, the order of the kept spans included */
static bool
same_result(const struct hp_pii_result *a, const struct hp_pii_result *b)
{
	if (a->total != b->total || a->n_spans != b->n_spans || a->n_dropped != b->n_dropped ||
	    memcmp(a->count, b->count, sizeof(a->count)) != 0)
		return false;
	for (uint32_t i = 0; i < a->n_spans; i++)
		if (a->span[i].start != b->span[i].start || a->span[i].end != b->span[i].end ||
		    a->span[i].entity != b->span[i].entity)
			return false;
	return true;
}

static void
setup(void)
{
	char err[256];

	for (unsigned int i = 0; i < N_DB; i++) {
		struct hp_pii_config c = {
			.enabled = i == 0 ? HP_PII_ALL_BUILTIN : UINT64_C(1) << (i - 1),
		};

		if (hp_pii_db_create(&c, &dbs[i], err, sizeof(err)) != 0 ||
		    hp_pii_scratch_create(dbs[i], &scratch[i]) != 0)
			abort();
		c.hyperscan_only = true;
		if (hp_pii_db_create(&c, &ref_dbs[i], err, sizeof(err)) != 0 ||
		    hp_pii_scratch_create(ref_dbs[i], &ref_scratch[i]) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	unsigned int d;
	uint8_t *body, *orig;
	size_t len, changed = 0;
	uint32_t per[HP_PII_MAX_ENTITIES] = {0}, last_end[HP_PII_MAX_ENTITIES] = {0};
	int n;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 1)
		return 0;
	d = data[0] % N_DB;
	len = size - 1;
	body = malloc(len ? len : 1);
	orig = malloc(len ? len : 1);
	if (body == NULL || orig == NULL)
		abort();
	memcpy(body, data + 1, len);
	memcpy(orig, data + 1, len);

	n = hp_pii_scan(dbs[d], scratch[d], body, len, &res);
	CHECK(n >= 0 && (uint32_t)n == res.total);
	CHECK(res.n_spans + res.n_dropped == res.total);
	for (uint32_t i = 0; i < res.n_spans; i++) {
		const struct hp_pii_span *sp = &res.span[i];

		CHECK(sp->start < sp->end && sp->end <= len);
		CHECK(sp->entity < hp_pii_entity_count(dbs[d]));
		CHECK(d == 0 || sp->entity == d - 1);
		/* leftmost, non-overlapping per entity */
		CHECK(per[sp->entity] == 0 || sp->start >= last_end[sp->entity]);
		per[sp->entity]++;
		last_end[sp->entity] = sp->end;
	}
	if (res.n_dropped == 0)
		for (unsigned int e = 0; e < HP_PII_MAX_ENTITIES; e++)
			CHECK(per[e] == res.count[e]);

	/* deterministic: the same bytes give the same answer */
	n = hp_pii_scan(dbs[d], scratch[d], body, len, &res2);
	CHECK(n >= 0 && res2.total == res.total && res2.n_spans == res.n_spans);
	CHECK(memcmp(res2.span, res.span, res.n_spans * sizeof(res.span[0])) == 0);

	/* differential: the Hyperscan-only engine finds the same spans */
	n = hp_pii_scan(ref_dbs[d], ref_scratch[d], body, len, &res2);
	CHECK(n >= 0 && same_spans(&res, &res2));

	/* every version of the digit-run pass against its reference */
	for (int t = HP_PII_TOK_REF; t < HP_PII_TOK__COUNT; t++) {
		if (!hp_pii_tok_impl_supported((enum hp_pii_tok_impl)t))
			continue;
		n = hp_pii_scan_impl(dbs[d], scratch[d], body, len, &res2, (enum hp_pii_tok_impl)t);
		CHECK(n >= 0 && same_result(&res, &res2));
	}

	/* mask: only bytes inside spans change, the count is what changed */
	changed = hp_pii_mask(body, len, &res, '*');
	{
		size_t diff = 0;

		for (size_t i = 0; i < len; i++) {
			bool inside = false;

			if (body[i] == orig[i])
				continue;
			diff++;
			for (uint32_t k = 0; k < res.n_spans && !inside; k++)
				inside = i >= res.span[k].start && i < res.span[k].end;
			CHECK(inside);
		}
		CHECK(diff == changed);
	}
	/* the other mask loops (hp_pii_mask_impl: count_byte and memset, AVX-512's byte-masked
	 * pieces) change the same bytes and count the same */
	for (int t = HP_PII_TOK_SSE2; t < HP_PII_TOK__COUNT; t++) {
		uint8_t *alt = malloc(len > 0 ? len : 1);

		CHECK(alt != NULL);
		memcpy(alt, orig, len);
		CHECK(hp_pii_mask_impl(alt, len, &res, '*', UINT64_MAX, (enum hp_pii_tok_impl)t) ==
		      changed);
		CHECK(memcmp(alt, body, len) == 0);
		free(alt);
	}
	/* a masked body scans too */
	CHECK(hp_pii_scan(dbs[d], scratch[d], body, len, &res2) >= 0);
	free(body);
	free(orig);
	return 0;
}
