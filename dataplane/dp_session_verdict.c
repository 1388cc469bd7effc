/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP sessions: verdict actions. A refused request's event, then on its segment: the
 * RST to the server at the first byte it must not have, the answer to the client, the flow
 * cut; the packets of a cut flow; an accepted request released.
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
#include "http_parse.h"
#include "pii.h"

/* ---- verdicts ---- */

/* Reject (or duplicate) the current request: event now; the packet actions are carried out
 * by hp_session_segment() on the segment being processed (the one that completed the request,
 * held until now), see hps_reject_act(). */
void
hps_reject(struct hp_session *s, const struct hp_http_request *req, enum hp_ev_verdict v,
	   enum hp_ev_reason r, uint16_t flags, const struct hp_vspan *id)
{
	const struct hp_route_ep *ep = s->ep;

	s->decided = true;
	if (s->cur_dir != 0) /* not carried by a client segment we still hold */
		flags |= HP_EV_F_LATE;
	hps_request_event_id(s, req, v, r, flags, id);
	if (s->pending || s->rejected)
		return; /* one reject per flow is carried out */
	s->pending = true;
	s->rej_reason = r;
	s->rej_respond = ep != NULL ? ep->respond : true;
	s->rej_reset_server = ep != NULL ? ep->reset_server : true;
	s->rej_active = ep != NULL && ep->active_response;
}

void
hps_accept(struct hp_session *s, const struct hp_http_request *req, bool mask, uint16_t flags,
	   const struct hp_vspan *id)
{
	s->decided = true;
	if (s->holding) {
		if (mask)
			s->masked_bytes = hps_hold_mask(s, req, s->w->pii_res, s->ep->pii_mask_set);
		hps_hold_release(s);
	}
	hps_request_event_id(s, req, HP_EV_ACCEPT, HP_EV_R_OK, flags, id);
}

void
hps_wait(struct hp_session *s, const struct hp_http_request *req, bool mask, uint16_t flags,
	 const struct hp_vspan *id)
{
	s->decided = true;
	if (mask) /* masked now, released with the answer */
		s->masked_bytes = hps_hold_mask(s, req, s->w->pii_res, s->ep->pii_mask_set);
	hps_capture_hold(s, req, id); /* the bytes are gone by the verdict */
	hps_event_fill(s, req, flags, id, &s->aev);
}

/* Carry out a reject on the client segment that completed (or broke) the request, which has
 * not been forwarded: bridge: drop it, RST the server at its sequence number (the server has
 * everything before it and discards the partial request), answer the client (status, JSON
 * reason, Connection: close, FIN) or RST it, and cut the flow. tap: optional active response
 * (RSTs both ways, sent out of the port the segment came in on). */
enum hp_verdict
hps_reject_act(struct hp_worker *w, struct hp_session *s, struct rte_mbuf *m, const uint8_t *data,
	       const struct hp_pkt *pkt)
{
	struct hp_flow *f = s->flow;
	uint32_t cseq = pkt->tcp_seq + ((pkt->tcp_flags & RTE_TCP_SYN_FLAG) ? 1 : 0);
	uint32_t cnext = cseq + pkt->payload_len + ((pkt->tcp_flags & RTE_TCP_FIN_FLAG) ? 1 : 0);
	uint32_t rst_seq = cseq, first;
	bool has_ack = (pkt->tcp_flags & RTE_TCP_ACK_FLAG) != 0;

	s->pending = false;
	/* held segments never reached the server: its stream stops at the first of them */
	if (hps_hold_drop(s, &first) && hps_seq_lt(first, rst_seq))
		rst_seq = first;
	if (!w->is_bridge) {
		if (s->rej_active && has_ack) {
			if (hp_reply_tcp(w, m->port, data, pkt, false, cseq, pkt->tcp_ack,
					 RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, NULL, 0) == 0)
				w->ctr.c[HP_CTR_REJECT_RST_SERVER]++;
			if (hp_reply_tcp(w, m->port, data, pkt, true, pkt->tcp_ack, cnext,
					 RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, NULL, 0) == 0)
				w->ctr.c[HP_CTR_REJECT_RST_CLIENT]++;
		}
		return HP_VERDICT_FORWARD;
	}
	s->rejected = true;
	hp_flow_cut(w, f, HP_FLOW_CUT_REJECTED);
	if (s->rej_reset_server &&
	    hp_reply_tcp(w, w->out_port[m->port], data, pkt, false, rst_seq, pkt->tcp_ack,
			 RTE_TCP_RST_FLAG | (has_ack ? RTE_TCP_ACK_FLAG : 0), NULL, 0) == 0)
		w->ctr.c[HP_CTR_REJECT_RST_SERVER]++;
	if (has_ack) {
		if (s->rej_respond) {
			uint16_t alen;
			const uint8_t *a = hp_reply_answer(s->rej_reason, &alen);

			if (hp_reply_tcp(w, m->port, data, pkt, true, pkt->tcp_ack, cnext,
					 RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG, a,
					 alen) == 0) {
				w->ctr.c[HP_CTR_REJECT_RESPONSES]++;
				f->answered = 1;
				f->answer_end = pkt->tcp_ack + alen + 1;
			}
		} else if (hp_reply_tcp(w, m->port, data, pkt, true, pkt->tcp_ack, cnext,
					RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, NULL, 0) == 0) {
			w->ctr.c[HP_CTR_REJECT_RST_CLIENT]++;
			f->client_reset = 1;
		}
	}
	w->ctr.c[HP_CTR_HTTP_REJECTED_PACKETS]++;
	return s->cur_consumed ? HP_VERDICT_HOLD : HP_VERDICT_DROP; /* held ones are freed */
}

/* A packet of a cut flow (bridge): dropped, whichever way it goes.
 * Rejected: a client that goes on talking after it has our answer (its ACK covers our FIN)
 * gets one RST, so it does not wait on a peer that is gone.
 * Reset (evicted while active, or refused midstream): the first packet seen gets a RST toward
 * its receiver and one back to its sender, so that both ends let the connection go at once
 * (the client reconnects) instead of retransmitting into a drop. */
enum hp_verdict
hps_cut_flow_packet(struct hp_worker *w, struct hp_flow *f, unsigned int dir, struct rte_mbuf *m,
		    const uint8_t *data, const struct hp_pkt *pkt)
{
	uint32_t next = pkt->tcp_seq + pkt->payload_len +
			((pkt->tcp_flags & RTE_TCP_FIN_FLAG) ? 1 : 0) +
			((pkt->tcp_flags & RTE_TCP_SYN_FLAG) ? 1 : 0);

	if (!w->is_bridge)
		return HP_VERDICT_FORWARD; /* tap: nothing to stop, nothing sent */
	w->ctr.c[HP_CTR_HTTP_REJECTED_PACKETS]++;
	if (pkt->tcp_flags & RTE_TCP_RST_FLAG)
		return HP_VERDICT_DROP;
	if (f->cut == HP_FLOW_CUT_RESET) {
		if (f->rst_sent)
			return HP_VERDICT_DROP;
		f->rst_sent = 1;
		if (hp_reply_tcp(
			    w, w->out_port[m->port], data, pkt, false, pkt->tcp_seq, pkt->tcp_ack,
			    RTE_TCP_RST_FLAG | (pkt->tcp_flags & RTE_TCP_ACK_FLAG), NULL, 0) == 0)
			w->ctr.c[dir == 0 ? HP_CTR_REJECT_RST_SERVER : HP_CTR_REJECT_RST_CLIENT]++;
		if (hp_reply_tcp(w, m->port, data, pkt, true,
				 (pkt->tcp_flags & RTE_TCP_ACK_FLAG) ? pkt->tcp_ack : 0, next,
				 RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, NULL, 0) == 0)
			w->ctr.c[dir == 0 ? HP_CTR_REJECT_RST_CLIENT : HP_CTR_REJECT_RST_SERVER]++;
		return HP_VERDICT_DROP;
	}
	if (dir == 0 && f->answered && !f->client_reset && (pkt->tcp_flags & RTE_TCP_ACK_FLAG) &&
	    (pkt->payload_len != 0 || (pkt->tcp_flags & RTE_TCP_FIN_FLAG)) &&
	    pkt->tcp_ack == f->answer_end) {
		if (hp_reply_tcp(w, m->port, data, pkt, true, pkt->tcp_ack, next,
				 RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, NULL, 0) == 0) {
			w->ctr.c[HP_CTR_REJECT_RST_CLIENT]++;
			f->client_reset = 1;
		}
	}
	return HP_VERDICT_DROP;
}
