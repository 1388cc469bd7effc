/* SPDX-License-Identifier: BSD-3-Clause
 * Per-worker TCP flow table and timer wheel (see dp_flow.h for the contract).
 *
 * Timer wheel: WHEEL_SLOTS slots of TICK_MS each. A flow sits in the slot of its deadline
 * (last packet + the timeout of its state), or of the wheel's horizon when the deadline is
 * further. Packets only refresh last_tsc (no relinking per packet); when a slot comes due its
 * flows are checked: expired ones are removed, the others re-inserted at their real deadline.
 * A state change that shortens the timeout (to closed) relinks the flow at once.
 *
 * Class lists (eviction order, dp_flow.h): doubly linked FIFO lists of flow indexes, one per
 * class. A flow moves to the tail of a list only when its class changes (a handful of times
 * per request, never per packet), so a list's head is the flow that entered it first.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>

#include "dp_types.h"
#include "dp_flow.h"
#include "dp_guard.h"

#define WHEEL_SLOTS 4096 /* power of 2 */
#define TICK_MS     100  /* horizon: 409.6 s */

/* Flows of one class looked at per eviction before the next class is tried (skipping pinned
 * ones): bounds the work of one eviction. */
#define EVICT_SCAN 32

struct hp_flow_table {
	struct rte_hash *hash;
	struct hp_flow *flows; /* indexed by rte_hash key position */
	uint32_t n_flows;      /* array size */
	uint32_t count;        /* flows tracked */
	bool midstream;
	bool refuse_midstream; /* bridge, dataplane.guard.midstream: refuse */
	const struct hp_guard *guard;
	hp_flow_end_fn end; /* the owner, told when a flow ends */
	uint32_t gen;       /* burst generation: flows with pin == gen are in use */
	uint32_t cls_head[HP_FLOW_CLS__MAX];
	uint32_t cls_tail[HP_FLOW_CLS__MAX];
	uint64_t tick_tsc;
	uint64_t timeout_tsc[HP_TCP_CLOSED + 1];
	uint64_t cursor; /* next tick to process */
	uint32_t head[WHEEL_SLOTS];
};

static const char *const state_names[] = {
	[HP_TCP_SYN_SENT] = "syn_sent",       [HP_TCP_SYN_RECV] = "syn_recv",
	[HP_TCP_ESTABLISHED] = "established", [HP_TCP_FIN_WAIT] = "fin_wait",
	[HP_TCP_CLOSED] = "closed",
};

const char *
hp_tcp_state_name(enum hp_tcp_state s)
{
	return (unsigned int)s <= HP_TCP_CLOSED ? state_names[s] : "unknown";
}

void
hp_flow_set_timeouts(struct hp_worker *w, const struct hp_flows_config *cfg)
{
	struct hp_flow_table *t = w->flows;
	uint64_t hz = rte_get_tsc_hz();

	t->timeout_tsc[HP_TCP_SYN_SENT] = hz * cfg->timeout_syn_s;
	t->timeout_tsc[HP_TCP_SYN_RECV] = hz * cfg->timeout_syn_s;
	t->timeout_tsc[HP_TCP_ESTABLISHED] = hz * cfg->timeout_established_s;
	t->timeout_tsc[HP_TCP_FIN_WAIT] = hz * cfg->timeout_established_s;
	t->timeout_tsc[HP_TCP_CLOSED] = hz * cfg->timeout_closed_s;
}

/* Tell the owner that f ends. */
static inline void
flow_end(struct hp_worker *w, struct hp_flow *f, enum hp_flow_end why)
{
	if (w->flows->end != NULL)
		w->flows->end(w, f, why);
}

int
hp_flow_table_create(struct hp_worker *w, const struct hp_flow_table_params *params)
{
	const struct hp_flows_config *cfg = params->cfg;
	struct hp_flow_table *t;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = name,
		.entries = cfg->max,
		.key_len = sizeof(struct hp_flow_key),
		.hash_func = rte_hash_crc,
		.socket_id = w->socket,
		/* extendable buckets: capacity is exactly `entries`, whatever the collisions */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	uint64_t hz = rte_get_tsc_hz();

	t = rte_zmalloc_socket("hp_flow_table", sizeof(*t), RTE_CACHE_LINE_SIZE, w->socket);
	if (t == NULL)
		return -ENOMEM;
	snprintf(name, sizeof(name), "hp_flows_%u", w->id);
	t->hash = rte_hash_create(&p);
	if (t->hash == NULL)
		goto fail;
	t->n_flows = (uint32_t)rte_hash_max_key_id(t->hash) + 1;
	t->flows = rte_zmalloc_socket("hp_flows", (size_t)t->n_flows * sizeof(struct hp_flow),
				      RTE_CACHE_LINE_SIZE, w->socket);
	if (t->flows == NULL)
		goto fail;
	t->midstream = cfg->midstream;
	t->refuse_midstream = params->refuse_midstream;
	t->guard = params->guard;
	t->end = params->end;
	for (unsigned int c = 0; c < HP_FLOW_CLS__MAX; c++)
		t->cls_head[c] = t->cls_tail[c] = HP_FLOW_NONE;
	t->gen = 1;
	t->tick_tsc = hz / 1000 * TICK_MS;
	w->flows = t;
	hp_flow_set_timeouts(w, cfg);
	t->cursor = rte_rdtsc() / t->tick_tsc;
	for (unsigned int i = 0; i < WHEEL_SLOTS; i++)
		t->head[i] = HP_FLOW_NONE;
	w->flows = t;
	return 0;
fail:
	rte_hash_free(t->hash);
	rte_free(t);
	return -ENOMEM;
}

void
hp_flow_table_destroy(struct hp_worker *w)
{
	struct hp_flow_table *t = w->flows;

	if (t == NULL)
		return;
	rte_hash_free(t->hash);
	rte_free(t->flows);
	rte_free(t);
	w->flows = NULL;
}

uint32_t
hp_flow_count(const struct hp_worker *w)
{
	return w->flows ? w->flows->count : 0;
}

static inline void
wheel_unlink(struct hp_flow_table *t, uint32_t idx)
{
	struct hp_flow *f = &t->flows[idx];

	if (f->wheel_prev != HP_FLOW_NONE)
		t->flows[f->wheel_prev].wheel_next = f->wheel_next;
	else
		t->head[f->wheel_slot] = f->wheel_next;
	if (f->wheel_next != HP_FLOW_NONE)
		t->flows[f->wheel_next].wheel_prev = f->wheel_prev;
}

/* Insert at the slot of its deadline, clamped to (cursor, cursor + horizon). */
static inline void
wheel_link(struct hp_flow_table *t, uint32_t idx)
{
	struct hp_flow *f = &t->flows[idx];
	uint64_t tick = (f->last_tsc + t->timeout_tsc[f->state]) / t->tick_tsc;
	uint32_t slot;

	if (tick <= t->cursor)
		tick = t->cursor + 1;
	if (tick >= t->cursor + WHEEL_SLOTS)
		tick = t->cursor + WHEEL_SLOTS - 1;
	slot = tick & (WHEEL_SLOTS - 1);
	f->wheel_slot = slot;
	f->wheel_prev = HP_FLOW_NONE;
	f->wheel_next = t->head[slot];
	if (f->wheel_next != HP_FLOW_NONE)
		t->flows[f->wheel_next].wheel_prev = idx;
	t->head[slot] = idx;
}

static inline void
cls_unlink(struct hp_flow_table *t, uint32_t idx)
{
	struct hp_flow *f = &t->flows[idx];

	if (f->cls_prev != HP_FLOW_NONE)
		t->flows[f->cls_prev].cls_next = f->cls_next;
	else
		t->cls_head[f->cls] = f->cls_next;
	if (f->cls_next != HP_FLOW_NONE)
		t->flows[f->cls_next].cls_prev = f->cls_prev;
	else
		t->cls_tail[f->cls] = f->cls_prev;
}

static inline void
cls_link(struct hp_flow_table *t, uint32_t idx, enum hp_flow_class cls)
{
	struct hp_flow *f = &t->flows[idx];

	f->cls = (uint8_t)cls;
	f->cls_next = HP_FLOW_NONE;
	f->cls_prev = t->cls_tail[cls];
	if (f->cls_prev != HP_FLOW_NONE)
		t->flows[f->cls_prev].cls_next = idx;
	else
		t->cls_head[cls] = idx;
	t->cls_tail[cls] = idx;
}

static inline uint32_t
flow_idx(const struct hp_flow_table *t, const struct hp_flow *f)
{
	return (uint32_t)(f - t->flows);
}

void
hp_flow_set_class(struct hp_worker *w, struct hp_flow *f, enum hp_flow_class cls)
{
	struct hp_flow_table *t = w->flows;
	uint32_t idx = flow_idx(t, f);

	if (f->cls == cls)
		return;
	cls_unlink(t, idx);
	cls_link(t, idx, cls);
}

bool
hp_flow_pinned(const struct hp_worker *w, const struct hp_flow *f)
{
	return f->pin == w->flows->gen;
}

struct hp_flow *
hp_flow_session_victim(struct hp_worker *w, enum hp_flow_class cls,
		       bool (*ok)(const struct hp_session *s), unsigned int budget)
{
	struct hp_flow_table *t = w->flows;

	for (uint32_t idx = t->cls_head[cls]; idx != HP_FLOW_NONE && budget > 0;
	     idx = t->flows[idx].cls_next, budget--) {
		struct hp_flow *f = &t->flows[idx];

		if (f->session != NULL && f->pin != t->gen && ok(f->session))
			return f;
	}
	return NULL;
}

/* Remove a flow; evicted: its session's request in progress is refused (session_evicted). */
static void
flow_remove(struct hp_worker *w, uint32_t idx, bool evicted)
{
	struct hp_flow_table *t = w->flows;

	flow_end(w, &t->flows[idx], evicted ? HP_FLOW_END_EVICTED : HP_FLOW_END_EXPIRED);
	wheel_unlink(t, idx);
	cls_unlink(t, idx);
	rte_hash_del_key(t->hash, &t->flows[idx].key);
	t->count--;
}

/* Table full: evict the oldest flow of the cheapest class (closed, half-open, idle, active)
 * that the burst being processed does not use. False: every flow looked at is pinned. */
static bool
evict_one(struct hp_worker *w)
{
	struct hp_flow_table *t = w->flows;

	for (unsigned int c = 0; c < HP_FLOW_CLS__MAX; c++) {
		unsigned int budget = EVICT_SCAN;

		for (uint32_t idx = t->cls_head[c]; idx != HP_FLOW_NONE && budget > 0;
		     idx = t->flows[idx].cls_next, budget--) {
			if (t->flows[idx].pin == t->gen)
				continue;
			if (c == HP_FLOW_CLS_ACTIVE)
				w->ctr.c[HP_CTR_FLOWS_EVICTED_ACTIVE]++;
			flow_remove(w, idx, true);
			w->ctr.c[HP_CTR_FLOWS_EVICTED]++;
			return true;
		}
	}
	return false;
}

static inline void
make_key(struct hp_flow_key *k, const uint8_t *data, const struct hp_pkt *pkt, uint8_t *sender)
{
	const uint8_t *l3 = data + pkt->l3_off;
	const uint8_t *a, *b;
	size_t alen;
	int cmp;

	memset(k, 0, sizeof(*k));
	if (pkt->l3 == HP_L3_IPV4) {
		a = l3 + 12;
		b = l3 + 16;
		alen = 4;
		k->family = 4;
	} else {
		a = l3 + 8;
		b = l3 + 24;
		alen = 16;
		k->family = 6;
	}
	k->proto = pkt->l4_proto;
	if (alen == 4) {
		uint32_t va, vb;

		memcpy(&va, a, 4);
		memcpy(&vb, b, 4);
		va = rte_be_to_cpu_32(va);
		vb = rte_be_to_cpu_32(vb);
		cmp = va < vb ? -1 : va > vb;
	} else {
		cmp = memcmp(a, b, alen);
	}
	if (cmp < 0 || (cmp == 0 && pkt->sport <= pkt->dport)) {
		memcpy(k->addr[0], a, alen);
		memcpy(k->addr[1], b, alen);
		k->port[0] = pkt->sport;
		k->port[1] = pkt->dport;
		*sender = 0;
	} else {
		memcpy(k->addr[0], b, alen);
		memcpy(k->addr[1], a, alen);
		k->port[0] = pkt->dport;
		k->port[1] = pkt->sport;
		*sender = 1;
	}
}

/* Create the flow of a segment whose key was not found. */
static struct hp_flow *
flow_create(struct hp_worker *w, const struct hp_flow_key *key, hash_sig_t sig, uint8_t sender,
	    const struct hp_pkt *p, uint64_t now, int32_t *posp)
{
	struct hp_flow_table *t = w->flows;
	uint8_t flags = p->tcp_flags;
	bool syn = (flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) ==
		   RTE_TCP_SYN_FLAG;
	bool refuse = !syn && t->refuse_midstream;
	struct hp_flow *f;
	int32_t pos;

	if (!syn && ((flags & RTE_TCP_RST_FLAG) || (!refuse && !t->midstream))) {
		w->ctr.c[HP_CTR_FLOWS_UNTRACKED]++;
		return NULL;
	}
	pos = rte_hash_add_key_with_hash(t->hash, key, sig);
	if (pos == -ENOSPC && evict_one(w))
		pos = rte_hash_add_key_with_hash(t->hash, key, sig);
	if (pos < 0) {
		w->ctr.c[HP_CTR_FLOWS_UNTRACKED]++;
		return NULL;
	}
	f = &t->flows[pos];
	memset(f, 0, sizeof(*f));
	f->key = *key;
	f->pin = t->gen;
	if (syn) {
		f->client = sender;
		f->state = HP_TCP_SYN_SENT;
	} else {
		/* Midstream: the guarded port is the server's; the SYN-ACK's sender is the
		 * server */
		if ((flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
		    (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG))
			f->client = sender ^ 1;
		else
			f->client = hp_guard_sender_is_client(t->guard, p->sport, p->dport)
					    ? sender
					    : sender ^ 1;
		f->state = (flags & RTE_TCP_SYN_FLAG) ? HP_TCP_SYN_RECV : HP_TCP_ESTABLISHED;
		f->midstream = 1;
		w->ctr.c[HP_CTR_FLOWS_MIDSTREAM]++;
	}
	f->last_tsc = now;
	if (refuse) { /* bridge: a connection hookpath did not see open is reset */
		f->state = HP_TCP_CLOSED;
		f->cut = HP_FLOW_CUT_RESET;
		w->ctr.c[HP_CTR_GUARD_MIDSTREAM_REFUSED]++;
	}
	cls_link(t, (uint32_t)pos, refuse ? HP_FLOW_CLS_CLOSED : HP_FLOW_CLS_HALF);
	wheel_link(t, (uint32_t)pos);
	t->count++;
	w->ctr.c[HP_CTR_FLOWS_CREATED]++;
	*posp = pos;
	return f;
}

/* State machine step for a segment of a known flow. */
static inline void
flow_update(struct hp_flow_table *t, struct hp_worker *w, struct hp_flow *f, int32_t pos,
	    uint8_t dir, uint8_t flags, uint64_t now)
{
	uint8_t old_state = f->state;

	if (flags & RTE_TCP_RST_FLAG) {
		f->state = HP_TCP_CLOSED;
	} else if ((flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG &&
		   dir == 0 && f->state >= HP_TCP_FIN_WAIT) {
		/* the tuple is reused by a new connection: the old one's HTTP session ends here
		 * (its last events are emitted), the new one gets its own on its first payload */
		flow_end(w, f, HP_FLOW_END_REUSED);
		f->state = HP_TCP_SYN_SENT;
		f->fin_seen = 0;
		f->midstream = 0;
		f->isn_set = 0;
		f->cut = HP_FLOW_CUT_NONE;
		f->answered = 0;
		f->client_reset = 0;
		f->rst_sent = 0;
		f->resume = 0;
		cls_unlink(t, (uint32_t)pos);
		cls_link(t, (uint32_t)pos, HP_FLOW_CLS_HALF);
		w->ctr.c[HP_CTR_FLOWS_REUSED]++;
	} else if ((flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
		   (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) {
		if (dir == 1 && f->state == HP_TCP_SYN_SENT)
			f->state = HP_TCP_SYN_RECV;
	} else if ((flags & RTE_TCP_ACK_FLAG) && dir == 0 && f->state == HP_TCP_SYN_RECV) {
		f->state = HP_TCP_ESTABLISHED;
	}
	if ((flags & RTE_TCP_FIN_FLAG) && f->state != HP_TCP_CLOSED) {
		f->fin_seen |= 1u << dir;
		f->state = f->fin_seen == 3 ? HP_TCP_CLOSED : HP_TCP_FIN_WAIT;
	}
	f->last_tsc = now;
	if (f->state == HP_TCP_CLOSED && old_state != HP_TCP_CLOSED) {
		/* shorter timeout: relink now rather than at the old deadline */
		wheel_unlink(t, (uint32_t)pos);
		wheel_link(t, (uint32_t)pos);
		cls_unlink(t, (uint32_t)pos);
		cls_link(t, (uint32_t)pos, HP_FLOW_CLS_CLOSED);
	}
}

void
hp_flow_cut(struct hp_worker *w, struct hp_flow *f, enum hp_flow_cut why)
{
	struct hp_flow_table *t = w->flows;
	uint32_t idx = flow_idx(t, f);

	if (f->cut == HP_FLOW_CUT_NONE)
		f->cut = (uint8_t)why;
	hp_flow_set_class(w, f, HP_FLOW_CLS_CLOSED);
	if (f->state == HP_TCP_CLOSED)
		return;
	f->state = HP_TCP_CLOSED;
	wheel_unlink(t, idx);
	wheel_link(t, idx);
}

void
hp_flow_track_burst(struct hp_worker *w, const uint8_t *const *data,
		    const struct hp_pkt *const *pkts, uint16_t n, uint64_t now, hp_flow_seg_fn seg,
		    void *arg)
{
	struct hp_flow_table *t = w->flows;
	struct hp_flow_key keys[HP_FLOW_BURST];
	const void *kp[HP_FLOW_BURST];
	int32_t pos[HP_FLOW_BURST];
	uint8_t sender[HP_FLOW_BURST];

	/* a new generation: what this burst references is pinned until the next one */
	if (unlikely(++t->gen == 0))
		t->gen = 1;
	for (uint16_t base = 0; base < n; base += HP_FLOW_BURST) {
		uint16_t m = RTE_MIN((uint16_t)(n - base), (uint16_t)HP_FLOW_BURST);

		for (uint16_t i = 0; i < m; i++) {
			make_key(&keys[i], data[base + i], pkts[base + i], &sender[i]);
			kp[i] = &keys[i];
		}
		/* bulk lookup: DPDK pipelines the bucket prefetches across the keys */
		rte_hash_lookup_bulk(t->hash, kp, m, pos);
		/* pinned before any creation below can evict: pos[] stays valid. The lines the
		 * loop below reads (last_tsc to bytes, up to three: entries are not line
		 * aligned) asked for now, while the earlier segments are handled */
		for (uint16_t i = 0; i < m; i++)
			if (pos[i] >= 0) {
				struct hp_flow *f = &t->flows[pos[i]];

				f->pin = t->gen;
				rte_prefetch0(&f->last_tsc);
				rte_prefetch0(&f->bytes[1]);
			}
		for (uint16_t i = 0; i < m; i++) {
			const struct hp_pkt *p = pkts[base + i];
			struct hp_flow_ref r, *ref = &r;
			uint8_t flags = p->tcp_flags;
			struct hp_flow *f;

			if (pos[i] < 0) {
				/* an earlier segment of this burst may have created it */
				hash_sig_t sig = rte_hash_hash(t->hash, &keys[i]);

				pos[i] = rte_hash_lookup_with_hash(t->hash, &keys[i], sig);
				if (pos[i] < 0) {
					f = flow_create(w, &keys[i], sig, sender[i], p, now,
							&pos[i]);
					if (f == NULL) {
						ref->flow = NULL;
						seg(w, base + i, ref, arg);
						continue;
					}
				} else {
					f = &t->flows[pos[i]];
					flow_update(t, w, f, pos[i], sender[i] == f->client ? 0 : 1,
						    flags, now);
				}
			} else {
				f = &t->flows[pos[i]];
				flow_update(t, w, f, pos[i], sender[i] == f->client ? 0 : 1, flags,
					    now);
			}
			ref->flow = f;
			ref->idx = (uint32_t)pos[i];
			ref->dir = sender[i] == f->client ? 0 : 1;
			f->packets[ref->dir]++;
			f->bytes[ref->dir] += p->payload_len;
			/* the segment is handled before the next one moves any flow on: what it
			 * sees (state, session) is what the connection was when it arrived */
			seg(w, base + i, ref, arg);
		}
	}
}

void
hp_flow_expire(struct hp_worker *w, uint64_t now, unsigned int budget)
{
	struct hp_flow_table *t = w->flows;
	uint64_t now_tick = now / t->tick_tsc;

	while (t->cursor <= now_tick && budget > 0) {
		uint32_t slot = t->cursor & (WHEEL_SLOTS - 1);
		uint32_t idx;

		while ((idx = t->head[slot]) != HP_FLOW_NONE && budget > 0) {
			struct hp_flow *f = &t->flows[idx];

			budget--;
			wheel_unlink(t, idx);
			if (now - f->last_tsc >= t->timeout_tsc[f->state]) {
				flow_end(w, f, HP_FLOW_END_EXPIRED);
				cls_unlink(t, idx);
				rte_hash_del_key(t->hash, &f->key);
				t->count--;
				w->ctr.c[HP_CTR_FLOWS_EXPIRED]++;
			} else {
				wheel_link(t, idx); /* not due yet: to its real deadline */
			}
		}
		if (t->head[slot] != HP_FLOW_NONE)
			return; /* budget spent; this slot goes on next pass */
		t->cursor++;
	}
}

void
hp_flow_release_all(struct hp_worker *w)
{
	struct hp_flow_table *t = w->flows;
	const void *key;
	void *data;
	uint32_t it = 0;
	int32_t pos;

	if (t == NULL)
		return;
	while ((pos = rte_hash_iterate(t->hash, &key, &data, &it)) >= 0)
		flow_end(w, &t->flows[pos], HP_FLOW_END_EXIT);
}

int
hp_flow_remove_all(struct hp_worker *w)
{
	struct hp_flow_table *t = w->flows;
	const void *key;
	void *data;
	uint32_t it = 0, n = 0, *idx;
	int32_t pos;

	if (t == NULL || t->count == 0)
		return 0;
	/* positions first: a deletion may move a key of an extendable bucket under the
	 * iterator */
	idx = rte_malloc("hp_flow_remove_all", t->count * sizeof(*idx), 0);
	if (idx == NULL)
		return -ENOMEM;
	while ((pos = rte_hash_iterate(t->hash, &key, &data, &it)) >= 0 && n < t->count)
		idx[n++] = (uint32_t)pos;
	for (uint32_t i = 0; i < n; i++) {
		flow_end(w, &t->flows[idx[i]], HP_FLOW_END_EXIT);
		wheel_unlink(t, idx[i]);
		cls_unlink(t, idx[i]);
		rte_hash_del_key(t->hash, &t->flows[idx[i]].key);
		t->count--;
	}
	rte_free(idx);
	return 0;
}

void
hp_flow_foreach(struct hp_worker *w, void (*fn)(const struct hp_flow *f, void *arg), void *arg)
{
	struct hp_flow_table *t = w->flows;
	const void *key;
	void *data;
	uint32_t it = 0;
	int32_t pos;

	if (t == NULL)
		return;
	while ((pos = rte_hash_iterate(t->hash, &key, &data, &it)) >= 0)
		fn(&t->flows[pos], arg);
}
