/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for lib/stream: the input chooses a configuration (policy, inline, retain,
 * action, tiny or default limits, midstream pickup, ISN), a random stream, and a sequence of
 * operations: segments anywhere in the stream (any length, duplicates, overlaps), ACKs up to
 * what the receiver could have (the contiguous prefix it was given), a FIN at the end, an RST,
 * and, in "chaos" inputs, segments whose bytes differ from the stream.
 *
 * Checked (a failure traps):
 *  - after every call: the lists are sorted and disjoint, accounting equals the nodes, one
 *    reference per node, no unref below zero;
 *  - at the end (close): every byte the consumer got is the stream's byte at that position
 *    (except chaos), every byte some taken segment carried was delivered, and a gap only
 *    covers bytes no taken segment carried (nothing papered over, nothing invented);
 *  - after release: every reference returned, the pool full, the worker's usage zero.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stream/stream_reasm.h"

#include "fuzz.h"

#define MAX_LEN  4096
#define MAX_OPS  512
#define MAX_SEG  256
#define POOL_MAX 1024

struct owner {
	int refs;
	uint8_t buf[MAX_SEG];
};

static uint8_t text[MAX_LEN];
static struct owner owners[MAX_OPS];
static bool taken[MAX_LEN];       /* some taken segment carried this byte */
static uint8_t out_kind[MAX_LEN]; /* 0 nothing, 1 delivered, 2 gap */
static uint8_t out_byte[MAX_LEN];
static uint32_t out_pos; /* next stream position the consumer gets */
static bool ended;
static struct hp_stream_seg nodes[POOL_MAX];

static void
on_deliver(void *ctx, const uint8_t *data, uint32_t len)
{
	uint32_t i;

	(void)ctx;
	CHECK(len > 0 && !ended);
	CHECK(out_pos + len <= MAX_LEN);
	for (i = 0; i < len; i++) {
		out_kind[out_pos] = 1;
		out_byte[out_pos++] = data[i];
	}
}

static void
on_gap(void *ctx, uint32_t len)
{
	(void)ctx;
	CHECK(len > 0 && !ended);
	CHECK(out_pos + len <= MAX_LEN);
	while (len--)
		out_kind[out_pos++] = 2;
}

static void
on_end(void *ctx, enum hp_stream_end why)
{
	(void)ctx;
	(void)why;
	CHECK(!ended);
	ended = true;
}

static void
on_ref(void *o)
{
	((struct owner *)o)->refs++;
}

static void
on_unref(void *o)
{
	struct owner *w = o;

	CHECK(w->refs > 0);
	w->refs--;
}

static void
check_list(const struct hp_stream_seg *n, const struct hp_stream_seg *tail, uint32_t segs,
	   uint32_t bytes, uint32_t lo, bool ret, uint32_t hi, uint32_t *ts, uint64_t *tb)
{
	const struct hp_stream_seg *prev = NULL;
	uint32_t cs = 0, cb = 0;

	for (; n != NULL; prev = n, n = n->next) {
		CHECK(n->len > 0);
		CHECK((int32_t)(n->seq - lo) >= 0);
		if (ret)
			CHECK((int32_t)(n->seq + n->len - hi) <= 0);
		if (prev != NULL)
			CHECK((int32_t)(n->seq - (prev->seq + prev->len)) >= 0);
		CHECK(cs++ < POOL_MAX);
		cb += n->len;
	}
	CHECK(prev == tail && cs == segs && cb == bytes);
	*ts += cs;
	*tb += cb;
}

static void
check_state(const struct hp_stream *s, const struct hp_stream_pool *pool,
	    const struct hp_stream_usage *usage, unsigned int n_owners)
{
	uint32_t segs = 0, d;
	uint64_t bytes = 0;
	int64_t refs = 0;
	unsigned int i;

	for (d = 0; d < 2; d++) {
		const struct hp_stream_dir *dir = &s->dir[d];

		check_list(dir->ooo_head, dir->ooo_tail, dir->ooo_segs, dir->ooo_bytes,
			   dir->next_seq, false, 0, &segs, &bytes);
		check_list(dir->ret_head, dir->ret_tail, dir->ret_segs, dir->ret_bytes,
			   dir->ack_seq, true, dir->next_seq, &segs, &bytes);
	}
	CHECK(segs == s->segs && bytes == s->bytes);
	CHECK(usage->segs == segs && usage->bytes == bytes);
	CHECK(pool->n_free + segs == pool->size);
	for (i = 0; i < n_owners; i++) {
		CHECK(owners[i].refs >= 0);
		refs += owners[i].refs;
	}
	CHECK(refs == segs);
}

static uint32_t rng;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static bool
was_taken(enum hp_stream_result r, bool inline_mode)
{
	switch (r) {
	case HP_STREAM_NEW:
	case HP_STREAM_DUP_SAME:
	case HP_STREAM_DUP_ACKED:
	case HP_STREAM_OVERLAP_REPLACED:
		return true;
	case HP_STREAM_OVERLAP_DIFFERENT:
	case HP_STREAM_DUP_UNCHECKED: /* inline: refused whole, nothing taken */
		return !inline_mode;
	default:
		return false;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct hp_stream_config cfg;
	struct hp_stream_pool pool;
	struct hp_stream_usage usage = {0, 0};
	struct hp_stream_counters ctr;
	struct hp_stream_env env = {
		.cfg = &cfg,
		.pool = &pool,
		.usage = &usage,
		.ctr = &ctr,
		.deliver = on_deliver,
		.gap = on_gap,
		.end = on_end,
		.ref = on_ref,
		.unref = on_unref,
	};
	struct hp_stream s;
	uint8_t mode, lim;
	uint32_t isn, len, base = 0, i, k, pool_n = POOL_MAX;
	bool chaos, midstream, started = false, passed = false;
	unsigned int n_owners = 0;
	size_t p;
	uint32_t last_off = 0, last_len = 0;

	if (n < 8)
		return 0;
	mode = d[0];
	isn = (uint32_t)d[1] | (uint32_t)d[2] << 8 | (uint32_t)d[3] << 16 | (uint32_t)d[4] << 24;
	len = 1 + (((uint32_t)d[5] | (uint32_t)d[6] << 8) % MAX_LEN);
	lim = d[7];
	chaos = mode & 0x40;
	midstream = mode & 0x20;

	hp_stream_config_default(&cfg);
	cfg.policy = (mode & 1) ? HP_STREAM_POLICY_LAST : HP_STREAM_POLICY_FIRST;
	cfg.inline_mode = mode & 2;
	cfg.retain = !(mode & 4);
	cfg.on_memcap = (mode & 8) ? HP_STREAM_ACTION_DROP : HP_STREAM_ACTION_PASS;
	if (mode & 0x10) {
		/* tiny limits: every path to a limit */
		cfg.flow_memcap_bytes = 16 + (lim & 0x0f) * 64;
		cfg.flow_max_segs = 1 + ((lim >> 4) & 3) * 8;
		cfg.max_ooo_segs = 1 + ((lim >> 6) & 3) * 3;
		cfg.last_hold_bytes = cfg.flow_memcap_bytes / 2;
		cfg.memcap_bytes = 4096;
		pool_n = 2 + (lim & 0x1f);
	} else {
		cfg.last_hold_bytes = 32u << (lim & 7);
	}
	CHECK(hp_stream_config_check(&cfg) == 0);
	memset(&ctr, 0, sizeof(ctr));
	CHECK(hp_stream_pool_init(&pool, nodes, pool_n) == 0);

	rng = isn ^ (len << 7) ^ 0x9e3779b9u;
	if (rng == 0)
		rng = 1;
	for (i = 0; i < len; i++)
		text[i] = (uint8_t)('a' + rnd() % 4);
	memset(taken, 0, sizeof(taken));
	memset(out_kind, 0, sizeof(out_kind));
	out_pos = 0;
	ended = false;

	hp_stream_init(&s, NULL, NULL);
	if (!midstream) {
		CHECK(hp_stream_start(&s, 0, isn) == 0);
		started = true;
	}

	for (p = 8; p + 4 <= n && n_owners < MAX_OPS; p += 4) {
		uint8_t op = d[p] & 7, a = d[p + 1], b = d[p + 2], c = d[p + 3];
		uint32_t off, l, flags = 0;
		bool bad = false;
		struct owner *o;
		enum hp_stream_result r;

		if (op == 4) {
			/* ACK within what the receiver has contiguously */
			uint32_t cov = base, ackv;

			if (!started)
				continue;
			while (cov < len && taken[cov])
				cov++;
			ackv = base + (uint32_t)(((uint64_t)(cov - base) * (a + 1u)) >> 8);
			hp_stream_ack(&env, &s, 0, isn + 1 + ackv);
			check_state(&s, &pool, &usage, n_owners);
			continue;
		}
		if (op == 5 && last_len > 0) {
			off = last_off;
			l = last_len;
		} else {
			off = ((uint32_t)a | (uint32_t)b << 8) % len;
			l = 1 + c % MAX_SEG;
			if (l > len - off)
				l = len - off;
		}
		if (op == 6) {
			/* the last bytes, with the FIN */
			off = len - l;
			flags = HP_STREAM_SEG_FIN;
		}
		if (op == 7) {
			if (chaos)
				bad = true;
			else if (a == 0xff)
				flags = HP_STREAM_SEG_RST;
		}
		o = &owners[n_owners++];
		o->refs = 0;
		memcpy(o->buf, text + off, l);
		if (bad)
			for (k = b % l; k < l; k += 1 + c % 7)
				o->buf[k] ^= 1 + (b & 3);
		if (!started) {
			/* midstream: the first segment sets the start */
			base = off;
			out_pos = base;
			started = true;
		}
		last_off = off;
		last_len = l;
		r = hp_stream_segment(&env, &s, 0, isn + 1 + off, o->buf, l, o, flags);
		check_state(&s, &pool, &usage, n_owners);
		CHECK((unsigned int)r < HP_STREAM_RESULT_MAX);
		if (!chaos)
			CHECK(r != HP_STREAM_OVERLAP_DIFFERENT && r != HP_STREAM_OVERLAP_REPLACED);
		if (r == HP_STREAM_PASS)
			passed = true;
		if (!(flags & HP_STREAM_SEG_RST) && was_taken(r, cfg.inline_mode))
			for (k = off; k < off + l; k++)
				if (k >= base)
					taken[k] = true;
	}

	hp_stream_close(&env, &s, 0);
	hp_stream_close(&env, &s, 1);
	check_state(&s, &pool, &usage, n_owners);

	if (started) {
		for (i = base; i < len; i++) {
			if (out_kind[i] == 1) {
				CHECK(taken[i]);
				if (!chaos)
					CHECK(out_byte[i] == text[i]);
			} else if (out_kind[i] == 2) {
				CHECK(!taken[i]); /* a gap never hides bytes we were given */
			} else if (!passed) {
				CHECK(!taken[i]); /* everything given was delivered */
			}
		}
		for (i = 0; i < base; i++)
			CHECK(out_kind[i] == 0);
	}

	hp_stream_release(&env, &s);
	for (i = 0; i < n_owners; i++)
		CHECK(owners[i].refs == 0);
	CHECK(pool.n_free == pool.size && usage.bytes == 0 && usage.segs == 0);
	return 0;
}
