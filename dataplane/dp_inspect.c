/* SPDX-License-Identifier: BSD-3-Clause
 * Inspection hook: accounts what it is given (packets, L4 payload bytes), tracks the guarded
 * TCP segments' flows and hands each to its HTTP session, which decides its verdict.
 */
#include <rte_cycles.h>
#include <rte_mbuf_dyn.h>

#include "dp_types.h"
#include "dp_flow.h"
#include "dp_inspect.h"
#include "dp_session.h"

struct inspect_ctx {
	struct hp_inspect_item *items;
	uint8_t *verdicts;
	const uint8_t *const *tcp_data;
	const struct hp_pkt *const *tcp_pkt;
	const uint16_t *tcp_item;
	uint64_t now;
};

/* One guarded TCP segment, right after its flow was tracked. */
static void
inspect_tcp(struct hp_worker *w, uint16_t j, const struct hp_flow_ref *ref, void *arg)
{
	struct inspect_ctx *x = arg;
	uint16_t i = x->tcp_item[j];

	if (hp_dp.ts_flag != 0) /* dataplane.clock capture */
		w->pkt_ts_ns = hp_capture_ns(x->items[i].m);
	if (ref->flow != NULL)
		x->verdicts[i] = (uint8_t)hp_session_segment(w, ref, x->items[i].m, x->tcp_data[j],
							     x->tcp_pkt[j], x->now);
	else if (w->is_bridge && x->tcp_pkt[j]->payload_len != 0)
		/* a guarded segment no flow could take: never forwarded uninspected */
		x->verdicts[i] = HP_VERDICT_DROP;
}

void
hp_inspect_burst(struct hp_worker *w, struct hp_inspect_item *items, uint16_t n, uint8_t *verdicts)
{
	uint64_t *c = w->ctr.c;
	const uint8_t *tcp_data[HP_MAX_BURST];
	const struct hp_pkt *tcp_pkt[HP_MAX_BURST];
	uint16_t tcp_item[HP_MAX_BURST];
	uint16_t n_tcp = 0;

	for (uint16_t i = 0; i < n; i++) {
		const struct hp_pkt *p = &items[i].pkt;

		c[HP_CTR_INSPECT_PACKETS]++;
		if (p->flags & HP_PKT_L4) {
			if (p->l4_proto == IPPROTO_TCP) {
				c[HP_CTR_INSPECT_TCP_PAYLOAD_BYTES] += p->payload_len;
				tcp_data[n_tcp] = items[i].data;
				tcp_item[n_tcp] = i;
				tcp_pkt[n_tcp++] = p;
			} else if (p->l4_proto == IPPROTO_UDP)
				c[HP_CTR_INSPECT_UDP_PAYLOAD_BYTES] += p->payload_len;
		}
		verdicts[i] = HP_VERDICT_FORWARD;
	}
	if (n_tcp != 0) {
		struct inspect_ctx x = {.items = items,
					.verdicts = verdicts,
					.tcp_data = tcp_data,
					.tcp_pkt = tcp_pkt,
					.tcp_item = tcp_item,
					.now = w->burst_tsc};

		/* flows age in age_tsc (the capture's time with dataplane.clock capture); the
		 * session's segment time stays the rx TSC (the verdict latency) */
		hp_flow_track_burst(w, tcp_data, tcp_pkt, n_tcp, w->age_tsc, inspect_tcp, &x);
	}
}
