/* SPDX-License-Identifier: BSD-3-Clause
 * Inspection hook. Today it accounts what it is given (packets, L4 payload bytes) and forwards
 * everything; the TCP/HTTP stages replace the body of the loop.
 */
#include <rte_cycles.h>

#include "dp.h"
#include "dp_flow.h"
#include "dp_inspect.h"
#include "dp_session.h"

void
hp_inspect_burst(struct hp_worker *w, struct hp_inspect_item *items, uint16_t n,
		 uint8_t *verdicts)
{
	uint64_t *c = w->ctr.c;
	const uint8_t *tcp_data[HP_MAX_BURST];
	const struct hp_pkt *tcp_pkt[HP_MAX_BURST];
	struct hp_flow_ref refs[HP_MAX_BURST];
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
		uint64_t now = w->burst_tsc;

		hp_flow_track_burst(w, tcp_data, tcp_pkt, n_tcp, now, refs);
		for (uint16_t j = 0; j < n_tcp; j++)
			if (refs[j].flow != NULL)
				verdicts[tcp_item[j]] = (uint8_t)hp_session_segment(
					w, &refs[j], items[tcp_item[j]].m, tcp_data[j], tcp_pkt[j],
					now);
	}
}
