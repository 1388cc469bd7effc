/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP sessions: holding the client segments of a request until its verdict (bridge),
 * masking PII in them in place, releasing them in order or dropping them.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_ring_elem.h>

#include "dedup.h"
#include "dp_types.h"
#include "dp_defrag.h"
#include "dp_event.h"
#include "dp_reply.h"
#include "dp_route.h"
#include "dp_session.h"
#include "dp_session_priv.h"
#include "dp_tx.h"
#include "http_parse.h"
#include "pii.h"

/* ---- PII hold (bridge): store-and-forward of the body of an endpoint that masks or blocks
 * (README "Verdicts in bridge mode"). From its headers on, every client segment of the
 * request that the worker can
 * keep (one mbuf segment, not an inspect-only copy) is held; the body bytes the parser sees are
 * mapped back to the held payloads (ext[]). Accept: the masked bytes are written into the held
 * payloads, each changed segment's TCP checksum is adjusted (RFC 1624), and everything goes out
 * in sequence order. Reject: everything held is freed and the server is reset at the first held
 * byte. ---- */

/* Would the segment being fed be held (not held yet, not gone out, can be kept)? */
bool
hps_hold_wants_cur(const struct hp_session *s)
{
	return s->cur_seg < 0 && !s->cur_consumed && s->cur_holdable;
}

/* Hold the segment being fed (once; not if it already went out or cannot be kept). The
 * caller made room in pii.held_per_worker first if it could (hps_hold_make_room). */
void
hps_hold_cur(struct hp_session *s)
{
	struct hp_worker *w = s->w;

	if (!hps_hold_wants_cur(s))
		return;
	if (s->n_held >= w->hold_limit) {
		s->hold_overflow = true;
		return;
	}
	if (unlikely(w->held_total >= w->held_budget)) {
		w->ctr.c[HP_CTR_HELD_BUDGET_FULL]++;
		s->hold_overflow = true;
		return;
	}
	s->cur.dirty = false;
	s->held[s->n_held] = s->cur;
	s->cur_seg = s->n_held++;
	w->held_total++;
	if (s->cur_pkt != NULL &&
	    (!s->tmpl_valid || !hps_seq_lt(s->cur.seq, s->tmpl_pkt.tcp_seq))) {
		s->tmpl_m = s->cur.m;
		s->tmpl_pkt = *s->cur_pkt;
		s->tmpl_valid = true;
	}
	w->ctr.c[HP_CTR_PII_HELD_SEGMENTS]++;
}

void
hps_hold_start(struct hp_session *s)
{
	s->holding = true;
	s->hold_overflow = false;
	s->ext_overflow = false;
	s->n_ext = 0;
}

/* Body bytes [body_off, body_off + len) were parsed from data: remember where they are. */
void
hps_hold_map(struct hp_session *s, uint32_t body_off, const uint8_t *data, uint32_t len)
{
	int32_t seg = -1;
	uint32_t off = 0;
	struct body_ext *x;

	for (int32_t i = (int32_t)s->n_held - 1; i >= 0; i--) {
		const struct held_seg *h = &s->held[i];

		if (h->payload != NULL && data >= h->payload && data + len <= h->payload + h->len) {
			seg = i;
			off = (uint32_t)(data - h->payload);
			break;
		}
	}
	if (s->n_ext != 0) {
		x = &s->ext[s->n_ext - 1];
		if (x->seg == seg && x->body_off + x->len == body_off &&
		    (seg < 0 || x->off + x->len == off)) {
			x->len += len;
			return;
		}
	}
	if (s->n_ext >= s->w->ext_max) {
		s->ext_overflow = true;
		return;
	}
	s->ext[s->n_ext++] =
		(struct body_ext){.body_off = body_off, .len = len, .off = off, .seg = seg};
}

/* Does an opaque held segment (not rewritable) carry any byte of [a, b)? */
static bool
hold_opaque_overlaps(const struct hp_session *s, uint32_t a, uint32_t b)
{
	for (uint32_t j = 0; j < s->n_held; j++) {
		const struct held_seg *h = &s->held[j];

		if (h->payload == NULL && hps_seq_lt(a, h->seq + h->len) && hps_seq_lt(h->seq, b))
			return true;
	}
	return false;
}

/* Can every span to mask be rewritten (all its bytes in held segments, in every held copy)? */
bool
hps_hold_mask_ok(const struct hp_session *s, const struct hp_pii_result *r, uint64_t set)
{
	if (s->ext_overflow || r->n_dropped != 0)
		return false;
	for (uint32_t i = 0; i < r->n_spans; i++) {
		const struct hp_pii_span *sp = &r->span[i];
		uint32_t covered = 0;

		if (sp->entity >= 64 || !(set & (UINT64_C(1) << sp->entity)))
			continue;
		for (uint32_t k = 0; k < s->n_ext; k++) {
			const struct body_ext *x = &s->ext[k];
			uint32_t lo = RTE_MAX(sp->start, x->body_off);
			uint32_t hi = RTE_MIN(sp->end, x->body_off + x->len);
			uint32_t a;

			if (lo >= hi)
				continue;
			if (x->seg < 0)
				return false;
			a = s->held[x->seg].seq + x->off + (lo - x->body_off);
			if (hold_opaque_overlaps(s, a, a + (hi - lo)))
				return false;
			covered += hi - lo;
		}
		if (covered != sp->end - sp->start)
			return false;
	}
	return true;
}

static inline uint16_t
cksum_adjust(uint16_t ck, uint16_t old_sum, uint16_t new_sum)
{
	uint32_t x = (uint32_t)(uint16_t)~ck + (uint16_t)~old_sum + new_sum;

	x = (x & 0xffff) + (x >> 16);
	x = (x & 0xffff) + (x >> 16);
	return (uint16_t)~x;
}

/* Write n bytes at payload offset off of h, adjusting its TCP checksum over the 16-bit words
 * that change (word alignment counts from the TCP header). */
static void
patch_seg(struct held_seg *h, uint32_t off, const uint8_t *src, uint32_t n)
{
	uint8_t *l4 = rte_pktmbuf_mtod(h->m, uint8_t *) + h->l4_off;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
	uint32_t rel = (uint32_t)(h->payload + off - l4);
	uint32_t end = (uint32_t)(h->payload + h->len - l4);
	uint32_t rs = rel & ~1u, re = RTE_MIN((rel + n + 1) & ~1u, end);
	uint16_t before = rte_raw_cksum(l4 + rs, re - rs);

	memcpy(h->payload + off, src, n);
	th->cksum = cksum_adjust(th->cksum, before, rte_raw_cksum(l4 + rs, re - rs));
	h->dirty = true;
}

/* Mask the body copy, then the same bytes in the held segments. Returns bytes changed. */
uint32_t
hps_hold_mask(struct hp_session *s, const struct hp_http_request *req,
	      const struct hp_pii_result *r, uint64_t set)
{
	struct hp_worker *w = s->w;
	uint8_t *body = s->body_buf;
	uint32_t changed, lo_seq = 0, hi_seq = 0;
	bool any = false;

	changed = (uint32_t)hp_pii_mask_sel(body, req->body_copy_len, r, w->mask_char, set);
	if (changed == 0)
		return 0;
	for (uint32_t i = 0; i < r->n_spans; i++) {
		const struct hp_pii_span *sp = &r->span[i];

		if (sp->entity >= 64 || !(set & (UINT64_C(1) << sp->entity)))
			continue;
		for (uint32_t k = 0; k < s->n_ext; k++) {
			const struct body_ext *x = &s->ext[k];
			uint32_t lo = RTE_MAX(sp->start, x->body_off);
			uint32_t hi = RTE_MIN(sp->end, x->body_off + x->len);
			uint32_t a, b;

			if (lo >= hi || x->seg < 0)
				continue;
			/* sequence numbers of body bytes [lo, hi): every held copy of them is
			 * rewritten (a retransmission that overlaps with new bytes is held too) */
			a = s->held[x->seg].seq + x->off + (lo - x->body_off);
			b = a + (hi - lo);
			for (uint32_t j = 0; j < s->n_held; j++) {
				struct held_seg *h = &s->held[j];
				uint32_t ha = hps_seq_lt(a, h->seq) ? h->seq : a;
				uint32_t hb = hps_seq_lt(h->seq + h->len, b) ? h->seq + h->len : b;

				/* opaque copies were ruled out by hold_mask_ok */
				if (h->payload != NULL && hps_seq_lt(ha, hb))
					patch_seg(h, ha - h->seq, body + lo + (ha - a), hb - ha);
			}
			if (!any || hps_seq_lt(a, lo_seq))
				lo_seq = a;
			if (!any || hps_seq_lt(hi_seq, b))
				hi_seq = b;
			any = true;
		}
	}
	if (any) {
		s->masked_valid = true;
		s->masked_lo = lo_seq;
		s->masked_hi = hi_seq;
	}
	w->ctr.c[HP_CTR_PII_MASKED_REQUESTS]++;
	w->ctr.c[HP_CTR_PII_MASKED_BYTES] += changed;
	return changed;
}

/* Nothing held any more (released or dropped). */
void
hps_hold_reset(struct hp_session *s)
{
	if (s->cur_seg >= 0)
		s->cur_consumed = true;
	s->cur_seg = -1;
	s->w->held_total -= s->n_held;
	s->n_held = 0;
	s->n_ext = 0;
	s->holding = false;
	s->tmpl_valid = false;
}

/* Accept: send everything held, in sequence order, ahead of this burst's packets. */
void
hps_hold_release(struct hp_session *s)
{
	struct hp_worker *w = s->w;

	for (uint32_t i = 1; i < s->n_held; i++) { /* few, mostly in order already */
		struct held_seg t = s->held[i];
		uint32_t j = i;

		for (; j > 0 && hps_seq_lt(t.seq, s->held[j - 1].seq); j--)
			s->held[j] = s->held[j - 1];
		s->held[j] = t;
	}
	for (uint32_t i = 0; i < s->n_held; i++) {
		struct rte_mbuf *m = s->held[i].m;

		if (s->held[i].dirty)
			w->ctr.c[HP_CTR_PII_MASKED_SEGMENTS]++;
		if (unlikely(m->ol_flags & hp_mbuf_reassembled))
			hp_defrag_forward(w, m, w->out_port[m->port]); /* re-fragmented */
		else
			hp_tx(w, w->out_port[m->port], m);
	}
	hps_hold_reset(s);
}

/* Reject or flow end: free everything held. Returns the first held sequence number (where the
 * server's stream stops) in *first, if anything was held. */
bool
hps_hold_drop(struct hp_session *s, uint32_t *first)
{
	bool any = s->n_held != 0;

	for (uint32_t i = 0; i < s->n_held; i++) {
		if (i == 0 || hps_seq_lt(s->held[i].seq, *first))
			*first = s->held[i].seq;
		rte_pktmbuf_free(s->held[i].m);
	}
	hps_hold_reset(s);
	return any;
}
