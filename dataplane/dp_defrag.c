/* SPDX-License-Identifier: BSD-3-Clause
 * IPv4/IPv6 reassembly (contract in dp_defrag.h; the operator's view in docs/DEFRAG.md).
 *
 * Per worker, all of it allocated by hp_defrag_create on the worker's socket:
 *   - an rte_hash from the datagram key to a record position, 2 * max_flows positions: up to
 *     max_flows datagrams in reassembly (state HELD) and up to max_flows pass-through records
 *     of unguarded or given-up datagrams (state PASS), so neither kind can crowd out the other;
 *   - the records (struct dg), indexed by hash position, each on one of two FIFO lists: `held`
 *     in creation order (eviction for max_flows / max_held and expiry take its head) and
 *     `pass` in the order the records became pass-through (expiry);
 *   - max_held fragment nodes (struct frag) on a free stack; a record chains its nodes twice:
 *     by offset (overlap checks, the copy; in-order and reverse-order arrival are O(1), any
 *     other order walks at most max_fragments nodes) and by arrival (release in arrival order);
 *   - per-source counts of HELD records in a count-min sketch: two rows of counters, each
 *     indexed by its own seeded hash (jhash: the seed changes which sources collide) of the
 *     source address; a source is over its limit when
 *     both its counters are. A flooding source saturates its two counters only, so another
 *     source is refused only if it collides with it in both rows (1 / rows^2, not 1 / rows).
 * Work per call is bounded: one hash lookup, at most max_fragments nodes walked, at most the
 * fragments of the datagrams evicted or given up freed; expiry handles at most
 * HP_DEFRAG_EXPIRE_BUDGET records per call.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_jhash.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_random.h>

#include "dp_types.h"
#include "dp_defrag.h"
#include "dp_tx.h"

/* Records looked at per hp_defrag_expire call (each frees or releases its fragments). */
#define HP_DEFRAG_EXPIRE_BUDGET 256

#define NIL            UINT32_MAX
#define IP_MAXPACKET   65535
#define IPV4_MF        0x2000
#define IPV4_OFF_MASK  0x1fff
#define IPV6_FRAG_M    0x0001
#define IPV6_OFF_MASK  0xfff8
#define IPV6_HDR_LEN   40
#define FRAG_HDR_LEN   8
#define PROTO_AH       51
#define PROTO_FRAGMENT 44
/* Segments of one reassembled chain: 65535 + L2 over mbufs of >= 1 KiB of data room. */
#define BUILD_MAX_SEGS 72
/* Fragments hp_defrag_forward may make of one datagram: 65535 bytes in 8-byte pieces. */
#define FWD_MAX_FRAGS (IP_MAXPACKET / 8 + 1)

struct dg_key {
	uint8_t src[16]; /* IPv4: 4 bytes used, the rest zero */
	uint8_t dst[16];
	uint32_t id;    /* IPv4 identification (16 bits) or IPv6 fragment id, network order */
	uint8_t proto;  /* IPv4 protocol; IPv6: 0 (not part of its key) */
	uint8_t family; /* 4 or 6 */
	uint8_t pad[2];
};

/* A held fragment. */
struct frag {
	struct rte_mbuf *m;
	uint32_t next;     /* offset order */
	uint32_t anext;    /* arrival order */
	uint16_t off;      /* payload offset in the datagram, bytes */
	uint16_t len;      /* payload bytes */
	uint16_t data_off; /* where the payload starts in m */
	uint8_t last;      /* MF clear */
};

enum dg_state { DG_FREE = 0, DG_HELD, DG_PASS };

/* A datagram: in reassembly (HELD) or passed through (PASS: no fragments). */
struct dg {
	struct dg_key key;
	hash_sig_t sig;
	uint32_t prev, next;   /* list links (held or pass list) */
	uint64_t stamp;        /* TSC of creation (HELD) or of becoming PASS */
	uint32_t head, tail;   /* fragments by offset */
	uint32_t ahead, atail; /* fragments by arrival */
	uint32_t src_slot[2];
	uint32_t bytes;    /* payload bytes held */
	uint32_t end;      /* payload end given by the last fragment; 0: not seen */
	uint32_t max_end;  /* highest end held */
	uint16_t n;        /* fragments held */
	uint16_t max_frag; /* largest fragment seen, IP length */
	uint16_t l2_len;   /* from the offset-0 fragment */
	uint16_t hdr_len;  /* IPv4: IHL bytes; IPv6: 40 + unfragmentable extension headers */
	uint8_t state;
	uint8_t first_seen;
};

struct dg_list {
	uint32_t head, tail, n;
};

struct hp_defrag {
	struct rte_hash *h;
	struct dg *dg; /* by hash position */
	uint32_t n_pos;
	struct dg_list held, pass;
	struct frag *frags;
	uint32_t *free_frags; /* stack of free node indices */
	uint32_t n_free;
	uint32_t *src_cnt;
	uint32_t src_mask;
	uint32_t src_seed[2];
	uint32_t max_flows, max_fragments, max_per_source, max_held;
	uint64_t timeout_tsc;
	bool fail_pass;        /* on_fail pass and bridge: give up by releasing */
	struct rte_mbuf **fwd; /* FWD_MAX_FRAGS: hp_defrag_forward's fragments before tx */
};

/* What hp_defrag_forward needs, carried by the reassembled mbuf (dynfield "hp_frag_info"),
 * next to the largest original fragment ("hp_frag_size", 2 bytes). */
struct frag_info {
	uint32_t id6;     /* IPv6 fragment id, network order */
	uint16_t hdr_len; /* IPv4 IHL bytes; IPv6 40 + unfragmentable extension headers */
	uint16_t nh_pos;  /* IPv6: offset from the IP header of the Next Header byte that named
			   * the fragment header */
	uint8_t l2_len;
	uint8_t family; /* 4 or 6; 0: not a reassembled datagram */
};

static int frag_size_off = -1;
static int frag_info_off = -1;

/* One fragment as parsed. */
struct frag_in {
	uint32_t off, len, data_off;
	uint16_t ip_len;
	uint16_t hdr_extra; /* IPv4: IHL (offset 0) or 20 (the least); IPv6: unfragmentable ext */
	uint16_t hdr_len;   /* IPv4: IHL; IPv6: 40 + unfragmentable ext */
	bool last;
	bool atomic;
};

/* The worker's reassembler. */
static inline struct hp_defrag *
dfg(const struct hp_worker *w)
{
	return w->defrag_st;
}

static inline void
dfg_set(struct hp_worker *w, struct hp_defrag *d)
{
	w->defrag_st = d;
}

static inline uint16_t
ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
st16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- lists, nodes, records ---- */

static inline void
list_push(struct hp_defrag *d, struct dg_list *l, uint32_t i)
{
	struct dg *e = &d->dg[i];

	e->prev = l->tail;
	e->next = NIL;
	if (l->tail != NIL)
		d->dg[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
	l->n++;
}

static inline void
list_unlink(struct hp_defrag *d, struct dg_list *l, uint32_t i)
{
	struct dg *e = &d->dg[i];

	if (e->prev != NIL)
		d->dg[e->prev].next = e->next;
	else
		l->head = e->next;
	if (e->next != NIL)
		d->dg[e->next].prev = e->prev;
	else
		l->tail = e->prev;
	l->n--;
}

static inline uint32_t
node_get(struct hp_defrag *d)
{
	return d->free_frags[--d->n_free];
}

static inline void
node_put(struct hp_defrag *d, uint32_t i)
{
	d->frags[i].m = NULL;
	d->free_frags[d->n_free++] = i;
}

/* The two counters of k's source: one in each half of src_cnt. */
static inline void
src_slots(const struct hp_defrag *d, const struct dg_key *k, uint32_t slot[2])
{
	uint32_t half = (d->src_mask + 1) / 2;

	/* jhash, not CRC-32C: a CRC's seed only XORs a constant into the result, so which
	 * sources share a counter would not depend on it (an attacker could pick a source that
	 * collides with a victim's in both rows, whatever the seeds) */
	slot[0] = rte_jhash(k->src, sizeof(k->src), d->src_seed[0]) & (half - 1);
	slot[1] = half + (rte_jhash(k->src, sizeof(k->src), d->src_seed[1]) & (half - 1));
}

static inline void
src_add(struct hp_defrag *d, const uint32_t slot[2], int32_t v)
{
	d->src_cnt[slot[0]] += (uint32_t)v;
	d->src_cnt[slot[1]] += (uint32_t)v;
}

/* Incomplete datagrams of this source (an upper bound: the smaller of its two counters). */
static inline uint32_t
src_count(const struct hp_defrag *d, const struct dg_key *k)
{
	uint32_t slot[2];

	src_slots(d, k, slot);
	return RTE_MIN(d->src_cnt[slot[0]], d->src_cnt[slot[1]]);
}

/* Remove record i entirely (its fragments must be gone). */
static void
dg_remove(struct hp_defrag *d, uint32_t i)
{
	struct dg *e = &d->dg[i];

	rte_hash_del_key_with_hash(d->h, &e->key, e->sig);
	if (e->state == DG_HELD) {
		list_unlink(d, &d->held, i);
		src_add(d, e->src_slot, -1);
	} else {
		list_unlink(d, &d->pass, i);
	}
	e->state = DG_FREE;
}

/* New record for key in state st; the caller made room on its list. */
static int32_t
dg_new(struct hp_defrag *d, const struct dg_key *k, hash_sig_t sig, uint64_t now, uint8_t st)
{
	int32_t pos = rte_hash_add_key_with_hash(d->h, k, sig);
	struct dg *e;

	if (unlikely(pos < 0 || (uint32_t)pos >= d->n_pos)) {
		if (pos >= 0)
			rte_hash_del_key_with_hash(d->h, k, sig);
		return -1;
	}
	e = &d->dg[pos];
	e->key = *k;
	e->sig = sig;
	e->stamp = now;
	e->head = e->tail = e->ahead = e->atail = NIL;
	e->bytes = e->end = e->max_end = 0;
	e->n = 0;
	e->max_frag = 0;
	e->l2_len = e->hdr_len = 0;
	e->first_seen = 0;
	e->state = st;
	if (st == DG_HELD) {
		src_slots(d, k, e->src_slot);
		src_add(d, e->src_slot, 1);
		list_push(d, &d->held, (uint32_t)pos);
	} else {
		list_push(d, &d->pass, (uint32_t)pos);
	}
	return pos;
}

/* Make room for one more pass-through record: the oldest goes (its later fragments, if any,
 * will start a datagram of their own). */
static void
pass_room(struct hp_worker *w, struct hp_defrag *d)
{
	if (d->pass.n >= d->max_flows) {
		dg_remove(d, d->pass.head);
		w->ctr.c[HP_CTR_DEFRAG_EVICTED]++;
	}
}

/* HELD record i (no fragments left) becomes pass-through from now on. */
static void
dg_to_pass(struct hp_worker *w, struct hp_defrag *d, uint32_t i, uint64_t now)
{
	struct dg *e = &d->dg[i];

	list_unlink(d, &d->held, i);
	src_add(d, e->src_slot, -1);
	pass_room(w, d);
	e->state = DG_PASS;
	e->stamp = now;
	list_push(d, &d->pass, i);
}

/* Forward (bridge, to the paired port) or free (tap) a fragment that is not held any more. */
static inline void
release(struct hp_worker *w, struct rte_mbuf *m)
{
	if (w->is_bridge) {
		uint16_t out = w->out_port[m->port];

		if (likely(out != HP_NO_PORT)) {
			hp_tx(w, out, m);
			return;
		}
	}
	rte_pktmbuf_free(m);
}

/* Release every held fragment of record i in arrival order (the datagram is not guarded). */
static void
release_all(struct hp_worker *w, struct hp_defrag *d, struct dg *e)
{
	uint32_t i, nx;

	for (i = e->ahead; i != NIL; i = nx) {
		nx = d->frags[i].anext;
		release(w, d->frags[i].m);
		node_put(d, i);
	}
	e->head = e->tail = e->ahead = e->atail = NIL;
	e->n = 0;
	e->bytes = 0;
}

/*
 * Give up HELD record i (the caller counted the reason). m: the fragment being processed, held
 * (one of i's nodes) or not, or NULL. Drop: every fragment of i and m are freed
 * (defrag_fragments_dropped), the record removed, DROPPED. on_fail pass (bridge): the held
 * fragments other than m are released in arrival order, m is left to the caller (FORWARD),
 * and the record becomes pass-through if keep (its later fragments are forwarded too), else
 * it is removed (defrag_fail_passed).
 */
static enum hp_defrag_res
dg_give_up(struct hp_worker *w, struct hp_defrag *d, uint32_t i, struct rte_mbuf *m, bool keep,
	   uint64_t now)
{
	struct dg *e = &d->dg[i];
	uint32_t j, nx;
	uint64_t freed = 0;

	for (j = e->ahead; j != NIL; j = nx) {
		struct frag *f = &d->frags[j];

		nx = f->anext;
		if (f->m != m) {
			if (d->fail_pass) {
				release(w, f->m);
			} else {
				rte_pktmbuf_free(f->m);
				freed++;
			}
		}
		node_put(d, j);
	}
	e->head = e->tail = e->ahead = e->atail = NIL;
	e->n = 0;
	e->bytes = 0;
	if (d->fail_pass) {
		w->ctr.c[HP_CTR_DEFRAG_FAIL_PASSED]++;
		if (keep)
			dg_to_pass(w, d, i, now);
		else
			dg_remove(d, i);
		return m != NULL ? HP_DEFRAG_FORWARD : HP_DEFRAG_DROPPED;
	}
	if (m != NULL) {
		rte_pktmbuf_free(m);
		freed++;
	}
	w->ctr.c[HP_CTR_DEFRAG_FRAGMENTS_DROPPED] += freed;
	dg_remove(d, i);
	return HP_DEFRAG_DROPPED;
}

/* A fragment refused before any record took it: freed, or forwarded with on_fail pass. */
static enum hp_defrag_res
refuse(struct hp_worker *w, struct hp_defrag *d, struct rte_mbuf *m, bool datagram)
{
	if (d->fail_pass) {
		if (datagram)
			w->ctr.c[HP_CTR_DEFRAG_FAIL_PASSED]++;
		return HP_DEFRAG_FORWARD;
	}
	if (datagram)
		w->ctr.c[HP_CTR_DEFRAG_FRAGMENTS_DROPPED]++;
	rte_pktmbuf_free(m);
	return HP_DEFRAG_DROPPED;
}

/* ---- parsing ---- */

/* Key and geometry of fragment m. 0, or -1: not a fragment this code can use. */
static int
parse(const struct rte_mbuf *m, const struct hp_pkt *pkt, struct frag_in *fi, struct dg_key *k)
{
	uint8_t buf[IPV6_HDR_LEN], fbuf[FRAG_HDR_LEN];
	uint32_t l3_end = (uint32_t)pkt->l3_off + pkt->l3_len;
	const uint8_t *ip, *fh;
	uint16_t fw;

	memset(k, 0, sizeof(*k));
	fi->ip_len = pkt->l3_len;
	if (pkt->l3 == HP_L3_IPV4) {
		ip = rte_pktmbuf_read(m, pkt->l3_off, 20, buf);
		if (unlikely(ip == NULL))
			return -1;
		fw = ld16(ip + 6);
		fi->off = (uint32_t)(fw & IPV4_OFF_MASK) * 8;
		fi->last = !(fw & IPV4_MF);
		fi->atomic = false;
		fi->hdr_len = pkt->l3_hdr_len;
		fi->hdr_extra = fi->off == 0 ? pkt->l3_hdr_len : 20;
		fi->data_off = (uint32_t)pkt->l3_off + pkt->l3_hdr_len;
		memcpy(k->src, ip + 12, 4);
		memcpy(k->dst, ip + 16, 4);
		memcpy(&k->id, ip + 4, 2);
		k->proto = ip[9];
		k->family = 4;
	} else if (pkt->l3 == HP_L3_IPV6 && pkt->frag_off >= pkt->l3_off + IPV6_HDR_LEN) {
		ip = rte_pktmbuf_read(m, pkt->l3_off, IPV6_HDR_LEN, buf);
		fh = rte_pktmbuf_read(m, pkt->frag_off, FRAG_HDR_LEN, fbuf);
		if (unlikely(ip == NULL || fh == NULL))
			return -1;
		fw = ld16(fh + 2);
		fi->off = fw & IPV6_OFF_MASK;
		fi->last = !(fw & IPV6_FRAG_M);
		fi->atomic = fi->off == 0 && fi->last;
		fi->hdr_len = (uint16_t)(pkt->frag_off - pkt->l3_off);
		fi->hdr_extra = (uint16_t)(fi->hdr_len - IPV6_HDR_LEN);
		fi->data_off = (uint32_t)pkt->frag_off + FRAG_HDR_LEN;
		memcpy(k->src, ip + 8, 16);
		memcpy(k->dst, ip + 24, 16);
		memcpy(&k->id, fh + 4, 4);
		k->family = 6;
	} else {
		return -1;
	}
	if (unlikely(fi->data_off > l3_end || fi->data_off > UINT16_MAX))
		return -1;
	fi->len = l3_end - fi->data_off;
	if (unlikely(fi->off + fi->len > IP_MAXPACKET || (!fi->last && (fi->len & 7) != 0)))
		return -1;
	return 0;
}

/* The offset-0 fragment decides: TCP to or from a guarded port, or TCP with fewer than 4 bytes
 * of its header here (ports unknown until reassembly), is guarded. */
static bool
first_guarded(const struct rte_mbuf *m, const struct hp_pkt *pkt)
{
	uint8_t buf[4];
	const uint8_t *p;

	if (pkt->l4_proto != IPPROTO_TCP)
		return false;
	if ((uint32_t)pkt->l4_off + 4 > (uint32_t)pkt->l3_off + pkt->l3_len)
		return true;
	p = rte_pktmbuf_read(m, pkt->l4_off, 4, buf);
	if (unlikely(p == NULL))
		return true;
	return hp_guard_tcp(&hp_dp.guard, ld16(p), ld16(p + 2));
}

/* ---- building the reassembled datagram ---- */

struct wr {
	struct rte_mbuf *seg;
	uint32_t pos;
};

static inline void
wr_put(struct wr *wr, const uint8_t *src, uint32_t n)
{
	while (n != 0) {
		uint32_t c = wr->seg->data_len - wr->pos;

		if (c == 0) {
			wr->seg = wr->seg->next;
			wr->pos = 0;
			continue;
		}
		if (c > n)
			c = n;
		memcpy(rte_pktmbuf_mtod_offset(wr->seg, uint8_t *, wr->pos), src, c);
		wr->pos += c;
		src += c;
		n -= c;
	}
}

/* Copy n bytes of (possibly chained) m from off. */
static inline void
wr_put_mbuf(struct wr *wr, const struct rte_mbuf *m, uint32_t off, uint32_t n)
{
	while (off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	while (n != 0) {
		uint32_t c = RTE_MIN((uint32_t)m->data_len - off, n);

		wr_put(wr, rte_pktmbuf_mtod_offset(m, const uint8_t *, off), c);
		n -= c;
		off = 0;
		m = m->next;
	}
}

/* Allocate a chain of len bytes from pool (head first). NULL: no mbuf. */
static struct rte_mbuf *
chain_alloc(struct rte_mempool *pool, uint32_t len, uint32_t room)
{
	struct rte_mbuf *segs[BUILD_MAX_SEGS];
	uint32_t n = (len + room - 1) / room;

	if (unlikely(n > BUILD_MAX_SEGS || rte_pktmbuf_alloc_bulk(pool, segs, n) != 0))
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		segs[i]->data_len = (uint16_t)RTE_MIN(room, len - i * room);
		segs[i]->next = i + 1 < n ? segs[i + 1] : NULL;
	}
	segs[0]->nb_segs = (uint16_t)n;
	segs[0]->pkt_len = len;
	return segs[0];
}

/*
 * One mbuf chain holding the datagram whose fragments are `head` (offset order, head at
 * offset 0; head->next == NIL for a single fragment): L2 and IP header of the offset-0
 * fragment, fixed for an unfragmented datagram, then the payload. NULL with *why set
 * (defrag_nombuf, or defrag_unsupported when the headers do not fit one segment).
 */
static struct rte_mbuf *
build(struct hp_worker *w, struct hp_defrag *d, const struct frag *head, uint32_t l2, uint32_t hl,
      uint8_t family, uint32_t total, uint16_t max_frag, enum hp_ctr *why)
{
	uint32_t room = rte_pktmbuf_data_room_size(w->pool) - RTE_PKTMBUF_HEADROOM;
	uint32_t len = l2 + hl + total;
	const struct rte_mbuf *fm = head->m;
	struct frag_info *info;
	struct rte_mbuf *r;
	struct wr wr;
	uint8_t *ip;

	if (unlikely(l2 + hl > room || l2 > UINT8_MAX)) {
		*why = HP_CTR_DEFRAG_UNSUPPORTED;
		return NULL;
	}
	r = chain_alloc(w->pool, len, room);
	if (unlikely(r == NULL)) {
		*why = HP_CTR_DEFRAG_NOMBUF;
		return NULL;
	}
	wr.seg = r;
	wr.pos = 0;
	wr_put_mbuf(&wr, fm, 0, l2 + hl);
	for (const struct frag *f = head;; f = &d->frags[f->next]) {
		wr_put_mbuf(&wr, f->m, f->data_off, f->len);
		if (f->next == NIL)
			break;
	}
	ip = rte_pktmbuf_mtod_offset(r, uint8_t *, l2);
	info = RTE_MBUF_DYNFIELD(r, frag_info_off, struct frag_info *);
	memset(info, 0, sizeof(*info));
	if (family == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		h->total_length = rte_cpu_to_be_16((uint16_t)(hl + total));
		h->fragment_offset = 0;
		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
	} else {
		uint8_t fbuf[FRAG_HDR_LEN];
		const uint8_t *fh = rte_pktmbuf_read(fm, l2 + hl, FRAG_HDR_LEN, fbuf);
		uint32_t cur = IPV6_HDR_LEN, nh_pos = 6;
		uint8_t nh = ip[6];

		/* the unfragmentable part: find the header whose Next Header names the fragment
		 * header (the decoder walked this chain already; re-checked, never trusted) */
		while (cur < hl) {
			uint32_t elen;

			if (cur + 8 > hl || nh == PROTO_FRAGMENT)
				break;
			elen = nh == PROTO_AH ? ((uint32_t)ip[cur + 1] + 2) * 4
					      : ((uint32_t)ip[cur + 1] + 1) * 8;
			nh_pos = cur;
			nh = ip[cur];
			cur += elen;
		}
		if (unlikely(cur != hl || nh != PROTO_FRAGMENT || fh == NULL)) {
			rte_pktmbuf_free(r);
			*why = HP_CTR_DEFRAG_UNSUPPORTED;
			return NULL;
		}
		ip[nh_pos] = fh[0];
		st16(ip + 4, hl - IPV6_HDR_LEN + total);
		memcpy(&info->id6, fh + 4, 4);
		info->nh_pos = (uint16_t)nh_pos;
	}
	info->hdr_len = (uint16_t)hl;
	info->l2_len = (uint8_t)l2;
	info->family = family;
	*RTE_MBUF_DYNFIELD(r, frag_size_off, uint16_t *) = max_frag;
	r->port = fm->port;
	return r;
}

/* Record i got its last byte: build, free its fragments, remove it. */
static enum hp_defrag_res
complete(struct hp_worker *w, struct hp_defrag *d, uint32_t i, struct rte_mbuf *m, uint64_t now,
	 struct rte_mbuf **out)
{
	struct dg *e = &d->dg[i];
	enum hp_ctr why = HP_CTR_DEFRAG_NOMBUF;
	struct rte_mbuf *r;
	uint32_t j, nx;

	r = build(w, d, &d->frags[e->head], e->l2_len, e->hdr_len, e->key.family, e->end,
		  e->max_frag, &why);
	if (unlikely(r == NULL)) {
		w->ctr.c[why]++;
		return dg_give_up(w, d, i, m, true, now);
	}
	for (j = e->head; j != NIL; j = nx) {
		nx = d->frags[j].next;
		rte_pktmbuf_free(d->frags[j].m);
		node_put(d, j);
	}
	e->head = e->tail = e->ahead = e->atail = NIL;
	e->n = 0;
	dg_remove(d, i);
	w->ctr.c[HP_CTR_DEFRAG_REASSEMBLED]++;
	*out = r;
	return HP_DEFRAG_COMPLETE;
}

/* An IPv6 atomic fragment (offset 0, M clear): a datagram by itself, never mixed with the
 * reassembly of others (RFC 6946). */
static enum hp_defrag_res
atomic(struct hp_worker *w, struct hp_defrag *d, struct rte_mbuf *m, const struct hp_pkt *pkt,
       const struct frag_in *fi, struct rte_mbuf **out)
{
	struct frag one = {.m = m,
			   .next = NIL,
			   .anext = NIL,
			   .off = 0,
			   .len = (uint16_t)fi->len,
			   .data_off = (uint16_t)fi->data_off,
			   .last = 1};
	enum hp_ctr why = HP_CTR_DEFRAG_NOMBUF;
	struct rte_mbuf *r;

	r = build(w, d, &one, pkt->l3_off, fi->hdr_len, 6, fi->len, fi->ip_len, &why);
	if (unlikely(r == NULL)) {
		w->ctr.c[why]++;
		return refuse(w, d, m, true);
	}
	rte_pktmbuf_free(m);
	w->ctr.c[HP_CTR_DEFRAG_REASSEMBLED]++;
	*out = r;
	return HP_DEFRAG_COMPLETE;
}

/* ---- the fast path ---- */

/*
 * One fragment, in this order: parse (key, offset, length); atomic IPv6 fragment: done;
 * lookup; pass-through record: FORWARD; an unguarded first fragment: release what is held,
 * pass-through from now on. New record: refuse what cannot start one (empty, too big, source
 * over its limit), make room (max_flows: the oldest in reassembly goes). Then against what
 * the datagram holds: too big, total length disagreements, exact duplicate (dropped alone) or
 * overlap, max_fragments, room for one more mbuf (max_held: the oldest datagrams go); insert
 * in offset and arrival order; complete: build, free the fragments.
 */
enum hp_defrag_res
hp_defrag_packet(struct hp_worker *w, struct rte_mbuf *m, const struct hp_pkt *pkt, uint64_t now,
		 struct rte_mbuf **out)
{
	struct hp_defrag *d = dfg(w);
	struct frag_in fi;
	struct dg_key key;
	hash_sig_t sig;
	struct dg *e;
	struct frag *f;
	uint32_t i, end, hdr, lim_end, prev, cur, node;
	bool pass_first;
	int32_t pos;

	w->ctr.c[HP_CTR_DEFRAG_FRAGMENTS]++;
	if (unlikely(parse(m, pkt, &fi, &key) != 0)) {
		w->ctr.c[HP_CTR_DEFRAG_UNSUPPORTED]++;
		rte_pktmbuf_free(m);
		return HP_DEFRAG_DROPPED;
	}
	if (unlikely(fi.atomic))
		return atomic(w, d, m, pkt, &fi, out);
	pass_first = fi.off == 0 && !first_guarded(m, pkt);
	end = fi.off + fi.len;

	sig = rte_hash_hash(d->h, &key);
	pos = rte_hash_lookup_with_hash(d->h, &key, sig);
	if (pos >= 0) {
		i = (uint32_t)pos;
		e = &d->dg[i];
		if (e->state == DG_PASS)
			return HP_DEFRAG_FORWARD;
		if (pass_first && !e->first_seen) {
			/* not guarded after all: what was held goes on, in arrival order */
			release_all(w, d, e);
			dg_to_pass(w, d, i, now);
			w->ctr.c[HP_CTR_DEFRAG_UNGUARDED]++;
			return HP_DEFRAG_FORWARD;
		}
	} else {
		if (pass_first) {
			pass_room(w, d);
			if (likely(dg_new(d, &key, sig, now, DG_PASS) >= 0))
				w->ctr.c[HP_CTR_DEFRAG_UNGUARDED]++;
			return HP_DEFRAG_FORWARD;
		}
		if (unlikely(fi.len == 0)) {
			w->ctr.c[HP_CTR_DEFRAG_UNSUPPORTED]++;
			rte_pktmbuf_free(m);
			return HP_DEFRAG_DROPPED;
		}
		if (unlikely(end + fi.hdr_extra > IP_MAXPACKET)) {
			w->ctr.c[HP_CTR_DEFRAG_TOO_BIG]++;
			return refuse(w, d, m, true);
		}
		if (unlikely(src_count(d, &key) >= d->max_per_source)) {
			w->ctr.c[HP_CTR_DEFRAG_SOURCE_LIMIT]++;
			return refuse(w, d, m, false);
		}
		if (d->held.n >= d->max_flows) {
			w->ctr.c[HP_CTR_DEFRAG_EVICTED]++;
			dg_give_up(w, d, d->held.head, NULL, false, now);
		}
		pos = dg_new(d, &key, sig, now, DG_HELD);
		if (unlikely(pos < 0)) { /* cannot happen: the table has room for both lists */
			w->ctr.c[HP_CTR_DEFRAG_NOMBUF]++;
			return refuse(w, d, m, true);
		}
		i = (uint32_t)pos;
		e = &d->dg[i];
	}

	/* e is in reassembly: check m against what it holds */
	if (unlikely(fi.len == 0)) {
		w->ctr.c[HP_CTR_DEFRAG_UNSUPPORTED]++;
		rte_pktmbuf_free(m);
		return HP_DEFRAG_DROPPED;
	}
	hdr = e->first_seen ? (e->key.family == 4 ? e->hdr_len : e->hdr_len - IPV6_HDR_LEN)
			    : fi.hdr_extra;
	lim_end = fi.off == 0 ? RTE_MAX(end, e->max_end) : end;
	if (unlikely(lim_end + hdr > IP_MAXPACKET)) {
		w->ctr.c[HP_CTR_DEFRAG_TOO_BIG]++;
		return dg_give_up(w, d, i, m, true, now);
	}
	if (fi.last ? (e->end != 0 && e->end != end) || e->max_end > end
		    : e->end != 0 && end > e->end) {
		w->ctr.c[HP_CTR_DEFRAG_OVERLAP]++;
		return dg_give_up(w, d, i, m, true, now);
	}
	/* where [off, end) goes: after prev (NIL: first); cur is the first held fragment that
	 * ends after off. In order: after the tail; reverse order: before the head. */
	prev = NIL;
	cur = e->head;
	if (e->tail != NIL && d->frags[e->tail].off + d->frags[e->tail].len <= fi.off) {
		prev = e->tail;
		cur = NIL;
	} else {
		while (cur != NIL && d->frags[cur].off + d->frags[cur].len <= fi.off) {
			prev = cur;
			cur = d->frags[cur].next;
		}
	}
	if (cur != NIL) {
		const struct frag *c = &d->frags[cur];

		if (c->off == fi.off && c->len == fi.len && c->last == fi.last) {
			w->ctr.c[HP_CTR_DEFRAG_DUPLICATE]++;
			rte_pktmbuf_free(m);
			return HP_DEFRAG_DROPPED;
		}
		if (c->off < end) {
			w->ctr.c[HP_CTR_DEFRAG_OVERLAP]++;
			return dg_give_up(w, d, i, m, true, now);
		}
	}
	if (unlikely(e->n >= d->max_fragments)) {
		w->ctr.c[HP_CTR_DEFRAG_TOO_MANY]++;
		return dg_give_up(w, d, i, m, true, now);
	}
	while (unlikely(d->n_free == 0)) {
		/* max_held: the oldest incomplete datagrams go, possibly this one */
		uint32_t v = d->held.head;

		w->ctr.c[HP_CTR_DEFRAG_EVICTED]++;
		if (v == i)
			return dg_give_up(w, d, i, m, true, now);
		dg_give_up(w, d, v, NULL, true, now);
	}

	node = node_get(d);
	f = &d->frags[node];
	f->m = m;
	f->off = (uint16_t)fi.off;
	f->len = (uint16_t)fi.len;
	f->data_off = (uint16_t)fi.data_off;
	f->last = fi.last;
	f->next = cur;
	if (prev == NIL)
		e->head = node;
	else
		d->frags[prev].next = node;
	if (cur == NIL)
		e->tail = node;
	f->anext = NIL;
	if (e->atail == NIL)
		e->ahead = node;
	else
		d->frags[e->atail].anext = node;
	e->atail = node;
	e->n++;
	e->bytes += fi.len;
	if (end > e->max_end)
		e->max_end = end;
	if (fi.last)
		e->end = end;
	if (fi.ip_len > e->max_frag)
		e->max_frag = fi.ip_len;
	if (fi.off == 0) {
		e->first_seen = 1;
		e->l2_len = pkt->l3_off;
		e->hdr_len = fi.hdr_len;
	}
	if (e->end != 0 && e->bytes == e->end)
		return complete(w, d, i, m, now, out);
	return HP_DEFRAG_HELD;
}

void
hp_defrag_expire(struct hp_worker *w, uint64_t now)
{
	struct hp_defrag *d = dfg(w);

	if (d == NULL)
		return;
	for (unsigned int budget = HP_DEFRAG_EXPIRE_BUDGET; budget != 0; budget--) {
		uint32_t h = d->held.head, p = d->pass.head, i;

		if (h == NIL && p == NIL)
			return;
		if (p == NIL || (h != NIL && d->dg[h].stamp <= d->dg[p].stamp))
			i = h;
		else
			i = p;
		if (now - d->dg[i].stamp < d->timeout_tsc)
			return; /* the oldest of both lists is not due: nothing is */
		if (d->dg[i].state == DG_PASS) {
			dg_remove(d, i); /* a pass-through record ending is not a failure */
			continue;
		}
		w->ctr.c[HP_CTR_DEFRAG_EXPIRED]++;
		dg_give_up(w, d, i, NULL, false, now);
	}
}

void
hp_defrag_flush(struct hp_worker *w)
{
	struct hp_defrag *d = dfg(w);

	if (d == NULL)
		return;
	while (d->held.head != NIL) {
		uint32_t i = d->held.head, j, nx;
		struct dg *e = &d->dg[i];

		for (j = e->ahead; j != NIL; j = nx) {
			nx = d->frags[j].anext;
			rte_pktmbuf_free(d->frags[j].m);
			node_put(d, j);
			w->ctr.c[HP_CTR_DEFRAG_INCOMPLETE_AT_EXIT]++;
		}
		e->head = e->tail = e->ahead = e->atail = NIL;
		e->n = 0;
		dg_remove(d, i);
	}
	while (d->pass.head != NIL)
		dg_remove(d, d->pass.head);
}

/* ---- forwarding an accepted datagram again ---- */

/* IPv4 options of a fragment other than the first: those without the copy flag become NOPs
 * (RFC 791; what Linux's ip_options_fragment does), the length stays. */
static void
ipv4_opts_nocopy(uint8_t *opt, uint32_t n)
{
	uint32_t k = 0;

	while (k < n) {
		uint32_t ol;

		if (opt[k] == RTE_IPV4_HDR_OPT_EOL)
			return;
		if (opt[k] == RTE_IPV4_HDR_OPT_NOP) {
			k++;
			continue;
		}
		if (k + 1 >= n)
			return;
		ol = opt[k + 1];
		if (ol < 2 || k + ol > n)
			return;
		if (!(opt[k] & 0x80))
			memset(opt + k, RTE_IPV4_HDR_OPT_NOP, ol);
		k += ol;
	}
}

struct rd {
	const struct rte_mbuf *seg;
	uint32_t off;
};

static inline void
rd_get(struct rd *rd, uint8_t *dst, uint32_t n)
{
	while (n != 0) {
		uint32_t c = rd->seg->data_len - rd->off;

		if (c == 0) {
			rd->seg = rd->seg->next;
			rd->off = 0;
			continue;
		}
		if (c > n)
			c = n;
		memcpy(dst, rte_pktmbuf_mtod_offset(rd->seg, const uint8_t *, rd->off), c);
		rd->off += c;
		dst += c;
		n -= c;
	}
}

uint16_t
hp_defrag_frag_size(const struct rte_mbuf *r)
{
	if (frag_size_off < 0)
		return 0;
	return *RTE_MBUF_DYNFIELD(r, frag_size_off, const uint16_t *);
}

unsigned int
hp_defrag_forward(struct hp_worker *w, struct rte_mbuf *r, uint16_t port)
{
	struct hp_defrag *d = dfg(w);
	const struct frag_info *info;
	uint32_t room, limit, l2, hl, fixed, total, chunk, n, mtu;
	const uint8_t *hdr;
	struct rd rd;

	if (unlikely(d == NULL || frag_info_off < 0 || port == HP_NO_PORT)) {
		rte_pktmbuf_free(r);
		return 0;
	}
	info = RTE_MBUF_DYNFIELD(r, frag_info_off, const struct frag_info *);
	l2 = info->l2_len;
	hl = info->hdr_len;
	fixed = info->family == 6 ? hl + FRAG_HDR_LEN : hl;
	room = rte_pktmbuf_data_room_size(w->pool) - RTE_PKTMBUF_HEADROOM;
	limit = hp_defrag_frag_size(r);
	mtu = hp_dp.cfg != NULL ? hp_dp.cfg->dataplane.mtu : 0;
	if (mtu != 0 && (limit == 0 || mtu < limit))
		limit = mtu;
	if (unlikely((info->family != 4 && info->family != 6) || r->pkt_len < l2 + hl ||
		     r->data_len < l2 + hl || limit < fixed + 8 || room < l2 + fixed + 8)) {
		w->ctr.c[HP_CTR_DEFRAG_UNSUPPORTED]++;
		rte_pktmbuf_free(r);
		return 0;
	}
	total = r->pkt_len - l2 - hl;
	chunk = RTE_MIN(limit - fixed, room - l2 - fixed);
	if (total <= chunk) {
		n = 1; /* fits whole (an IPv6 atomic fragment goes out as one again) */
	} else {
		chunk &= ~7u; /* every fragment but the last carries a multiple of 8 bytes */
		n = (total + chunk - 1) / chunk;
	}
	if (unlikely(n > FWD_MAX_FRAGS || rte_pktmbuf_alloc_bulk(w->pool, d->fwd, n) != 0)) {
		w->ctr.c[HP_CTR_DEFRAG_NOMBUF]++;
		rte_pktmbuf_free(r);
		return 0;
	}
	hdr = rte_pktmbuf_mtod(r, const uint8_t *);
	rd.seg = r;
	rd.off = l2 + hl;
	for (uint32_t k = 0, off = 0; k < n; k++, off += chunk) {
		struct rte_mbuf *f = d->fwd[k];
		uint32_t c = RTE_MIN(chunk, total - off);
		bool more = k + 1 < n;
		uint8_t *p = rte_pktmbuf_mtod(f, uint8_t *);
		uint8_t *ip = p + l2;

		memcpy(p, hdr, l2 + hl);
		if (info->family == 4) {
			struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

			if (k != 0 && hl > sizeof(*h))
				ipv4_opts_nocopy(ip + sizeof(*h), hl - sizeof(*h));
			h->total_length = rte_cpu_to_be_16((uint16_t)(hl + c));
			h->fragment_offset =
				rte_cpu_to_be_16((uint16_t)(off / 8 | (more ? IPV4_MF : 0)));
			h->hdr_checksum = 0;
			h->hdr_checksum = rte_ipv4_cksum(h);
		} else {
			uint8_t *fh = ip + hl;

			fh[0] = ip[info->nh_pos]; /* the next header after the fragment header */
			fh[1] = 0;
			st16(fh + 2, off | (more ? IPV6_FRAG_M : 0));
			memcpy(fh + 4, &info->id6, 4);
			ip[info->nh_pos] = PROTO_FRAGMENT;
			st16(ip + 4, hl - IPV6_HDR_LEN + FRAG_HDR_LEN + c);
		}
		rd_get(&rd, p + l2 + fixed, c);
		f->data_len = (uint16_t)(l2 + fixed + c);
		f->pkt_len = f->data_len;
		f->port = r->port;
	}
	for (uint32_t k = 0; k < n; k++)
		hp_tx(w, port, d->fwd[k]);
	w->ctr.c[HP_CTR_DEFRAG_REFRAGMENTED]++;
	rte_pktmbuf_free(r);
	return n;
}

/* ---- setup ---- */

int
hp_defrag_create(struct hp_worker *w, const struct hp_defrag_config *cfg)
{
	static const struct rte_mbuf_dynfield size_desc = {
		.name = "hp_frag_size", .size = sizeof(uint16_t), .align = __alignof__(uint16_t)};
	static const struct rte_mbuf_dynfield info_desc = {.name = "hp_frag_info",
							   .size = sizeof(struct frag_info),
							   .align = __alignof__(struct frag_info)};
	static unsigned int seq; /* control thread only: unique hash names */
	struct rte_hash_parameters hp = {0};
	char name[RTE_HASH_NAMESIZE];
	struct hp_defrag *d;
	uint32_t n_src;

	if (cfg->max_flows == 0 || cfg->max_fragments == 0 || cfg->max_held == 0 ||
	    cfg->max_per_source == 0 || cfg->max_flows > RTE_HASH_ENTRIES_MAX / 2) {
		rte_errno = EINVAL;
		return -EINVAL;
	}
	frag_size_off = rte_mbuf_dynfield_register(&size_desc);
	frag_info_off = rte_mbuf_dynfield_register(&info_desc);
	if (frag_size_off < 0 || frag_info_off < 0)
		return -rte_errno;
	d = rte_zmalloc_socket("hp_defrag", sizeof(*d), RTE_CACHE_LINE_SIZE, w->socket);
	if (d == NULL)
		goto nomem;
	dfg_set(w, d);
	d->max_flows = cfg->max_flows;
	d->max_fragments = RTE_MIN(cfg->max_fragments, (uint32_t)UINT16_MAX);
	d->max_per_source = cfg->max_per_source;
	d->max_held = cfg->max_held;
	d->timeout_tsc = (rte_get_tsc_hz() + 999) / 1000 * cfg->timeout_ms;
	d->fail_pass = cfg->on_fail == HP_REASM_PASS && w->is_bridge;
	d->held = (struct dg_list){NIL, NIL, 0};
	d->pass = (struct dg_list){NIL, NIL, 0};

	d->n_pos = RTE_MAX(2 * cfg->max_flows, 16u);
	snprintf(name, sizeof(name), "hp_defrag_%u_%u", w->id, seq++);
	hp.name = name;
	hp.entries = d->n_pos;
	hp.key_len = sizeof(struct dg_key);
	hp.hash_func = rte_hash_crc;
	hp.hash_func_init_val = (uint32_t)rte_rand();
	hp.socket_id = w->socket;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE; /* an insert never fails below n_pos */
	d->h = rte_hash_create(&hp);
	d->dg = rte_zmalloc_socket("hp_defrag_dg", (size_t)d->n_pos * sizeof(*d->dg),
				   RTE_CACHE_LINE_SIZE, w->socket);
	d->frags = rte_zmalloc_socket("hp_defrag_frags", (size_t)d->max_held * sizeof(*d->frags),
				      RTE_CACHE_LINE_SIZE, w->socket);
	d->free_frags = rte_malloc_socket("hp_defrag_free", (size_t)d->max_held * sizeof(uint32_t),
					  RTE_CACHE_LINE_SIZE, w->socket);
	/* 4 counters per datagram in reassembly: a legitimate source rarely shares one */
	n_src = rte_align32pow2(RTE_MIN(RTE_MAX(4 * cfg->max_flows, 1024u), 1u << 22));
	d->src_cnt = rte_zmalloc_socket("hp_defrag_src", (size_t)n_src * sizeof(uint32_t),
					RTE_CACHE_LINE_SIZE, w->socket);
	d->fwd = rte_malloc_socket("hp_defrag_fwd", FWD_MAX_FRAGS * sizeof(*d->fwd),
				   RTE_CACHE_LINE_SIZE, w->socket);
	if (d->h == NULL || d->dg == NULL || d->frags == NULL || d->free_frags == NULL ||
	    d->src_cnt == NULL || d->fwd == NULL)
		goto nomem;
	d->src_mask = n_src - 1;
	d->src_seed[0] = (uint32_t)rte_rand();
	d->src_seed[1] = (uint32_t)rte_rand() | 1u;
	for (uint32_t k = 0; k < d->max_held; k++)
		d->free_frags[k] = d->max_held - 1 - k;
	d->n_free = d->max_held;
	return 0;
nomem:
	hp_defrag_destroy(w);
	rte_errno = ENOMEM;
	return -ENOMEM;
}

void
hp_defrag_destroy(struct hp_worker *w)
{
	struct hp_defrag *d = dfg(w);

	if (d == NULL)
		return;
	if (d->h != NULL && d->dg != NULL && d->frags != NULL && d->free_frags != NULL &&
	    d->src_cnt != NULL)
		hp_defrag_flush(w);
	rte_hash_free(d->h);
	rte_free(d->dg);
	rte_free(d->frags);
	rte_free(d->free_frags);
	rte_free(d->src_cnt);
	rte_free(d->fwd);
	rte_free(d);
	dfg_set(w, NULL);
}
