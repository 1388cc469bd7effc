/* SPDX-License-Identifier: BSD-3-Clause
 * TCP stream reassembly per direction (contracts in stream_reasm.h, operator view in
 * docs/STREAM.md).
 *
 * Shape of the state, per direction:
 *   ret list: bytes already delivered, kept (referenced) until the peer ACKs them so that a
 *             retransmission can be compared with what the consumer saw. FIFO.
 *   ooo list: bytes not yet delivered (out of order, or held by the "last" policy). Sorted,
 *             disjoint; every node starts at or after next_seq.
 * Both lists hold byte ranges, not packets: overlapping input is cut so that each stream byte
 * is referenced at most once. A node may reference part of its owner's payload.
 *
 * A segment is handled in two steps: a plan (walk the lists, compare the overlapping bytes,
 * count the nodes and bytes it needs), then, if the limits allow, the apply step. Refusing a
 * segment (drop, or an inline conflict) therefore leaves nothing of it behind.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "stream_reasm.h"

#ifdef HP_STREAM_DEBUG
#include <assert.h>
#define STREAM_ASSERT(x) assert(x)
#else
#define STREAM_ASSERT(x) ((void)0)
#endif

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Sequence space comparisons (RFC 793 modular arithmetic). */
static inline int32_t
seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}
#define SEQ_LT(a, b)  (seq_diff((a), (b)) < 0)
#define SEQ_LEQ(a, b) (seq_diff((a), (b)) <= 0)
#define SEQ_GT(a, b)  (seq_diff((a), (b)) > 0)
#define SEQ_GEQ(a, b) (seq_diff((a), (b)) >= 0)

static inline uint32_t
seq_min(uint32_t a, uint32_t b)
{
	return SEQ_LT(a, b) ? a : b;
}

static inline uint32_t
seq_max(uint32_t a, uint32_t b)
{
	return SEQ_GT(a, b) ? a : b;
}

static inline uint32_t
seg_end(const struct hp_stream_seg *n)
{
	return n->seq + n->len;
}

/* ---- configuration, pool ---------------------------------------------------------------- */

void
hp_stream_config_default(struct hp_stream_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memcap_bytes = 256ull << 20;
	cfg->flow_memcap_bytes = 1u << 20;
	cfg->flow_max_segs = 1024;
	cfg->max_ooo_segs = 256;
	cfg->last_hold_bytes = 64u << 10;
	cfg->max_window = 1u << 30;
	cfg->policy = HP_STREAM_POLICY_FIRST;
	cfg->on_memcap = HP_STREAM_ACTION_PASS;
	cfg->inline_mode = false;
	cfg->retain = true;
	cfg->midstream = true;
}

int
hp_stream_config_check(const struct hp_stream_config *cfg)
{
	if (cfg->policy != HP_STREAM_POLICY_FIRST && cfg->policy != HP_STREAM_POLICY_LAST)
		return -EINVAL;
	if (cfg->on_memcap != HP_STREAM_ACTION_PASS && cfg->on_memcap != HP_STREAM_ACTION_DROP)
		return -EINVAL;
	if (cfg->max_window == 0 || cfg->max_window > (1u << 30))
		return -EINVAL;
	if (cfg->memcap_bytes == 0 || cfg->flow_memcap_bytes == 0 || cfg->flow_max_segs == 0 ||
	    cfg->max_ooo_segs == 0)
		return -EINVAL;
	if (cfg->last_hold_bytes > cfg->flow_memcap_bytes)
		return -EINVAL;
	return 0;
}

int
hp_stream_pool_init(struct hp_stream_pool *pool, struct hp_stream_seg *nodes, uint32_t n)
{
	uint32_t i;

	if (pool == NULL || nodes == NULL || n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
	pool->free = nodes;
	pool->n_free = n;
	pool->size = n;
	return 0;
}

const char *
hp_stream_result_name(enum hp_stream_result r)
{
	static const char *const names[HP_STREAM_RESULT_MAX] = {
		[HP_STREAM_NEW] = "new",
		[HP_STREAM_DUP_SAME] = "dup_same",
		[HP_STREAM_DUP_ACKED] = "dup_acked",
		[HP_STREAM_DUP_UNCHECKED] = "dup_unchecked",
		[HP_STREAM_OVERLAP_DIFFERENT] = "overlap_different",
		[HP_STREAM_OVERLAP_REPLACED] = "overlap_replaced",
		[HP_STREAM_OUT_OF_WINDOW] = "out_of_window",
		[HP_STREAM_DROP] = "drop",
		[HP_STREAM_PASS] = "pass",
		[HP_STREAM_CLOSED] = "closed",
		[HP_STREAM_EMPTY] = "empty",
	};

	return (unsigned int)r < HP_STREAM_RESULT_MAX ? names[r] : "unknown";
}

const char *
hp_stream_policy_name(enum hp_stream_policy p)
{
	return p == HP_STREAM_POLICY_FIRST  ? "first"
	       : p == HP_STREAM_POLICY_LAST ? "last"
					    : "unknown";
}

const char *
hp_stream_action_name(enum hp_stream_action a)
{
	return a == HP_STREAM_ACTION_PASS   ? "pass"
	       : a == HP_STREAM_ACTION_DROP ? "drop"
					    : "unknown";
}

/* ---- nodes and accounting --------------------------------------------------------------- */

static inline void
acct(const struct hp_stream_env *env, struct hp_stream *s, int32_t segs, int64_t bytes)
{
	s->segs += (uint32_t)segs;
	s->bytes += (uint32_t)bytes;
	env->usage->segs += (uint64_t)(int64_t)segs;
	env->usage->bytes += (uint64_t)bytes;
}

/* A node referencing [seq, seq + len) at data, with a reference on owner; NULL when the pool
 * is empty (callers checked the pool first; NULL is handled anyway). */
static struct hp_stream_seg *
seg_new(const struct hp_stream_env *env, struct hp_stream *s, uint32_t seq, const uint8_t *data,
	uint32_t len, void *owner)
{
	struct hp_stream_pool *pool = env->pool;
	struct hp_stream_seg *n = pool->free;

	if (unlikely(n == NULL)) {
		env->ctr->pool_exhausted++;
		return NULL;
	}
	pool->free = n->next;
	pool->n_free--;
	n->next = NULL;
	n->seq = seq;
	n->data = data;
	n->len = len;
	n->owner = owner;
	env->ref(owner);
	acct(env, s, 1, len);
	return n;
}

static void
seg_free(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_seg *n)
{
	struct hp_stream_pool *pool = env->pool;

	acct(env, s, -1, -(int64_t)n->len);
	env->unref(n->owner);
	n->owner = NULL;
	n->next = pool->free;
	pool->free = n;
	pool->n_free++;
}

/* Drop k bytes from the front of a node (k < len). */
static inline void
seg_trim_front(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_seg *n,
	       uint32_t k)
{
	n->seq += k;
	n->data += k;
	n->len -= k;
	acct(env, s, 0, -(int64_t)k);
}

static void
ret_append(struct hp_stream_dir *dir, struct hp_stream_seg *n)
{
	n->next = NULL;
	if (dir->ret_tail != NULL)
		dir->ret_tail->next = n;
	else
		dir->ret_head = n;
	dir->ret_tail = n;
	dir->ret_segs++;
	dir->ret_bytes += n->len;
}

static void
ooo_insert_after(struct hp_stream_dir *dir, struct hp_stream_seg *prev, struct hp_stream_seg *n)
{
	if (prev == NULL) {
		n->next = dir->ooo_head;
		dir->ooo_head = n;
	} else {
		n->next = prev->next;
		prev->next = n;
	}
	if (n->next == NULL)
		dir->ooo_tail = n;
	dir->ooo_segs++;
	dir->ooo_bytes += n->len;
}

static void
ooo_unlink(struct hp_stream_dir *dir, struct hp_stream_seg *prev, struct hp_stream_seg *n)
{
	if (prev == NULL)
		dir->ooo_head = n->next;
	else
		prev->next = n->next;
	if (dir->ooo_tail == n)
		dir->ooo_tail = prev;
	n->next = NULL;
	dir->ooo_segs--;
	dir->ooo_bytes -= n->len;
}

static void
release_ret(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir)
{
	struct hp_stream_seg *n, *next;

	for (n = dir->ret_head; n != NULL; n = next) {
		next = n->next;
		seg_free(env, s, n);
	}
	dir->ret_head = dir->ret_tail = NULL;
	dir->ret_segs = dir->ret_bytes = 0;
}

static void
release_ooo(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir)
{
	struct hp_stream_seg *n, *next;

	for (n = dir->ooo_head; n != NULL; n = next) {
		next = n->next;
		seg_free(env, s, n);
	}
	dir->ooo_head = dir->ooo_tail = NULL;
	dir->ooo_segs = dir->ooo_bytes = 0;
}

/* Kept copies the peer has acknowledged are no longer needed. */
static void
release_acked(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir)
{
	struct hp_stream_seg *n;

	while ((n = dir->ret_head) != NULL) {
		if (SEQ_LEQ(seg_end(n), dir->ack_seq)) {
			dir->ret_head = n->next;
			if (dir->ret_head == NULL)
				dir->ret_tail = NULL;
			dir->ret_segs--;
			dir->ret_bytes -= n->len;
			seg_free(env, s, n);
			continue;
		}
		if (SEQ_LT(n->seq, dir->ack_seq)) {
			uint32_t k = dir->ack_seq - n->seq;

			seg_trim_front(env, s, n, k);
			dir->ret_bytes -= k;
		}
		break;
	}
}

/* ---- delivery ---------------------------------------------------------------------------- */

static inline void
emit(const struct hp_stream_env *env, struct hp_stream_dir *dir, const uint8_t *data, uint32_t len)
{
	env->deliver(dir->ctx, data, len);
	dir->next_seq += len;
	env->ctr->delivered_bytes += len;
}

static void
emit_gap(const struct hp_stream_env *env, struct hp_stream_dir *dir, uint32_t len)
{
	env->gap(dir->ctx, len);
	dir->next_seq += len;
	env->ctr->gaps++;
	env->ctr->gap_bytes += len;
}

static void
end_dir(const struct hp_stream_env *env, struct hp_stream_dir *dir, enum hp_stream_end why)
{
	if (!(dir->state & HP_STREAM_DIR_STARTED) || (dir->state & HP_STREAM_DIR_ENDED))
		return;
	dir->state |= HP_STREAM_DIR_ENDED;
	if (env->end != NULL)
		env->end(dir->ctx, why);
}

/* Room for one more kept copy of delivered bytes? Retention is opportunistic: it never takes
 * the last quarter of the worker's memcap or pool, which stays for data not yet delivered. */
static inline bool
retain_room(const struct hp_stream_env *env, const struct hp_stream *s, uint32_t len)
{
	const struct hp_stream_config *cfg = env->cfg;

	return s->segs < cfg->flow_max_segs && s->bytes + (uint64_t)len <= cfg->flow_memcap_bytes &&
	       env->usage->bytes + len <= cfg->memcap_bytes - cfg->memcap_bytes / 4 &&
	       env->pool->n_free > env->pool->size / 4;
}

/* Bytes [seq, seq + len) were just delivered from the caller's buffer: keep a reference for
 * comparison with retransmissions until the peer ACKs them. */
static void
retain_direct(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir,
	      uint32_t seq, const uint8_t *data, uint32_t len, void *owner)
{
	struct hp_stream_seg *n;

	if (SEQ_LEQ(seq + len, dir->ack_seq))
		return;
	if (SEQ_LT(seq, dir->ack_seq)) {
		uint32_t k = dir->ack_seq - seq;

		seq += k;
		data += k;
		len -= k;
	}
	if (!retain_room(env, s, len) || (n = seg_new(env, s, seq, data, len, owner)) == NULL) {
		env->ctr->retain_skipped++;
		return;
	}
	ret_append(dir, n);
}

/* A queued node was just delivered: keep it (unacked part) or free it. */
static void
keep_delivered(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir,
	       struct hp_stream_seg *n, bool keep)
{
	const struct hp_stream_config *cfg = env->cfg;

	/* already counted: keep it unless the worker is in its reserve (see retain_room) */
	if (!keep || !cfg->retain || SEQ_LEQ(seg_end(n), dir->ack_seq) ||
	    env->usage->bytes > cfg->memcap_bytes - cfg->memcap_bytes / 4 ||
	    env->pool->n_free < env->pool->size / 4) {
		seg_free(env, s, n);
		return;
	}
	if (SEQ_LT(n->seq, dir->ack_seq))
		seg_trim_front(env, s, n, dir->ack_seq - n->seq);
	ret_append(dir, n);
}

/* Deliver the head of the queue (it starts at next_seq). */
static uint32_t
deliver_head(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir,
	     bool keep)
{
	struct hp_stream_seg *n = dir->ooo_head;
	uint32_t len = n->len;

	STREAM_ASSERT(n->seq == dir->next_seq);
	ooo_unlink(dir, NULL, n);
	emit(env, dir, n->data, n->len);
	keep_delivered(env, s, dir, n, keep);
	return len;
}

static void
check_fin(const struct hp_stream_env *env, struct hp_stream_dir *dir)
{
	if ((dir->state & (HP_STREAM_DIR_FIN | HP_STREAM_DIR_DONE)) == HP_STREAM_DIR_FIN &&
	    dir->next_seq == dir->fin_seq) {
		dir->state |= HP_STREAM_DIR_DONE;
		end_dir(env, dir, HP_STREAM_END_FIN);
	}
}

/* Deliver what the policy allows: "first" everything contiguous, "last" contiguous bytes up
 * to the ACK (plus what exceeds the hold bound). A hole the peer acknowledged, with bytes seen
 * after it, is reported as a gap. */
static void
advance(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir)
{
	const struct hp_stream_config *cfg = env->cfg;
	bool last = cfg->policy == HP_STREAM_POLICY_LAST;
	struct hp_stream_seg *n;
	uint32_t lim;

	for (;;) {
		n = dir->ooo_head;
		if (n != NULL && n->seq == dir->next_seq) {
			if (!last || SEQ_GEQ(dir->ack_seq, seg_end(n))) {
				deliver_head(env, s, dir, true);
				continue;
			}
			if (SEQ_GT(dir->ack_seq, n->seq)) {
				/* partly acked: those bytes are final, deliver them now */
				uint32_t k = dir->ack_seq - n->seq;

				emit(env, dir, n->data, k);
				seg_trim_front(env, s, n, k);
				dir->ooo_bytes -= k;
			}
			break;
		}
		lim = seq_min(dir->ack_seq, dir->max_end);
		if (!SEQ_LT(dir->next_seq, lim))
			break;
		if (n != NULL && SEQ_LT(n->seq, lim))
			lim = n->seq;
		emit_gap(env, dir, lim - dir->next_seq);
	}
	if (last) {
		while (dir->ooo_bytes > cfg->last_hold_bytes && (n = dir->ooo_head) != NULL &&
		       n->seq == dir->next_seq)
			env->ctr->last_forced_bytes += deliver_head(env, s, dir, true);
	}
	check_fin(env, dir);
}

/* ---- the plan ---------------------------------------------------------------------------- */

#define PF_NEW       0x01u /* bytes nobody had */
#define PF_SAME      0x02u /* bytes equal to the copy kept */
#define PF_DIFF_OLD  0x04u /* bytes differ from delivered ones */
#define PF_DIFF_PEND 0x08u /* bytes differ from queued ones */
#define PF_UNCHECKED 0x10u /* delivered, unacked, no copy kept */
#define PF_ACKED     0x20u /* below the peer's ACK */
#define PF_REPLACED  0x40u /* "last": differing queued bytes replaced */

struct plan {
	uint32_t s, e;       /* the segment's bytes, trimmed to the FIN */
	const uint8_t *data; /* byte s */
	uint32_t c0;         /* first byte not yet delivered: max(s, next_seq) */
	unsigned int f;
	uint32_t runs; /* nodes to insert */
	uint32_t run_bytes;
	uint32_t removed; /* queued nodes replaced whole ("last") */
	uint32_t splits;  /* queued nodes cut in two ("last") */
	uint32_t cut_bytes;
	bool direct; /* "first", in order: delivered from the caller's buffer, no node */
};

/* Bytes before next_seq: compare with the kept copies. */
static void
plan_old(const struct hp_stream_dir *dir, struct plan *p)
{
	const struct hp_stream_seg *n;
	uint32_t a = p->s, b = seq_min(p->e, dir->next_seq), x;

	if (SEQ_LT(a, dir->ack_seq)) {
		p->f |= PF_ACKED;
		a = seq_min(b, dir->ack_seq);
	}
	for (n = dir->ret_head; n != NULL && SEQ_LT(a, b); n = n->next) {
		if (SEQ_LEQ(seg_end(n), a))
			continue;
		if (SEQ_GEQ(n->seq, b))
			break;
		if (SEQ_LT(a, n->seq)) {
			p->f |= PF_UNCHECKED;
			a = n->seq;
		}
		x = seq_min(b, seg_end(n));
		if (memcmp(p->data + (a - p->s), n->data + (a - n->seq), x - a) == 0)
			p->f |= PF_SAME;
		else
			p->f |= PF_DIFF_OLD;
		a = x;
	}
	if (SEQ_LT(a, b))
		p->f |= PF_UNCHECKED;
}

/* Bytes from next_seq: holes become new nodes; overlaps with queued bytes are compared and,
 * under "last", differing ones replace the queued ones. */
static void
plan_new(const struct hp_stream_dir *dir, bool last, struct plan *p)
{
	const struct hp_stream_seg *n = dir->ooo_head;
	uint32_t c = p->c0, e = p->e, ne, x;
	bool in_run = false;

	if (dir->ooo_tail != NULL && SEQ_LEQ(seg_end(dir->ooo_tail), c))
		n = NULL; /* appending: the common case, no walk */
	for (; n != NULL && SEQ_LT(c, e); n = n->next) {
		ne = seg_end(n);
		if (SEQ_LEQ(ne, c))
			continue;
		if (SEQ_GEQ(n->seq, e))
			break;
		if (SEQ_LT(c, n->seq)) {
			if (!in_run)
				p->runs++;
			in_run = true;
			p->run_bytes += n->seq - c;
			p->f |= PF_NEW;
			c = n->seq;
		}
		x = seq_min(e, ne);
		if (memcmp(p->data + (c - p->s), n->data + (c - n->seq), x - c) == 0) {
			p->f |= PF_SAME;
			in_run = false;
		} else if (last) {
			p->f |= PF_DIFF_PEND | PF_REPLACED;
			if (!in_run)
				p->runs++;
			in_run = true;
			p->run_bytes += x - c;
			p->cut_bytes += x - c;
			if (c == n->seq && x == ne)
				p->removed++;
			else if (c != n->seq && x != ne)
				p->splits++;
		} else {
			p->f |= PF_DIFF_PEND;
			in_run = false;
		}
		c = x;
	}
	if (SEQ_LT(c, e)) {
		if (!in_run)
			p->runs++;
		p->run_bytes += e - c;
		p->f |= PF_NEW;
	}
}

static void
plan_make(const struct hp_stream_env *env, const struct hp_stream_dir *dir, struct plan *p)
{
	bool last = env->cfg->policy == HP_STREAM_POLICY_LAST;

	p->f = 0;
	p->runs = p->run_bytes = p->removed = p->splits = p->cut_bytes = 0;
	if (SEQ_LT(p->s, dir->next_seq))
		plan_old(dir, p);
	p->c0 = seq_max(p->s, dir->next_seq);
	if (SEQ_LT(p->c0, p->e))
		plan_new(dir, last, p);
	p->direct = !last && SEQ_LEQ(p->s, dir->next_seq);
}

enum room {
	ROOM_OK = 0,
	ROOM_OOO,
	ROOM_FLOW,
	ROOM_GLOBAL,
	ROOM_POOL,
};

static enum room
room_check(const struct hp_stream_env *env, const struct hp_stream *s,
	   const struct hp_stream_dir *dir, const struct plan *p)
{
	const struct hp_stream_config *cfg = env->cfg;
	int64_t dsegs, dbytes;

	if (p->direct)
		return ROOM_OK;
	dsegs = (int64_t)p->runs + p->splits - p->removed;
	dbytes = (int64_t)p->run_bytes - p->cut_bytes;
	if (dsegs > 0 && dir->ooo_segs + dsegs > cfg->max_ooo_segs)
		return ROOM_OOO;
	if ((dsegs > 0 && s->segs + dsegs > cfg->flow_max_segs) ||
	    (dbytes > 0 && s->bytes + dbytes > cfg->flow_memcap_bytes))
		return ROOM_FLOW;
	if (dbytes > 0 && env->usage->bytes + (uint64_t)dbytes > cfg->memcap_bytes)
		return ROOM_GLOBAL;
	if ((uint64_t)env->pool->n_free + p->removed < (uint64_t)p->runs + p->splits)
		return ROOM_POOL;
	return ROOM_OK;
}

/* Make room: drop the flow's kept copies of delivered bytes. true if anything was freed. */
static bool
evict_retained(const struct hp_stream_env *env, struct hp_stream *s)
{
	uint32_t n = s->dir[0].ret_segs + s->dir[1].ret_segs;

	if (n == 0)
		return false;
	release_ret(env, s, &s->dir[0]);
	release_ret(env, s, &s->dir[1]);
	env->ctr->retain_evicted += n;
	return true;
}

/* Make room ("last"): deliver the held bytes at the head now, without keeping them. */
static bool
force_held(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir)
{
	bool any = false;

	while (dir->ooo_head != NULL && dir->ooo_head->seq == dir->next_seq) {
		env->ctr->last_forced_bytes += deliver_head(env, s, dir, false);
		any = true;
	}
	return any;
}

/* ---- apply ------------------------------------------------------------------------------- */

/* "first", in order: deliver from the caller's buffer, interleaved with queued nodes (which,
 * being first, win where they overlap). */
static void
apply_direct(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir,
	     const struct plan *p, void *owner)
{
	struct hp_stream_seg *n;
	uint32_t c = dir->next_seq, lim;

	while (SEQ_LT(c, p->e)) {
		n = dir->ooo_head;
		if (n != NULL && n->seq == c) {
			deliver_head(env, s, dir, true);
			c = dir->next_seq;
			continue;
		}
		lim = (n != NULL && SEQ_LT(n->seq, p->e)) ? n->seq : p->e;
		emit(env, dir, p->data + (c - p->s), lim - c);
		if (env->cfg->retain)
			retain_direct(env, s, dir, c, p->data + (c - p->s), lim - c, owner);
		c = lim;
	}
}

/* "last": cut the queued bytes that the segment's differing bytes replace. */
static void
apply_cut(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir,
	  const struct plan *p)
{
	struct hp_stream_seg *prev = NULL, *n = dir->ooo_head, *next, *m;
	uint32_t c = p->c0, e = p->e, a, x, ne, k;

	while (n != NULL && SEQ_LT(c, e)) {
		next = n->next;
		ne = seg_end(n);
		if (SEQ_LEQ(ne, c)) {
			prev = n;
			n = next;
			continue;
		}
		if (SEQ_GEQ(n->seq, e))
			break;
		a = seq_max(c, n->seq);
		x = seq_min(e, ne);
		c = x;
		if (memcmp(p->data + (a - p->s), n->data + (a - n->seq), x - a) == 0) {
			prev = n;
			n = next;
			continue;
		}
		k = x - a;
		if (a == n->seq && x == ne) {
			ooo_unlink(dir, prev, n);
			seg_free(env, s, n);
			n = next;
			continue;
		}
		if (a == n->seq) {
			seg_trim_front(env, s, n, k);
			dir->ooo_bytes -= k;
		} else if (x == ne) {
			n->len -= k;
			dir->ooo_bytes -= k;
			acct(env, s, 0, -(int64_t)k);
		} else {
			/* strictly inside: keep both ends (the plan reserved the node; without
			 * one the old bytes stay, as under "first") */
			m = seg_new(env, s, x, n->data + (x - n->seq), ne - x, n->owner);
			if (m != NULL) {
				dir->ooo_bytes -= ne - a;
				acct(env, s, 0, -(int64_t)(ne - a));
				n->len = a - n->seq;
				ooo_insert_after(dir, n, m);
				n = m;
			}
		}
		prev = n;
		n = next;
	}
}

/* Fill the holes of [c0, e) with nodes referencing the segment. */
static uint32_t
apply_fill(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir,
	   const struct plan *p, void *owner)
{
	struct hp_stream_seg *prev = NULL, *n = dir->ooo_head, *m;
	uint32_t c = p->c0, e = p->e, lim, added = 0;

	if (dir->ooo_tail != NULL && SEQ_LEQ(seg_end(dir->ooo_tail), c)) {
		prev = dir->ooo_tail;
		n = NULL;
	}
	while (SEQ_LT(c, e)) {
		while (n != NULL && SEQ_LEQ(seg_end(n), c)) {
			prev = n;
			n = n->next;
		}
		lim = (n != NULL && SEQ_LT(n->seq, e)) ? n->seq : e;
		if (SEQ_LT(c, lim)) {
			m = seg_new(env, s, c, p->data + (c - p->s), lim - c, owner);
			if (m != NULL) {
				ooo_insert_after(dir, prev, m);
				prev = m;
				added++;
			}
		}
		if (n == NULL || SEQ_GEQ(n->seq, e))
			break;
		c = seg_end(n);
		prev = n;
		n = n->next;
	}
	return added;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

void
hp_stream_init(struct hp_stream *s, void *ctx0, void *ctx1)
{
	memset(s, 0, sizeof(*s));
	s->dir[0].ctx = ctx0;
	s->dir[1].ctx = ctx1;
}

static void
dir_start(struct hp_stream_dir *dir, uint32_t next)
{
	dir->next_seq = next;
	dir->ack_seq = next;
	dir->max_end = next;
	dir->state |= HP_STREAM_DIR_STARTED;
}

int
hp_stream_start(struct hp_stream *s, unsigned int d, uint32_t isn)
{
	if (d > 1)
		return -EINVAL;
	if (s->dir[d].state & HP_STREAM_DIR_STARTED)
		return -EALREADY;
	dir_start(&s->dir[d], isn + 1);
	return 0;
}

static void
dir_close(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir,
	  enum hp_stream_end why)
{
	struct hp_stream_seg *n;
	uint32_t tail;

	if (!(dir->state & HP_STREAM_DIR_STARTED) || (dir->state & HP_STREAM_DIR_CLOSED)) {
		dir->state |= HP_STREAM_DIR_CLOSED;
		return;
	}
	while ((n = dir->ooo_head) != NULL) {
		if (n->seq != dir->next_seq)
			emit_gap(env, dir, n->seq - dir->next_seq);
		deliver_head(env, s, dir, false);
	}
	tail = (dir->state & HP_STREAM_DIR_FIN) ? dir->fin_seq : dir->max_end;
	if (SEQ_LT(dir->next_seq, tail))
		emit_gap(env, dir, tail - dir->next_seq);
	release_ret(env, s, dir);
	dir->state |= HP_STREAM_DIR_CLOSED;
	if ((dir->state & HP_STREAM_DIR_FIN) && dir->next_seq == dir->fin_seq)
		dir->state |= HP_STREAM_DIR_DONE;
	end_dir(env, dir, why);
}

void
hp_stream_close(const struct hp_stream_env *env, struct hp_stream *s, unsigned int d)
{
	if (d > 1 || s->passed)
		return;
	dir_close(env, s, &s->dir[d], HP_STREAM_END_CLOSE);
}

void
hp_stream_release(const struct hp_stream_env *env, struct hp_stream *s)
{
	unsigned int d;

	for (d = 0; d < 2; d++) {
		release_ooo(env, s, &s->dir[d]);
		release_ret(env, s, &s->dir[d]);
		s->dir[d].state |= HP_STREAM_DIR_CLOSED | HP_STREAM_DIR_ENDED;
	}
}

void
hp_stream_pass(const struct hp_stream_env *env, struct hp_stream *s)
{
	unsigned int d;

	if (s->passed)
		return;
	s->passed = 1;
	for (d = 0; d < 2; d++) {
		release_ooo(env, s, &s->dir[d]);
		release_ret(env, s, &s->dir[d]);
		s->dir[d].state |= HP_STREAM_DIR_CLOSED;
		end_dir(env, &s->dir[d], HP_STREAM_END_PASS);
	}
}

/* ---- segments and ACKs ------------------------------------------------------------------- */

static enum hp_stream_result
limit_hit(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir,
	  enum room why, uint32_t end)
{
	struct hp_stream_counters *ctr = env->ctr;

	switch (why) {
	case ROOM_OOO:
		ctr->ooo_limit++;
		break;
	case ROOM_FLOW:
		ctr->memcap_flow++;
		break;
	case ROOM_GLOBAL:
		ctr->memcap_global++;
		break;
	default:
		ctr->pool_exhausted++;
		break;
	}
	if (env->cfg->on_memcap == HP_STREAM_ACTION_DROP) {
		ctr->memcap_drop++;
		/* the bytes exist: if the peer ACKs past them, they are a gap */
		if (SEQ_GT(end, dir->max_end))
			dir->max_end = end;
		return HP_STREAM_DROP;
	}
	ctr->memcap_pass++;
	hp_stream_pass(env, s);
	return HP_STREAM_PASS;
}

static enum hp_stream_result
result_of(unsigned int f)
{
	if (f & (PF_DIFF_OLD | PF_DIFF_PEND)) {
		if (!(f & PF_DIFF_OLD) && (f & PF_REPLACED))
			return HP_STREAM_OVERLAP_REPLACED;
		return HP_STREAM_OVERLAP_DIFFERENT;
	}
	if (f & PF_NEW)
		return HP_STREAM_NEW;
	if (f & PF_UNCHECKED)
		return HP_STREAM_DUP_UNCHECKED;
	if (f & PF_SAME)
		return HP_STREAM_DUP_SAME;
	return HP_STREAM_DUP_ACKED;
}

/* End of the bytes the receiver holds contiguously (its RCV.NXT as far as we know). */
static uint32_t
rcv_nxt(const struct hp_stream_dir *dir)
{
	const struct hp_stream_seg *n;
	uint32_t c = dir->next_seq;

	for (n = dir->ooo_head; n != NULL && n->seq == c; n = n->next)
		c = seg_end(n);
	return c;
}

/* Which RST ends the stream. Inline: only one whose seq is exactly the receiver's next byte
 * (what an RFC 5961 receiver accepts; others get a challenge ACK and the connection goes on, so
 * taking them would let later bytes through uninspected). Tap: any seq from next_seq to the
 * highest byte seen or acked (captures miss packets; older stacks accept in-window RSTs). */
static enum hp_stream_result
rst(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir, uint32_t seq)
{
	bool ok;

	if (!(dir->state & HP_STREAM_DIR_STARTED))
		ok = true;
	else if (env->cfg->inline_mode)
		ok = seq == seq_max(rcv_nxt(dir), dir->ack_seq);
	else
		ok = SEQ_GEQ(seq, dir->next_seq) &&
		     SEQ_LEQ(seq, seq_max(seq_max(dir->max_end, dir->ack_seq), dir->next_seq));
	if (!ok) {
		env->ctr->rst_ignored++;
		return HP_STREAM_OUT_OF_WINDOW;
	}
	env->ctr->rst++;
	dir_close(env, s, &s->dir[0], HP_STREAM_END_RST);
	dir_close(env, s, &s->dir[1], HP_STREAM_END_RST);
	return HP_STREAM_NEW;
}

static enum hp_stream_result
segment_slow(const struct hp_stream_env *env, struct hp_stream *s, struct hp_stream_dir *dir,
	     uint32_t seq, const uint8_t *data, uint32_t len, void *owner, unsigned int flags)
{
	const struct hp_stream_config *cfg = env->cfg;
	struct hp_stream_counters *ctr = env->ctr;
	uint32_t e0 = seq + len;
	bool fin_new = false, fin_same = false;
	struct plan p;
	enum room why;

	if (s->passed)
		return HP_STREAM_PASS;
	if (dir->state & HP_STREAM_DIR_CLOSED)
		return HP_STREAM_CLOSED;
	if (flags & HP_STREAM_SEG_RST)
		return rst(env, s, dir, seq);
	if (len == 0 && !(flags & HP_STREAM_SEG_FIN))
		return HP_STREAM_EMPTY;
	if (!(dir->state & HP_STREAM_DIR_STARTED)) {
		if (!cfg->midstream) {
			ctr->unsynced++;
			return HP_STREAM_OUT_OF_WINDOW;
		}
		dir_start(dir, seq);
		dir->midstream = 1;
		ctr->midstream++;
	}
	if (len > cfg->max_window || seq_diff(e0, dir->next_seq) > (int32_t)cfg->max_window ||
	    seq_diff(dir->next_seq, seq) > (int32_t)cfg->max_window)
		return HP_STREAM_OUT_OF_WINDOW;

	if (flags & HP_STREAM_SEG_FIN) {
		if (dir->state & HP_STREAM_DIR_FIN) {
			fin_same = e0 == dir->fin_seq;
		} else if (SEQ_GEQ(e0, dir->next_seq) && SEQ_GEQ(e0, dir->max_end)) {
			fin_new = true;
		}
		if (!fin_new && !fin_same) {
			/* a FIN before bytes already seen, or a second FIN elsewhere */
			ctr->fin_ignored++;
			if (cfg->inline_mode)
				return HP_STREAM_OUT_OF_WINDOW;
		}
	}
	p.s = seq;
	p.e = e0;
	p.data = data;
	if ((dir->state & HP_STREAM_DIR_FIN) && SEQ_GT(p.e, dir->fin_seq)) {
		/* nothing exists beyond the FIN */
		if (SEQ_LEQ(dir->fin_seq, p.s))
			return HP_STREAM_OUT_OF_WINDOW;
		p.e = dir->fin_seq;
	}

	for (;;) {
		plan_make(env, dir, &p);
		if (cfg->inline_mode &&
		    ((p.f & PF_DIFF_OLD) || ((p.f & PF_DIFF_PEND) && !(p.f & PF_REPLACED))))
			return HP_STREAM_OVERLAP_DIFFERENT; /* nothing taken: the caller drops it */
		/* inline: bytes the receiver has not acknowledged and no copy can be compared
		 * with (not kept: a limit, or retain off) may differ from what the parser saw,
		 * and the receiver may never have had the first copy: nothing taken, the caller
		 * drops it; once the receiver ACKs them they are old to it and pass */
		if (cfg->inline_mode && (p.f & PF_UNCHECKED))
			return HP_STREAM_DUP_UNCHECKED;
		why = room_check(env, s, dir, &p);
		if (why == ROOM_OK)
			break;
		if (why != ROOM_OOO && evict_retained(env, s))
			continue;
		if (cfg->policy == HP_STREAM_POLICY_LAST && force_held(env, s, dir))
			continue;
		return limit_hit(env, s, dir, why, p.e);
	}

	if (p.direct) {
		apply_direct(env, s, dir, &p, owner);
	} else {
		if (p.f & PF_REPLACED)
			apply_cut(env, s, dir, &p);
		if (apply_fill(env, s, dir, &p, owner) > 0)
			ctr->queued++;
	}
	if (SEQ_GT(p.e, dir->max_end))
		dir->max_end = p.e;
	if (fin_new) {
		dir->fin_seq = e0;
		dir->state |= HP_STREAM_DIR_FIN;
		ctr->fin++;
	}
	advance(env, s, dir);
	if (p.f == 0) /* no payload: a FIN alone */
		return fin_new    ? HP_STREAM_NEW
		       : fin_same ? HP_STREAM_DUP_SAME
				  : HP_STREAM_OUT_OF_WINDOW;
	return result_of(p.f);
}

enum hp_stream_result
hp_stream_segment(const struct hp_stream_env *env, struct hp_stream *s, unsigned int d,
		  uint32_t seq, const uint8_t *data, uint32_t len, void *owner, unsigned int flags)
{
	const struct hp_stream_config *cfg = env->cfg;
	struct hp_stream_counters *ctr = env->ctr;
	struct hp_stream_dir *dir = &s->dir[d & 1];
	enum hp_stream_result r;

	ctr->segments++;
	ctr->bytes += len;
	/* Fast path: "first", in order, nothing queued, no flag, the direction open. */
	if (likely(seq == dir->next_seq && dir->ooo_head == NULL &&
		   dir->state == HP_STREAM_DIR_STARTED && flags == 0 && len - 1 < cfg->max_window &&
		   cfg->policy == HP_STREAM_POLICY_FIRST)) {
		env->deliver(dir->ctx, data, len);
		dir->next_seq = seq + len;
		if (SEQ_GT(dir->next_seq, dir->max_end))
			dir->max_end = dir->next_seq;
		ctr->fast_path++;
		ctr->delivered_bytes += len;
		ctr->results[HP_STREAM_NEW]++;
		if (cfg->retain)
			retain_direct(env, s, dir, seq, data, len, owner);
		return HP_STREAM_NEW;
	}
	r = segment_slow(env, s, dir, seq, data, len, owner, flags);
	ctr->results[r]++;
	return r;
}

int
hp_stream_ack(const struct hp_stream_env *env, struct hp_stream *s, unsigned int d, uint32_t ack)
{
	struct hp_stream_dir *dir = &s->dir[d & 1];

	if (s->passed || !(dir->state & HP_STREAM_DIR_STARTED) ||
	    (dir->state & HP_STREAM_DIR_CLOSED))
		return -ENOTCONN;
	if (!SEQ_GT(ack, dir->ack_seq))
		return 0;
	if (seq_diff(ack, dir->next_seq) > (int32_t)env->cfg->max_window) {
		env->ctr->ack_invalid++;
		return -ERANGE;
	}
	dir->ack_seq = ack;
	advance(env, s, dir);
	release_acked(env, s, dir);
	return 0;
}
