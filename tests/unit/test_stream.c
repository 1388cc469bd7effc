/* SPDX-License-Identifier: BSD-3-Clause
 * TCP reassembly tests (lib/stream).
 *
 * Every test runs with a recording consumer (what was delivered, gaps as "[N]", ends as
 * "<fin>"/"<rst>"/"<close>"/"<pass>") and counted owners: after every call the library's
 * lists are checked (sorted, disjoint, accounting equal to the nodes, one reference per node),
 * and at teardown every owner's reference count must be back to zero, without any unref below
 * zero, the pool full and the worker's usage zero.
 *
 * The eve-overlap cases reproduce the segments of OISF/suricata-verify (MIT, see
 * tests/corpus/suricata-verify/LICENSE.txt) tests eve-overlap-payload-01..05 and
 * eve-payload-01-tcp-exact-overlap, as read with tshark from their pcaps, with the outcome the
 * tests' test.yaml expect (GOOD under the default "windows" = first policy, EVIL under
 * "old-linux" = last, the differing copy normalised away in IPS mode, the gap reported).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream/stream_reasm.h"

#define POOL_N  4096
#define LOG_MAX (64 * 1024)

struct owner {
	struct owner *next;
	int refs;
	uint32_t len;
	uint8_t buf[];
};

struct sink {
	char log[LOG_MAX]; /* delivered bytes, "[N]" for a gap, "<why>" at the end */
	size_t log_len;
	uint32_t delivered;
	uint32_t deliveries;
	uint32_t gaps;
	uint32_t gap_bytes;
	uint32_t ends;
};

struct tctx {
	struct hp_stream_config cfg;
	struct hp_stream_pool pool;
	struct hp_stream_usage usage;
	struct hp_stream_counters ctr;
	struct hp_stream_env env;
	struct hp_stream s;
	struct sink out[2];
	struct owner *owners;
	int bad_unref;
	uint64_t other_bytes; /* usage of the worker's other (pretend) flows */
	struct hp_stream_seg *nodes;
	uint32_t pool_n;
};

static struct tctx *cur;

/* ---- consumer and owners -------------------------------------------------------------------- */

static void
log_add(struct sink *k, const char *p, size_t n)
{
	if (k->log_len + n >= LOG_MAX)
		fail_msg("test log overflow");
	memcpy(k->log + k->log_len, p, n);
	k->log_len += n;
	k->log[k->log_len] = '\0';
}

static void
on_deliver(void *ctx, const uint8_t *data, uint32_t len)
{
	struct sink *k = ctx;

	assert_true(len > 0);
	log_add(k, (const char *)data, len);
	k->delivered += len;
	k->deliveries++;
}

static void
on_gap(void *ctx, uint32_t len)
{
	struct sink *k = ctx;
	char b[32];

	assert_true(len > 0);
	snprintf(b, sizeof(b), "[%u]", len);
	log_add(k, b, strlen(b));
	k->gaps++;
	k->gap_bytes += len;
}

static void
on_end(void *ctx, enum hp_stream_end why)
{
	static const char *const names[] = {"<fin>", "<rst>", "<close>", "<pass>"};
	struct sink *k = ctx;

	log_add(k, names[why], strlen(names[why]));
	k->ends++;
}

static void
on_ref(void *owner)
{
	struct owner *o = owner;

	assert_non_null(o);
	o->refs++;
}

static void
on_unref(void *owner)
{
	struct owner *o = owner;

	assert_non_null(o);
	if (o->refs <= 0)
		cur->bad_unref++;
	else
		o->refs--;
}

static struct owner *
owner_new(struct tctx *t, const void *data, uint32_t len)
{
	struct owner *o = calloc(1, sizeof(*o) + len + 1);

	assert_non_null(o);
	memcpy(o->buf, data, len);
	o->len = len;
	o->next = t->owners;
	t->owners = o;
	return o;
}

/* ---- invariants ----------------------------------------------------------------------------- */

#define LT(a, b)  ((int32_t)((a) - (b)) < 0)
#define LEQ(a, b) ((int32_t)((a) - (b)) <= 0)

static void
check_dir(const struct hp_stream_dir *dir, uint32_t *segs, uint64_t *bytes)
{
	const struct hp_stream_seg *n, *prev = NULL;
	uint32_t cs = 0, cb = 0;

	for (n = dir->ooo_head; n != NULL; prev = n, n = n->next) {
		assert_true(n->len > 0);
		assert_true(LEQ(dir->next_seq, n->seq));
		if (prev != NULL)
			assert_true(LEQ(prev->seq + prev->len, n->seq));
		cs++;
		cb += n->len;
	}
	assert_ptr_equal(dir->ooo_tail, prev);
	assert_int_equal(cs, dir->ooo_segs);
	assert_int_equal(cb, dir->ooo_bytes);
	*segs += cs;
	*bytes += cb;
	cs = cb = 0;
	prev = NULL;
	for (n = dir->ret_head; n != NULL; prev = n, n = n->next) {
		assert_true(n->len > 0);
		assert_true(LEQ(n->seq + n->len, dir->next_seq));
		assert_true(LEQ(dir->ack_seq, n->seq));
		if (prev != NULL)
			assert_true(LEQ(prev->seq + prev->len, n->seq));
		cs++;
		cb += n->len;
	}
	assert_ptr_equal(dir->ret_tail, prev);
	assert_int_equal(cs, dir->ret_segs);
	assert_int_equal(cb, dir->ret_bytes);
	*segs += cs;
	*bytes += cb;
}

static void
check_invariants(struct tctx *t)
{
	uint32_t segs = 0;
	uint64_t bytes = 0;
	int refs = 0;
	struct owner *o;

	check_dir(&t->s.dir[0], &segs, &bytes);
	check_dir(&t->s.dir[1], &segs, &bytes);
	assert_int_equal(segs, t->s.segs);
	assert_int_equal(bytes, t->s.bytes);
	/* single flow per test: the worker's usage is this flow's */
	assert_int_equal(t->usage.segs, segs);
	assert_int_equal(t->usage.bytes, bytes + t->other_bytes);
	assert_int_equal(t->pool.n_free + segs, t->pool.size);
	for (o = t->owners; o != NULL; o = o->next) {
		assert_true(o->refs >= 0);
		refs += o->refs;
	}
	assert_int_equal(refs, segs); /* one reference per node */
	assert_int_equal(t->bad_unref, 0);
}

/* ---- fixture -------------------------------------------------------------------------------- */

static void
sinks_reset(struct tctx *t)
{
	memset(t->out, 0, sizeof(t->out));
}

static void
pool_reset(struct tctx *t, uint32_t n)
{
	free(t->nodes);
	t->nodes = calloc(n, sizeof(*t->nodes));
	assert_non_null(t->nodes);
	t->pool_n = n;
	assert_int_equal(hp_stream_pool_init(&t->pool, t->nodes, n), 0);
}

static int
setup(void **state)
{
	struct tctx *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	cur = t;
	hp_stream_config_default(&t->cfg);
	pool_reset(t, POOL_N);
	t->env.cfg = &t->cfg;
	t->env.pool = &t->pool;
	t->env.usage = &t->usage;
	t->env.ctr = &t->ctr;
	t->env.deliver = on_deliver;
	t->env.gap = on_gap;
	t->env.end = on_end;
	t->env.ref = on_ref;
	t->env.unref = on_unref;
	hp_stream_init(&t->s, &t->out[0], &t->out[1]);
	*state = t;
	return 0;
}

/* Release whatever the test left, then: no reference left, none released twice, nothing
 * held. */
static void
release_and_check(struct tctx *t)
{
	struct owner *o;

	check_invariants(t);
	hp_stream_release(&t->env, &t->s);
	for (o = t->owners; o != NULL; o = o->next)
		assert_int_equal(o->refs, 0);
	assert_int_equal(t->bad_unref, 0);
	assert_int_equal(t->pool.n_free, t->pool.size);
	assert_int_equal(t->usage.segs, 0);
	assert_int_equal(t->usage.bytes, 0);
	assert_int_equal(t->s.segs, 0);
	assert_int_equal(t->s.bytes, 0);
}

static void
owners_free(struct tctx *t)
{
	struct owner *o, *next;

	for (o = t->owners; o != NULL; o = next) {
		next = o->next;
		free(o);
	}
	t->owners = NULL;
}

static int
teardown(void **state)
{
	struct tctx *t = *state;

	release_and_check(t);
	owners_free(t);
	free(t->nodes);
	free(t);
	cur = NULL;
	return 0;
}

/* A fresh flow, default configuration and counters, in the same fixture (loops over cases). */
static void
restart(struct tctx *t)
{
	release_and_check(t);
	owners_free(t);
	memset(&t->ctr, 0, sizeof(t->ctr));
	hp_stream_config_default(&t->cfg);
	sinks_reset(t);
	hp_stream_init(&t->s, &t->out[0], &t->out[1]);
}

/* ---- drivers -------------------------------------------------------------------------------- */

static enum hp_stream_result
segb(struct tctx *t, unsigned int d, uint32_t seq, const void *data, uint32_t len,
     unsigned int flags)
{
	struct owner *o = owner_new(t, data, len);
	enum hp_stream_result r;

	r = hp_stream_segment(&t->env, &t->s, d, seq, o->buf, len, o, flags);
	check_invariants(t);
	return r;
}

static enum hp_stream_result
seg(struct tctx *t, unsigned int d, uint32_t seq, const char *str, unsigned int flags)
{
	return segb(t, d, seq, str, (uint32_t)strlen(str), flags);
}

static int
ack(struct tctx *t, unsigned int d, uint32_t a)
{
	int rc = hp_stream_ack(&t->env, &t->s, d, a);

	check_invariants(t);
	return rc;
}

static void
close_dir(struct tctx *t, unsigned int d)
{
	hp_stream_close(&t->env, &t->s, d);
	check_invariants(t);
}

#define LOG(t, d) ((t)->out[d].log)

/* ---- basics --------------------------------------------------------------------------------- */

static void
test_config_and_names(void **state)
{
	struct tctx *t = *state;
	struct hp_stream_config c;
	struct hp_stream_seg one;
	struct hp_stream_pool p;
	int r;

	hp_stream_config_default(&c);
	assert_int_equal(hp_stream_config_check(&c), 0);
	c.max_window = 0;
	assert_int_equal(hp_stream_config_check(&c), -EINVAL);
	c.max_window = (1u << 30) + 1;
	assert_int_equal(hp_stream_config_check(&c), -EINVAL);
	hp_stream_config_default(&c);
	c.last_hold_bytes = c.flow_memcap_bytes + 1;
	assert_int_equal(hp_stream_config_check(&c), -EINVAL);
	hp_stream_config_default(&c);
	c.policy = (enum hp_stream_policy)7;
	assert_int_equal(hp_stream_config_check(&c), -EINVAL);
	hp_stream_config_default(&c);
	c.on_memcap = (enum hp_stream_action)7;
	assert_int_equal(hp_stream_config_check(&c), -EINVAL);
	hp_stream_config_default(&c);
	c.flow_max_segs = 0;
	assert_int_equal(hp_stream_config_check(&c), -EINVAL);

	assert_int_equal(hp_stream_pool_init(&p, &one, 0), -EINVAL);
	assert_int_equal(hp_stream_pool_init(&p, &one, 1), 0);
	assert_int_equal(p.n_free, 1);

	for (r = 0; r < HP_STREAM_RESULT_MAX; r++)
		assert_string_not_equal(hp_stream_result_name((enum hp_stream_result)r), "unknown");
	assert_string_equal(hp_stream_result_name(HP_STREAM_RESULT_MAX), "unknown");
	assert_string_equal(hp_stream_result_name(HP_STREAM_OVERLAP_DIFFERENT),
			    "overlap_different");
	assert_string_equal(hp_stream_policy_name(HP_STREAM_POLICY_LAST), "last");
	assert_string_equal(hp_stream_action_name(HP_STREAM_ACTION_DROP), "drop");

	assert_int_equal(hp_stream_start(&t->s, 0, 5), 0);
	assert_int_equal(hp_stream_start(&t->s, 0, 5), -EALREADY);
	assert_int_equal(hp_stream_start(&t->s, 2, 5), -EINVAL);
}

static void
test_in_order_fast_path(void **state)
{
	struct tctx *t = *state;

	assert_int_equal(hp_stream_start(&t->s, 0, 1000), 0);
	assert_int_equal(seg(t, 0, 1001, "POST /a ", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 1009, "HTTP/1.1", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 1017, "\r\n", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "POST /a HTTP/1.1\r\n");
	assert_int_equal(t->ctr.fast_path, 3);
	assert_int_equal(t->ctr.results[HP_STREAM_NEW], 3);
	assert_int_equal(t->out[0].deliveries, 3);
	/* delivered bytes are kept (referenced) until the peer acknowledges them */
	assert_int_equal(t->s.dir[0].ret_segs, 3);
	assert_int_equal(t->s.bytes, 18);
	assert_int_equal(ack(t, 0, 1012), 0);
	assert_int_equal(t->s.dir[0].ret_segs, 2);
	assert_int_equal(t->s.bytes, 7); /* partly acked node trimmed */
	assert_int_equal(ack(t, 0, 1019), 0);
	assert_int_equal(t->s.segs, 0);
	/* old and duplicate ACKs change nothing */
	assert_int_equal(ack(t, 0, 1005), 0);
	assert_int_equal(ack(t, 0, 1019), 0);
	/* a pure ACK passed as a segment */
	assert_int_equal(seg(t, 0, 1019, "", 0), HP_STREAM_EMPTY);

	/* without retention the fast path holds nothing */
	t->cfg.retain = false;
	assert_int_equal(seg(t, 0, 1019, "body", 0), HP_STREAM_NEW);
	assert_int_equal(t->s.segs, 0);
	assert_int_equal(t->ctr.fast_path, 4);
	/* retransmission of bytes no copy was kept of, not yet acked */
	assert_int_equal(seg(t, 0, 1019, "body", 0), HP_STREAM_DUP_UNCHECKED);
	assert_string_equal(LOG(t, 0), "POST /a HTTP/1.1\r\nbody");
}

/* ---- every reordering ----------------------------------------------------------------------- */

static const char stream_text[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

struct piece {
	uint32_t off, len;
};

static int
next_perm(unsigned int *a, unsigned int n)
{
	unsigned int i, j, x;

	if (n < 2)
		return 0;
	i = n - 1;
	while (i > 0 && a[i - 1] >= a[i])
		i--;
	if (i == 0)
		return 0;
	j = n - 1;
	while (a[j] <= a[i - 1])
		j--;
	x = a[i - 1];
	a[i - 1] = a[j];
	a[j] = x;
	for (j = n - 1; i < j; i++, j--) {
		x = a[i];
		a[i] = a[j];
		a[j] = x;
	}
	return 1;
}

/* Feed the pieces in every order; the consumer must get exactly the covered stream, in order,
 * and (first) at every step exactly the contiguous prefix received so far. */
static unsigned int
run_permutations(struct tctx *t, const struct piece *pc, unsigned int n, uint32_t isn,
		 enum hp_stream_policy pol, bool retain)
{
	unsigned int perm[8], i, k, count = 0;
	uint32_t total = 0, covered;
	bool have[64];

	for (i = 0; i < n; i++)
		if (pc[i].off + pc[i].len > total)
			total = pc[i].off + pc[i].len;
	assert_true(total <= sizeof(have));
	for (i = 0; i < n; i++)
		perm[i] = i;
	do {
		restart(t);
		t->cfg.policy = pol;
		t->cfg.retain = retain;
		assert_int_equal(hp_stream_start(&t->s, 0, isn), 0);
		memset(have, 0, sizeof(have));
		for (i = 0; i < n; i++) {
			const struct piece *p = &pc[perm[i]];
			enum hp_stream_result r;

			r = segb(t, 0, isn + 1 + p->off, stream_text + p->off, p->len, 0);
			/* without kept copies a retransmission cannot be compared */
			if (r != HP_STREAM_NEW && r != HP_STREAM_DUP_SAME &&
			    (retain || r != HP_STREAM_DUP_UNCHECKED))
				fail_msg("%s: piece %u (%u+%u) step %u, %s retain %d",
					 hp_stream_result_name(r), perm[i], p->off, p->len, i,
					 hp_stream_policy_name(pol), retain);
			for (k = 0; k < p->len; k++)
				have[p->off + k] = true;
			for (covered = 0; covered < total && have[covered]; covered++)
				;
			if (pol == HP_STREAM_POLICY_FIRST) {
				assert_int_equal(t->out[0].log_len, covered);
				assert_memory_equal(LOG(t, 0), stream_text, covered);
			} else {
				assert_int_equal(t->out[0].log_len, 0); /* held until acked */
			}
		}
		assert_int_equal(ack(t, 0, isn + 1 + total), 0);
		assert_int_equal(t->out[0].log_len, total);
		assert_memory_equal(LOG(t, 0), stream_text, total);
		assert_int_equal(t->out[0].gaps, 0);
		assert_int_equal(t->s.segs, 0); /* all acked: nothing kept */
		count++;
	} while (next_perm(perm, n));
	return count;
}

static void
test_reorder_every_permutation(void **state)
{
	struct tctx *t = *state;
	/* disjoint pieces of unequal sizes */
	static const struct piece p3[] = {{0, 4}, {4, 1}, {5, 7}};
	static const struct piece p4[] = {{0, 3}, {3, 5}, {8, 2}, {10, 6}};
	static const struct piece p5[] = {{0, 1}, {1, 4}, {5, 3}, {8, 8}, {16, 2}};
	/* overlapping pieces carrying the same bytes, one contained in another, a duplicate */
	static const struct piece o4[] = {{0, 6}, {4, 6}, {2, 3}, {9, 5}};
	static const struct piece o5[] = {{0, 5}, {3, 9}, {5, 2}, {10, 6}, {3, 9}};
	static const uint32_t isns[] = {1000, 0xfffffff8u};
	unsigned int pol, ret, i, n = 0;

	for (i = 0; i < 2; i++)
		for (pol = 0; pol < 2; pol++)
			for (ret = 0; ret < 2; ret++) {
				n += run_permutations(t, p3, 3, isns[i], pol, ret);
				n += run_permutations(t, p4, 4, isns[i], pol, ret);
				n += run_permutations(t, p5, 5, isns[i], pol, ret);
				n += run_permutations(t, o4, 4, isns[i], pol, ret);
				n += run_permutations(t, o5, 5, isns[i], pol, ret);
			}
	assert_int_equal(n, 8 * (6 + 24 + 120 + 24 + 120));
}

/* ---- retransmissions ------------------------------------------------------------------------ */

static void
test_retransmission_same(void **state)
{
	struct tctx *t = *state;

	/* first: delivered, kept, compared */
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "hello", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 1, "hello", 0), HP_STREAM_DUP_SAME);
	assert_int_equal(seg(t, 0, 3, "ll", 0), HP_STREAM_DUP_SAME);
	/* retransmission with new bytes after it */
	assert_int_equal(seg(t, 0, 4, "lo world", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "hello world");
	assert_int_equal(t->ctr.results[HP_STREAM_DUP_SAME], 2);
	/* after the ACK the copy is gone: the receiver discards such segments */
	assert_int_equal(ack(t, 0, 12), 0);
	assert_int_equal(seg(t, 0, 1, "XXXXX", 0), HP_STREAM_DUP_ACKED);
	assert_string_equal(LOG(t, 0), "hello world");

	/* last: held bytes compared, identical copies do not replace */
	restart(t);
	t->cfg.policy = HP_STREAM_POLICY_LAST;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "hello", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 1, "hello", 0), HP_STREAM_DUP_SAME);
	assert_int_equal(t->s.segs, 1);
	assert_string_equal(LOG(t, 0), "");
	assert_int_equal(ack(t, 0, 6), 0);
	assert_string_equal(LOG(t, 0), "hello");
}

static void
test_retransmission_different(void **state)
{
	struct tctx *t = *state;
	struct owner *o;

	/* first, tap: the consumer keeps what it saw; counted */
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "hello", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 1, "HELLO", 0), HP_STREAM_OVERLAP_DIFFERENT);
	assert_int_equal(seg(t, 0, 4, "LO!!", 0), HP_STREAM_OVERLAP_DIFFERENT);
	assert_string_equal(LOG(t, 0), "hello!!"); /* new bytes after the overlap taken */
	assert_int_equal(t->ctr.results[HP_STREAM_OVERLAP_DIFFERENT], 2);

	/* first, inline: refused whole, nothing of it referenced */
	restart(t);
	t->cfg.inline_mode = true;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "hello", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 4, "LO!!", 0), HP_STREAM_OVERLAP_DIFFERENT);
	o = t->owners;
	assert_int_equal(o->refs, 0);
	assert_string_equal(LOG(t, 0), "hello");
	assert_int_equal(t->s.dir[0].max_end, 6);
	/* the sender's genuine retransmission goes through */
	assert_int_equal(seg(t, 0, 4, "lo!!", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "hello!!");

	/* last: held bytes are replaced by the later copy */
	restart(t);
	t->cfg.policy = HP_STREAM_POLICY_LAST;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "hello", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 1, "HELLO", 0), HP_STREAM_OVERLAP_REPLACED);
	assert_int_equal(seg(t, 0, 1, "HELLO", 0), HP_STREAM_DUP_SAME);
	assert_int_equal(ack(t, 0, 6), 0);
	assert_string_equal(LOG(t, 0), "HELLO");
	assert_int_equal(t->ctr.results[HP_STREAM_OVERLAP_REPLACED], 1);
	/* after the ACK nothing can change what was delivered */
	assert_int_equal(seg(t, 0, 1, "xxxxx", 0), HP_STREAM_DUP_ACKED);

	/* last, bytes delivered before their ACK (hold bound): cannot be replaced, counted */
	restart(t);
	t->cfg.policy = HP_STREAM_POLICY_LAST;
	t->cfg.last_hold_bytes = 4;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "hello", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "hello");
	assert_int_equal(t->ctr.last_forced_bytes, 5);
	assert_int_equal(seg(t, 0, 1, "HELLO", 0), HP_STREAM_OVERLAP_DIFFERENT);
	assert_string_equal(LOG(t, 0), "hello");

	/* last, inline: replacing held bytes is allowed (the server takes the same copy), a
	 * conflict with delivered bytes is refused whole */
	restart(t);
	t->cfg.policy = HP_STREAM_POLICY_LAST;
	t->cfg.inline_mode = true;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "abcd", 0), HP_STREAM_NEW);
	assert_int_equal(ack(t, 0, 3), 0);
	assert_string_equal(LOG(t, 0), "ab");
	assert_int_equal(seg(t, 0, 3, "CD", 0), HP_STREAM_OVERLAP_REPLACED);
	assert_int_equal(seg(t, 0, 3, "CD", 0), HP_STREAM_DUP_SAME);
	assert_int_equal(ack(t, 0, 5), 0);
	assert_string_equal(LOG(t, 0), "abCD");
}

/* ---- partial overlaps ----------------------------------------------------------------------- */

struct overlap_case {
	const char *name;
	uint32_t seq; /* of the second segment; the queued one is "abcdefghij" at 11 */
	const char *data;
	const char *first; /* stream after the hole before both is filled from "0123456789" */
	const char *last;
	enum hp_stream_result r_first, r_last;
};

static void
test_partial_overlaps(void **state)
{
	struct tctx *t = *state;
	static const struct overlap_case cases[] = {
		{"head", 8, "XXXXXX", "0123456XXXabcdefghij", "0123456XXXXXXdefghij",
		 HP_STREAM_OVERLAP_DIFFERENT, HP_STREAM_OVERLAP_REPLACED},
		{"tail", 19, "XXXXX", "0123456789abcdefghijXXX", "0123456789abcdefghXXXXX",
		 HP_STREAM_OVERLAP_DIFFERENT, HP_STREAM_OVERLAP_REPLACED},
		{"inside", 14, "XXX", "0123456789abcdefghij", "0123456789abcXXXghij",
		 HP_STREAM_OVERLAP_DIFFERENT, HP_STREAM_OVERLAP_REPLACED},
		{"cover", 9, "XXXXXXXXXXXXXX", "01234567XXabcdefghijXX", "01234567XXXXXXXXXXXXXX",
		 HP_STREAM_OVERLAP_DIFFERENT, HP_STREAM_OVERLAP_REPLACED},
		{"exact", 11, "XXXXXXXXXX", "0123456789abcdefghij", "0123456789XXXXXXXXXX",
		 HP_STREAM_OVERLAP_DIFFERENT, HP_STREAM_OVERLAP_REPLACED},
		{"same-inside", 13, "cde", "0123456789abcdefghij", "0123456789abcdefghij",
		 HP_STREAM_DUP_SAME, HP_STREAM_DUP_SAME},
		{"same-head", 9, "89abc", "0123456789abcdefghij", "0123456789abcdefghij",
		 HP_STREAM_NEW, HP_STREAM_NEW},
		/* partly equal, partly different inside one queued segment */
		{"mixed", 15, "efXY", "0123456789abcdefghij", "0123456789abcdefXYij",
		 HP_STREAM_OVERLAP_DIFFERENT, HP_STREAM_OVERLAP_REPLACED},
	};
	unsigned int i, pol;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (pol = 0; pol < 2; pol++) {
			const struct overlap_case *c = &cases[i];
			const char *want = pol ? c->last : c->first;

			restart(t);
			t->cfg.policy = pol;
			assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
			assert_int_equal(seg(t, 0, 11, "abcdefghij", 0), HP_STREAM_NEW);
			assert_int_equal(seg(t, 0, c->seq, c->data, 0),
					 pol ? c->r_last : c->r_first);
			/* the consumer sees nothing beyond the hole */
			assert_string_equal(LOG(t, 0), "");
			/* fill the hole before the first of them */
			segb(t, 0, 1, "0123456789", (c->seq < 11 ? c->seq : 11) - 1, 0);
			assert_int_equal(ack(t, 0, 1 + (uint32_t)strlen(want)), 0);
			if (strcmp(LOG(t, 0), want) != 0)
				fail_msg("%s/%s: got '%s' want '%s'", c->name,
					 pol ? "last" : "first", LOG(t, 0), want);
		}
	}
	/* a segment spanning several queued ones and the holes between them */
	for (pol = 0; pol < 2; pol++) {
		restart(t);
		t->cfg.policy = pol;
		assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
		seg(t, 0, 3, "cd", 0);
		seg(t, 0, 7, "gh", 0);
		seg(t, 0, 11, "kl", 0);
		assert_int_equal(t->s.dir[0].ooo_segs, 3);
		assert_int_equal(seg(t, 0, 2, "bCdefGhijkL", 0),
				 pol ? HP_STREAM_OVERLAP_REPLACED : HP_STREAM_OVERLAP_DIFFERENT);
		seg(t, 0, 1, "a", 0);
		assert_int_equal(ack(t, 0, 13), 0);
		assert_string_equal(LOG(t, 0), pol ? "abCdefGhijkL" : "abcdefghijkl");
	}
}

/* ---- wraparound ----------------------------------------------------------------------------- */

static void
test_wraparound(void **state)
{
	struct tctx *t = *state;
	unsigned int pol;

	for (pol = 0; pol < 2; pol++) {
		restart(t);
		t->cfg.policy = pol;
		/* first byte at 2^32 - 6: the stream crosses zero in the third segment */
		assert_int_equal(hp_stream_start(&t->s, 0, 0xfffffff9u), 0);
		assert_int_equal(seg(t, 0, 0x00000000u, "ghij", 0), HP_STREAM_NEW);
		assert_int_equal(seg(t, 0, 0xfffffffeu, "efgh", 0), HP_STREAM_NEW);
		assert_int_equal(seg(t, 0, 0xfffffffau, "abcd", 0), HP_STREAM_NEW);
		assert_int_equal(seg(t, 0, 0xfffffffcu, "cdefgh", 0), HP_STREAM_DUP_SAME);
		assert_int_equal(seg(t, 0, 0xfffffffcu, "cdeFgh", 0),
				 pol ? HP_STREAM_OVERLAP_REPLACED : HP_STREAM_OVERLAP_DIFFERENT);
		assert_int_equal(ack(t, 0, 0x00000004u), 0);
		assert_string_equal(LOG(t, 0), pol ? "abcdeFghij" : "abcdefghij");
		/* a gap across the wrap */
		assert_int_equal(seg(t, 0, 0x00000009u, "xyz", 0), HP_STREAM_NEW);
		assert_int_equal(ack(t, 0, 0x0000000cu), 0);
		assert_string_equal(LOG(t, 0), pol ? "abcdeFghij[5]xyz" : "abcdefghij[5]xyz");
		/* far behind, far ahead */
		assert_int_equal(seg(t, 0, 0x80000000u, "q", 0), HP_STREAM_OUT_OF_WINDOW);
		assert_int_equal(ack(t, 0, 0x7000000cu), -ERANGE);
		assert_int_equal(t->ctr.ack_invalid, 1);
	}
}

/* ---- gaps ----------------------------------------------------------------------------------- */

static void
test_gaps(void **state)
{
	struct tctx *t = *state;
	unsigned int pol;

	for (pol = 0; pol < 2; pol++) {
		restart(t);
		t->cfg.policy = pol;
		assert_int_equal(hp_stream_start(&t->s, 0, 1), 0);
		assert_int_equal(seg(t, 0, 2, "VERY", 0), HP_STREAM_NEW);
		assert_int_equal(seg(t, 0, 10, "DATA", 0), HP_STREAM_NEW);
		assert_int_equal(seg(t, 0, 20, "MORE", 0), HP_STREAM_NEW);
		/* nothing after the hole is handed over as if it were contiguous */
		assert_string_equal(LOG(t, 0), pol ? "" : "VERY");
		/* an ACK up to the hole only */
		assert_int_equal(ack(t, 0, 6), 0);
		assert_string_equal(LOG(t, 0), "VERY");
		/* ACK past the first hole: it is a gap, the data after it follows */
		assert_int_equal(ack(t, 0, 14), 0);
		assert_string_equal(LOG(t, 0), "VERY[4]DATA");
		assert_int_equal(t->ctr.gaps, 1);
		assert_int_equal(t->ctr.gap_bytes, 4);
		/* close: the remaining hole is a gap, the queued data is delivered */
		close_dir(t, 0);
		assert_string_equal(LOG(t, 0), "VERY[4]DATA[6]MORE<close>");
		assert_int_equal(t->out[0].ends, 1);
		assert_int_equal(seg(t, 0, 24, "late", 0), HP_STREAM_CLOSED);
		close_dir(t, 0); /* idempotent */
		assert_int_equal(t->out[0].ends, 1);
	}

	/* an ACK beyond every byte seen declares nothing: the bytes may still come */
	restart(t);
	assert_int_equal(hp_stream_start(&t->s, 0, 1), 0);
	assert_int_equal(seg(t, 0, 2, "ab", 0), HP_STREAM_NEW);
	assert_int_equal(ack(t, 0, 10), 0);
	assert_string_equal(LOG(t, 0), "ab");
	assert_int_equal(seg(t, 0, 4, "cdefgh", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abcdefgh");
	assert_int_equal(t->s.segs, 0); /* already acked: nothing kept */
	/* leading gap: the first bytes after the handshake never seen */
	restart(t);
	assert_int_equal(hp_stream_start(&t->s, 0, 1), 0);
	assert_int_equal(seg(t, 0, 6, "world", 0), HP_STREAM_NEW);
	assert_int_equal(ack(t, 0, 11), 0);
	assert_string_equal(LOG(t, 0), "[4]world");
	/* trailing gap up to the FIN on close */
	restart(t);
	assert_int_equal(hp_stream_start(&t->s, 0, 1), 0);
	assert_int_equal(seg(t, 0, 2, "ab", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 8, "", HP_STREAM_SEG_FIN), HP_STREAM_NEW);
	close_dir(t, 0);
	assert_string_equal(LOG(t, 0), "ab[4]<close>");
}

/* ---- limits --------------------------------------------------------------------------------- */

static void
test_memcap_flow_drop(void **state)
{
	struct tctx *t = *state;
	struct owner *o;

	t->cfg.on_memcap = HP_STREAM_ACTION_DROP;
	t->cfg.flow_memcap_bytes = 10;
	t->cfg.last_hold_bytes = 10;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 11, "0123456789", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 21, "x", 0), HP_STREAM_DROP);
	o = t->owners;
	assert_int_equal(o->refs, 0); /* nothing of a dropped segment is kept */
	assert_int_equal(t->ctr.memcap_flow, 1);
	assert_int_equal(t->ctr.memcap_drop, 1);
	assert_int_equal(t->ctr.results[HP_STREAM_DROP], 1);
	/* in-order data needs no memory under "first": still taken, queue drained */
	assert_int_equal(seg(t, 0, 1, "abcdefghij", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abcdefghij0123456789");
	/* delivered copies are evicted to make room for data not yet delivered */
	assert_int_equal(seg(t, 0, 22, "yz", 0), HP_STREAM_NEW);
	assert_true(t->ctr.retain_evicted > 0 || t->ctr.retain_skipped > 0);
	/* the sender retransmits the dropped byte */
	assert_int_equal(seg(t, 0, 21, "x", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abcdefghij0123456789xyz");
	assert_int_equal(t->s.dir[1].state, 0);
}

static void
test_memcap_flow_pass(void **state)
{
	struct tctx *t = *state;

	t->cfg.flow_memcap_bytes = 8;
	t->cfg.last_hold_bytes = 8;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(hp_stream_start(&t->s, 1, 500), 0);
	assert_int_equal(seg(t, 1, 501, "resp", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 5, "abcd", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 20, "efghijk", 0), HP_STREAM_PASS);
	assert_int_equal(t->ctr.memcap_pass, 1);
	assert_int_equal(t->s.passed, 1);
	assert_int_equal(t->s.segs, 0); /* everything released */
	assert_string_equal(LOG(t, 0), "<pass>");
	assert_string_equal(LOG(t, 1), "resp<pass>");
	assert_int_equal(seg(t, 0, 1, "0123", 0), HP_STREAM_PASS);
	assert_int_equal(seg(t, 1, 505, "more", 0), HP_STREAM_PASS);
	assert_int_equal(ack(t, 0, 9), -ENOTCONN);
	close_dir(t, 0);
	assert_string_equal(LOG(t, 0), "<pass>");
}

static void
test_memcap_global_and_segments(void **state)
{
	struct tctx *t = *state;

	/* the worker's memcap, shared by all flows: another flow's usage counts */
	t->cfg.on_memcap = HP_STREAM_ACTION_DROP;
	t->cfg.memcap_bytes = 100;
	t->usage.bytes = t->other_bytes = 95;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 10, "abcdef", 0), HP_STREAM_DROP);
	assert_int_equal(t->ctr.memcap_global, 1);
	t->usage.bytes = t->other_bytes = 90;
	assert_int_equal(seg(t, 0, 10, "abcdef", 0), HP_STREAM_NEW);
	t->usage.bytes -= 90;
	t->other_bytes = 0;

	/* nodes per flow */
	restart(t);
	t->cfg.on_memcap = HP_STREAM_ACTION_DROP;
	t->cfg.flow_max_segs = 2;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 3, "c", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 5, "e", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 7, "g", 0), HP_STREAM_DROP);
	assert_int_equal(t->ctr.memcap_flow, 1);

	/* out-of-order nodes per direction */
	restart(t);
	t->cfg.on_memcap = HP_STREAM_ACTION_DROP;
	t->cfg.max_ooo_segs = 2;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 3, "c", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 5, "e", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 7, "g", 0), HP_STREAM_DROP);
	assert_int_equal(t->ctr.ooo_limit, 1);
	/* a segment extending a queued one into its hole still needs a node */
	assert_int_equal(seg(t, 0, 4, "d", 0), HP_STREAM_DROP);
	/* filling the first hole drains the queue */
	assert_int_equal(seg(t, 0, 1, "ab", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abc");
	assert_int_equal(seg(t, 0, 7, "g", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 4, "d", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abcde");
	assert_int_equal(seg(t, 0, 6, "f", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abcdefg");
}

static void
test_pool_exhaustion(void **state)
{
	struct tctx *t = *state;
	unsigned int act;

	for (act = 0; act < 2; act++) {
		restart(t);
		pool_reset(t, 4);
		t->cfg.on_memcap = act ? HP_STREAM_ACTION_DROP : HP_STREAM_ACTION_PASS;
		assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
		/* retention never takes the last quarter of the pool */
		assert_int_equal(seg(t, 0, 1, "a", 0), HP_STREAM_NEW);
		assert_int_equal(seg(t, 0, 2, "b", 0), HP_STREAM_NEW);
		assert_int_equal(seg(t, 0, 3, "c", 0), HP_STREAM_NEW);
		assert_int_equal(seg(t, 0, 4, "d", 0), HP_STREAM_NEW);
		assert_int_equal(t->s.dir[0].ret_segs, 3);
		assert_int_equal(t->ctr.retain_skipped, 1);
		/* out of order: the last free node, then the kept copies are evicted */
		assert_int_equal(seg(t, 0, 10, "j", 0), HP_STREAM_NEW);
		assert_int_equal(t->ctr.retain_evicted, 0);
		assert_int_equal(t->pool.n_free, 0);
		assert_int_equal(seg(t, 0, 12, "l", 0), HP_STREAM_NEW);
		assert_int_equal(t->ctr.retain_evicted, 3);
		assert_int_equal(seg(t, 0, 14, "n", 0), HP_STREAM_NEW);
		assert_int_equal(seg(t, 0, 16, "p", 0), HP_STREAM_NEW);
		assert_int_equal(t->pool.n_free, 0);
		assert_int_equal(seg(t, 0, 18, "r", 0), act ? HP_STREAM_DROP : HP_STREAM_PASS);
		assert_int_equal(t->ctr.pool_exhausted, 1);
		if (act) {
			assert_int_equal(seg(t, 0, 5, "efghi", 0), HP_STREAM_NEW);
			/* a hole filler needs no node even with the pool empty */
			assert_string_equal(LOG(t, 0), "abcdefghij");
		} else {
			assert_int_equal(t->pool.n_free, 4);
			assert_string_equal(LOG(t, 0), "abcd<pass>");
		}
	}
	restart(t);
	pool_reset(t, POOL_N);
}

static void
test_last_limits(void **state)
{
	struct tctx *t = *state;

	/* "last" holds in-order data: the hold bound delivers the oldest */
	t->cfg.policy = HP_STREAM_POLICY_LAST;
	t->cfg.last_hold_bytes = 6;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "abc", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 4, "def", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "");
	assert_int_equal(seg(t, 0, 7, "gh", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abc");
	assert_int_equal(t->ctr.last_forced_bytes, 3);
	assert_int_equal(ack(t, 0, 9), 0);
	assert_string_equal(LOG(t, 0), "abcdefgh");

	/* under the out-of-order node limit, held in-order data is delivered to make room */
	restart(t);
	t->cfg.policy = HP_STREAM_POLICY_LAST;
	t->cfg.max_ooo_segs = 2;
	t->cfg.on_memcap = HP_STREAM_ACTION_DROP;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "ab", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 3, "cd", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 5, "ef", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abcd");
	assert_int_equal(seg(t, 0, 9, "ij", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 12, "l", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abcdef");
	/* nothing left to force (a hole at the head): the limit's action */
	assert_int_equal(seg(t, 0, 14, "n", 0), HP_STREAM_DROP);
	assert_int_equal(t->ctr.ooo_limit, 1);
	assert_int_equal(ack(t, 0, 11), 0);
	assert_string_equal(LOG(t, 0), "abcdef[2]ij");
}

/* ---- FIN, RST, midstream -------------------------------------------------------------------- */

static void
test_fin(void **state)
{
	struct tctx *t = *state;
	unsigned int pol;

	for (pol = 0; pol < 2; pol++) {
		restart(t);
		t->cfg.policy = pol;
		assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
		/* the FIN arrives before the data it follows */
		assert_int_equal(seg(t, 0, 6, "fgh", HP_STREAM_SEG_FIN), HP_STREAM_NEW);
		assert_int_equal(t->ctr.fin, 1);
		assert_int_equal(t->s.dir[0].fin_seq, 9);
		/* nothing exists beyond the FIN */
		assert_int_equal(seg(t, 0, 9, "zz", 0), HP_STREAM_OUT_OF_WINDOW);
		assert_int_equal(seg(t, 0, 8, "hzz", 0), HP_STREAM_DUP_SAME);
		assert_int_equal(seg(t, 0, 1, "abcde", 0), HP_STREAM_NEW);
		if (pol) {
			assert_string_equal(LOG(t, 0), "");
			assert_int_equal(ack(t, 0, 10), 0); /* data + FIN acked */
		}
		assert_string_equal(LOG(t, 0), "abcdefgh<fin>");
		assert_int_equal(t->out[0].ends, 1);
		assert_true(t->s.dir[0].state & HP_STREAM_DIR_DONE);
		/* FIN retransmitted */
		assert_int_equal(seg(t, 0, 9, "", HP_STREAM_SEG_FIN), HP_STREAM_DUP_SAME);
		close_dir(t, 0);
		assert_string_equal(LOG(t, 0), "abcdefgh<fin>"); /* end reported once */
	}
	/* a FIN contradicting bytes already seen is ignored (tap) or refused (inline) */
	restart(t);
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "abcdef", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 3, "", HP_STREAM_SEG_FIN), HP_STREAM_OUT_OF_WINDOW);
	assert_int_equal(seg(t, 0, 10, "xy", HP_STREAM_SEG_FIN), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 11, "y", HP_STREAM_SEG_FIN), HP_STREAM_DUP_SAME);
	assert_int_equal(seg(t, 0, 12, "", HP_STREAM_SEG_FIN), HP_STREAM_DUP_SAME);
	assert_int_equal(seg(t, 0, 13, "", HP_STREAM_SEG_FIN), HP_STREAM_OUT_OF_WINDOW);
	assert_int_equal(t->ctr.fin_ignored, 2);
	t->cfg.inline_mode = true;
	assert_int_equal(seg(t, 0, 7, "ghi", HP_STREAM_SEG_FIN), HP_STREAM_OUT_OF_WINDOW);
	assert_int_equal(seg(t, 0, 7, "ghijk", 0), HP_STREAM_OVERLAP_DIFFERENT);
	assert_int_equal(seg(t, 0, 7, "ghi", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abcdefghixy<fin>");
}

static void
test_rst(void **state)
{
	struct tctx *t = *state;

	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(hp_stream_start(&t->s, 1, 100), 0);
	assert_int_equal(seg(t, 0, 1, "abc", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 8, "hij", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 1, 101, "resp", 0), HP_STREAM_NEW);
	/* outside [next_seq, highest byte seen]: blind RST, ignored */
	assert_int_equal(seg(t, 0, 50, "", HP_STREAM_SEG_RST), HP_STREAM_OUT_OF_WINDOW);
	assert_int_equal(seg(t, 0, 2, "", HP_STREAM_SEG_RST), HP_STREAM_OUT_OF_WINDOW);
	assert_int_equal(t->ctr.rst_ignored, 2);
	assert_string_equal(LOG(t, 0), "abc");
	/* in window: both directions end; what was queued is flushed, holes are gaps */
	assert_int_equal(seg(t, 0, 4, "junk", HP_STREAM_SEG_RST), HP_STREAM_NEW);
	assert_int_equal(t->ctr.rst, 1);
	assert_string_equal(LOG(t, 0), "abc[4]hij<rst>");
	assert_string_equal(LOG(t, 1), "resp<rst>");
	assert_int_equal(t->s.segs, 0);
	assert_int_equal(seg(t, 0, 4, "defg", 0), HP_STREAM_CLOSED);
	assert_int_equal(seg(t, 1, 105, "x", 0), HP_STREAM_CLOSED);
	assert_int_equal(ack(t, 0, 11), -ENOTCONN);
	assert_int_equal(t->ctr.results[HP_STREAM_CLOSED], 2);

	/* inline: only the receiver's exact next byte (RFC 5961) */
	restart(t);
	t->cfg.inline_mode = true;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "abc", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 6, "fg", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 5, "", HP_STREAM_SEG_RST), HP_STREAM_OUT_OF_WINDOW);
	assert_int_equal(seg(t, 0, 8, "", HP_STREAM_SEG_RST), HP_STREAM_OUT_OF_WINDOW);
	assert_int_equal(seg(t, 0, 3, "", HP_STREAM_SEG_RST), HP_STREAM_OUT_OF_WINDOW);
	assert_int_equal(seg(t, 0, 4, "de", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 7, "", HP_STREAM_SEG_RST), HP_STREAM_OUT_OF_WINDOW);
	assert_int_equal(seg(t, 0, 8, "", HP_STREAM_SEG_RST), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abcdefg<rst>");
	/* "last": held bytes count as received */
	restart(t);
	t->cfg.inline_mode = true;
	t->cfg.policy = HP_STREAM_POLICY_LAST;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "abc", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 1, "", HP_STREAM_SEG_RST), HP_STREAM_OUT_OF_WINDOW);
	assert_int_equal(seg(t, 0, 4, "", HP_STREAM_SEG_RST), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abc<rst>");

	/* RST on a direction never started (answer to a SYN) */
	restart(t);
	assert_int_equal(seg(t, 1, 77, "", HP_STREAM_SEG_RST), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 1, "a", 0), HP_STREAM_CLOSED);
	assert_string_equal(LOG(t, 0), ""); /* never started: no end callback */
}

static void
test_midstream(void **state)
{
	struct tctx *t = *state;

	/* picked up at the first segment seen */
	assert_int_equal(seg(t, 0, 5000, "", 0), HP_STREAM_EMPTY); /* an ACK does not start */
	assert_int_equal(seg(t, 0, 5000, "json\"}", 0), HP_STREAM_NEW);
	assert_int_equal(t->ctr.midstream, 1);
	assert_int_equal(t->s.dir[0].midstream, 1);
	assert_int_equal(seg(t, 0, 5006, "\r\n", 0), HP_STREAM_NEW);
	assert_int_equal(t->ctr.fast_path, 1);
	/* bytes before the pickup point are old */
	assert_int_equal(seg(t, 0, 4990, "0123456789", 0), HP_STREAM_DUP_ACKED);
	assert_string_equal(LOG(t, 0), "json\"}\r\n");
	assert_int_equal(ack(t, 0, 4000), 0); /* an ACK before the pickup: nothing */

	/* pickup disabled: nothing taken until the caller starts the direction */
	restart(t);
	t->cfg.midstream = false;
	assert_int_equal(seg(t, 0, 5000, "data", 0), HP_STREAM_OUT_OF_WINDOW);
	assert_int_equal(t->ctr.unsynced, 1);
	assert_int_equal(ack(t, 0, 5004), -ENOTCONN);
	assert_int_equal(hp_stream_start(&t->s, 0, 4999), 0);
	assert_int_equal(seg(t, 0, 5000, "data", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "data");
}

/* ---- comparisons under memory pressure ------------------------------------------------------ */

static void
test_unchecked_and_pass_api(void **state)
{
	struct tctx *t = *state;

	t->cfg.flow_memcap_bytes = 4;
	t->cfg.last_hold_bytes = 4;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "abcd", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 5, "efgh", 0), HP_STREAM_NEW); /* not kept: flow full */
	assert_int_equal(t->ctr.retain_skipped, 1);
	assert_int_equal(seg(t, 0, 1, "abcd", 0), HP_STREAM_DUP_SAME);
	/* differing where a copy was kept */
	assert_int_equal(seg(t, 0, 1, "abCdEFGH", 0), HP_STREAM_OVERLAP_DIFFERENT);
	/* differing or not, nobody knows: no copy */
	assert_int_equal(seg(t, 0, 1, "abcdEFGH", 0), HP_STREAM_DUP_UNCHECKED);
	assert_int_equal(t->ctr.results[HP_STREAM_DUP_UNCHECKED], 1);
	/* the caller stops inspection itself */
	hp_stream_pass(&t->env, &t->s);
	check_invariants(t);
	assert_int_equal(t->s.segs, 0);
	assert_string_equal(LOG(t, 0), "abcdefgh<pass>");
	assert_string_equal(LOG(t, 1), ""); /* never started */
	hp_stream_pass(&t->env, &t->s);
	assert_string_equal(LOG(t, 0), "abcdefgh<pass>");
}

/* Inline (bridge): bytes the receiver has not ACKed and no kept copy covers cannot be compared,
 * and the receiver may never have had the first copy (lost after the bridge): the segment is
 * refused whole, its new bytes too, until the receiver ACKs the old ones. */
static void
test_inline_unchecked(void **state)
{
	struct tctx *t = *state;

	t->cfg.inline_mode = true;
	t->cfg.flow_memcap_bytes = 4;
	t->cfg.last_hold_bytes = 4;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "abcd", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 5, "efgh", 0), HP_STREAM_NEW); /* not kept: flow full */
	assert_int_equal(t->ctr.retain_skipped, 1);
	/* the same bytes or others: nobody can tell */
	assert_int_equal(seg(t, 0, 5, "efgh", 0), HP_STREAM_DUP_UNCHECKED);
	assert_int_equal(seg(t, 0, 5, "EFGH", 0), HP_STREAM_DUP_UNCHECKED);
	/* with new bytes behind them: nothing taken, the new ones neither */
	assert_int_equal(seg(t, 0, 7, "ghij", 0), HP_STREAM_DUP_UNCHECKED);
	assert_string_equal(LOG(t, 0), "abcdefgh");
	assert_int_equal(t->s.dir[0].next_seq, 9);
	/* kept bytes still compare */
	assert_int_equal(seg(t, 0, 1, "abcd", 0), HP_STREAM_DUP_SAME);
	assert_int_equal(seg(t, 0, 1, "abCd", 0), HP_STREAM_OVERLAP_DIFFERENT);
	/* the receiver ACKs them: old to it, the segment's new bytes are taken */
	assert_int_equal(ack(t, 0, 9), 0);
	assert_int_equal(seg(t, 0, 7, "ghij", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abcdefghij");
	assert_int_equal(t->ctr.results[HP_STREAM_DUP_UNCHECKED], 3);
	check_invariants(t);

	/* retain off: every retransmission of unacked bytes is refused, inline */
	restart(t);
	t->cfg.inline_mode = true;
	t->cfg.retain = false;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "abcd", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 1, "abcd", 0), HP_STREAM_DUP_UNCHECKED);
	assert_int_equal(ack(t, 0, 5), 0);
	assert_int_equal(seg(t, 0, 1, "abcd", 0), HP_STREAM_DUP_ACKED);
	assert_string_equal(LOG(t, 0), "abcd");
}

/* ---- corners: ACKs inside segments, holes among kept copies, cuts among queued ones --------- */

static void
test_corners(void **state)
{
	struct tctx *t = *state;

	/* an ACK ahead of the data: only the unacked part of a delivered segment is kept */
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "ab", 0), HP_STREAM_NEW);
	assert_int_equal(ack(t, 0, 5), 0);
	assert_int_equal(seg(t, 0, 3, "cdefgh", 0), HP_STREAM_NEW);
	assert_int_equal(t->s.dir[0].ret_bytes, 4);
	assert_int_equal(t->s.dir[0].ret_head->seq, 5);
	assert_int_equal(seg(t, 0, 3, "cdefgh", 0), HP_STREAM_DUP_SAME);

	/* an ACK inside a queued segment, past a hole: gap, then the segment; its acked part is
	 * not kept */
	restart(t);
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 5, "efghij", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 1, "ab", 0), HP_STREAM_NEW);
	assert_int_equal(ack(t, 0, 8), 0);
	assert_string_equal(LOG(t, 0), "ab[2]efghij");
	assert_int_equal(t->s.bytes, 3);
	assert_int_equal(seg(t, 0, 8, "hiJ", 0), HP_STREAM_OVERLAP_DIFFERENT);
	assert_int_equal(seg(t, 0, 5, "efg", 0), HP_STREAM_DUP_ACKED);

	/* kept copies with a hole between them (one was not kept: flow limit) */
	restart(t);
	t->cfg.flow_memcap_bytes = 4;
	t->cfg.last_hold_bytes = 4;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	assert_int_equal(seg(t, 0, 1, "ab", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 3, "cde", 0), HP_STREAM_NEW);
	assert_int_equal(seg(t, 0, 6, "f", 0), HP_STREAM_NEW);
	assert_int_equal(t->s.dir[0].ret_segs, 2);
	assert_int_equal(t->ctr.retain_skipped, 1);
	assert_int_equal(seg(t, 0, 1, "abcdef", 0), HP_STREAM_DUP_UNCHECKED);
	assert_int_equal(seg(t, 0, 1, "abXdeF", 0), HP_STREAM_OVERLAP_DIFFERENT);
	assert_int_equal(seg(t, 0, 4, "d", 0), HP_STREAM_DUP_UNCHECKED);
	assert_int_equal(seg(t, 0, 6, "f", 0), HP_STREAM_DUP_SAME);
	assert_string_equal(LOG(t, 0), "abcdef");

	/* "last": a replacement among queued segments before and after it */
	restart(t);
	t->cfg.policy = HP_STREAM_POLICY_LAST;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	seg(t, 0, 3, "cd", 0);
	seg(t, 0, 7, "gh", 0);
	seg(t, 0, 11, "kl", 0);
	assert_int_equal(seg(t, 0, 7, "GH", 0), HP_STREAM_OVERLAP_REPLACED);
	assert_int_equal(t->s.dir[0].ooo_segs, 3);
	assert_int_equal(seg(t, 0, 1, "abcdefghijkl", 0), HP_STREAM_OVERLAP_REPLACED);
	assert_int_equal(ack(t, 0, 13), 0);
	assert_string_equal(LOG(t, 0), "abcdefghijkl"); /* the last copy of every byte */
	/* policy changed on a live flow (configuration reload): nothing breaks */
	restart(t);
	t->cfg.policy = HP_STREAM_POLICY_LAST;
	assert_int_equal(hp_stream_start(&t->s, 0, 0), 0);
	seg(t, 0, 1, "ab", 0);
	seg(t, 0, 5, "ef", 0);
	t->cfg.policy = HP_STREAM_POLICY_FIRST;
	assert_int_equal(seg(t, 0, 3, "cd", 0), HP_STREAM_NEW);
	assert_string_equal(LOG(t, 0), "abcdef");
}

/* ---- eve-overlap scenarios (OISF/suricata-verify, MIT) --------------------------------------- */

/* Client 1.1.1.1:12345 -> 2.2.2.2:8080, SYN seq 1, server SYN-ACK seq 1000 ack 2, then (tshark
 * -r tcp-overlap.pcap): frame 5 seq 2 "GOOD", frame 6 seq 2 "EVIL", frame 7 server ACK 6;
 * tcp-overlap2.pcap: frame 6 seq 3 "XXX"; tcp-simple-gap2.pcap: frame 5 seq 2 "VERY", frame 6
 * seq 10 "DATA", frame 7 ACK 14. The flow then times out (pkt_src "stream (flow timeout)"). */
struct eve_seg {
	uint32_t seq;
	const char *data;
};

struct eve_case {
	const char *test;
	struct eve_seg segs[2];
	uint32_t ack;
	enum hp_stream_policy policy;
	bool inline_mode;
	enum hp_stream_result r2; /* result for the second data segment */
	const char *stream;       /* what the consumer sees, gaps as [N] */
};

static void
test_eve_overlap_cases(void **state)
{
	struct tctx *t = *state;
	static const struct eve_case cases[] = {
		/* 01: default host-os-policy (windows): sid 2 GOOD on the stream, no sid 1 EVIL */
		{"eve-overlap-payload-01",
		 {{2, "GOOD"}, {2, "EVIL"}},
		 6,
		 HP_STREAM_POLICY_FIRST,
		 false,
		 HP_STREAM_OVERLAP_DIFFERENT,
		 "GOOD"},
		{"eve-payload-01-tcp-exact-overlap",
		 {{2, "GOOD"}, {2, "EVIL"}},
		 6,
		 HP_STREAM_POLICY_FIRST,
		 false,
		 HP_STREAM_OVERLAP_DIFFERENT,
		 "GOOD"},
		/* 02: old-linux for the server 2.2.2.2: sid 1 EVIL on the stream, no sid 2 */
		{"eve-overlap-payload-02-policy-oldlinux",
		 {{2, "GOOD"}, {2, "EVIL"}},
		 6,
		 HP_STREAM_POLICY_LAST,
		 false,
		 HP_STREAM_OVERLAP_REPLACED,
		 "EVIL"},
		/* 03: IPS: the differing packet is normalised to the first copy (sid 4 GOOD twice,
		 * no sid 3 EVIL): here the segment is refused whole for the caller to drop */
		{"eve-overlap-payload-03-ips",
		 {{2, "GOOD"}, {2, "EVIL"}},
		 6,
		 HP_STREAM_POLICY_FIRST,
		 true,
		 HP_STREAM_OVERLAP_DIFFERENT,
		 "GOOD"},
		/* 04: partial overlap, windows: sid 2 GOOD on the stream, no sid 1 XXX */
		{"eve-overlap-payload-04-partial-overlap",
		 {{2, "GOOD"}, {3, "XXX"}},
		 6,
		 HP_STREAM_POLICY_FIRST,
		 false,
		 HP_STREAM_OVERLAP_DIFFERENT,
		 "GOOD"},
		{"eve-overlap-payload-04-partial-overlap(ips)",
		 {{2, "GOOD"}, {3, "XXX"}},
		 6,
		 HP_STREAM_POLICY_FIRST,
		 true,
		 HP_STREAM_OVERLAP_DIFFERENT,
		 "GOOD"},
		/* 04 under "last" (not in suricata-verify): the later bytes win where they overlap
		 */
		{"eve-overlap-payload-04(last)",
		 {{2, "GOOD"}, {3, "XXX"}},
		 6,
		 HP_STREAM_POLICY_LAST,
		 false,
		 HP_STREAM_OVERLAP_REPLACED,
		 "GXXX"},
		/* 05: "VERY[4 bytes missing]DATA" on the stream, never "VERYGOODDATA" (sid 7) */
		{"eve-overlap-payload-05-gap",
		 {{2, "VERY"}, {10, "DATA"}},
		 14,
		 HP_STREAM_POLICY_FIRST,
		 false,
		 HP_STREAM_NEW,
		 "VERY[4]DATA"},
		{"eve-overlap-payload-05-gap(last)",
		 {{2, "VERY"}, {10, "DATA"}},
		 14,
		 HP_STREAM_POLICY_LAST,
		 false,
		 HP_STREAM_NEW,
		 "VERY[4]DATA"},
	};
	unsigned int i;
	char want[64];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct eve_case *c = &cases[i];
		enum hp_stream_result r;

		restart(t);
		t->cfg.policy = c->policy;
		t->cfg.inline_mode = c->inline_mode;
		assert_int_equal(hp_stream_start(&t->s, 0, 1), 0);    /* client SYN seq 1 */
		assert_int_equal(hp_stream_start(&t->s, 1, 1000), 0); /* server SYN-ACK */
		assert_int_equal(ack(t, 1, 1001), 0);                 /* frame 3 */
		assert_int_equal(ack(t, 0, 2), 0);                    /* frame 4 */
		assert_int_equal(seg(t, 0, c->segs[0].seq, c->segs[0].data, 0), HP_STREAM_NEW);
		r = seg(t, 0, c->segs[1].seq, c->segs[1].data, 0);
		if (r != c->r2)
			fail_msg("%s: second segment %s, want %s", c->test,
				 hp_stream_result_name(r), hp_stream_result_name(c->r2));
		if (c->inline_mode)
			assert_int_equal(t->owners->refs, 0); /* refused: nothing kept */
		assert_int_equal(ack(t, 0, c->ack), 0);       /* frame 7 */
		close_dir(t, 0);                              /* flow timeout */
		close_dir(t, 1);
		snprintf(want, sizeof(want), "%s<close>", c->stream);
		if (strcmp(LOG(t, 0), want) != 0)
			fail_msg("%s: stream '%s', want '%s'", c->test, LOG(t, 0), want);
		assert_string_equal(LOG(t, 1), "<close>");
	}
}

/* ---- random segmentations (same bytes), with ACKs ------------------------------------------- */

static uint32_t rng_state = 0x12345678u;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return n ? rng_state % n : 0;
}

static void
test_random_segmentations(void **state)
{
	struct tctx *t = *state;
	uint8_t text[600];
	unsigned int iter, i;

	for (i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)('a' + rnd(26));
	for (iter = 0; iter < 3000; iter++) {
		uint32_t len = 1 + rnd(sizeof(text)), isn = rnd(4) ? rnd(UINT32_MAX) : 0xffffff00u;
		uint32_t acked = 0, nseg = 1 + rnd(40), k, covered;
		bool have[sizeof(text)] = {false};
		bool withhold = rnd(4) == 0;
		uint32_t wlo = rnd(len), whi = wlo + 1 + rnd(8);

		restart(t);
		t->cfg.policy = rnd(2) ? HP_STREAM_POLICY_LAST : HP_STREAM_POLICY_FIRST;
		t->cfg.retain = rnd(2);
		t->cfg.inline_mode = rnd(2);
		t->cfg.last_hold_bytes = rnd(2) ? 64 : 4096;
		assert_int_equal(hp_stream_start(&t->s, 0, isn), 0);
		for (k = 0; k < nseg * 3; k++) {
			uint32_t off = rnd(len), l = 1 + rnd(len - off < 64 ? len - off : 64);
			enum hp_stream_result r;

			if (withhold && off < whi && off + l > wlo)
				continue;
			r = segb(t, 0, isn + 1 + off, text + off, l, 0);
			assert_true(r == HP_STREAM_NEW || r == HP_STREAM_DUP_SAME ||
				    r == HP_STREAM_DUP_ACKED || r == HP_STREAM_DUP_UNCHECKED);
			/* inline, refused: the bridge drops it, the receiver never gets it */
			if (t->cfg.inline_mode && r == HP_STREAM_DUP_UNCHECKED)
				continue;
			for (i = off; i < off + l; i++)
				have[i] = true;
			/* the receiver ACKs at most what it has contiguously */
			for (covered = 0; covered < len && have[covered]; covered++)
				;
			if (rnd(3) == 0 && covered > acked) {
				acked = acked + 1 + rnd(covered - acked);
				assert_int_equal(ack(t, 0, isn + 1 + acked), 0);
			}
		}
		close_dir(t, 0);
		/* delivered bytes are the stream's, gaps only where bytes were never sent */
		{
			const char *p = LOG(t, 0);
			uint32_t pos = 0;

			while (*p != '\0' && *p != '<') {
				if (*p == '[') {
					uint32_t g = (uint32_t)strtoul(p + 1, NULL, 10);

					for (i = pos; i < pos + g; i++)
						assert_false(have[i]);
					pos += g;
					p = strchr(p, ']') + 1;
				} else {
					assert_true(pos < len);
					assert_true(have[pos]);
					assert_int_equal((uint8_t)*p, text[pos]);
					pos++;
					p++;
				}
			}
			for (i = pos; i < len; i++)
				assert_false(have[i]); /* the tail never sent */
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_and_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_order_fast_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorder_every_permutation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmission_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmission_different, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inline_unchecked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_overlaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcap_flow_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcap_flow_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memcap_global_and_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_midstream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchecked_and_pass_api, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corners, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eve_overlap_cases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_segmentations, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
