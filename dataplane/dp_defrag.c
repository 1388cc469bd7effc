/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_ip_frag.h>

#include "dp.h"
#include "dp_defrag.h"

#define BUCKET_ENTRIES 4

int
hp_defrag_create(struct hp_worker *w, const struct hp_defrag_config *cfg)
{
	uint64_t max_cycles = (rte_get_tsc_hz() + 999) / 1000 * cfg->timeout_ms;
	uint32_t buckets = rte_align32pow2((cfg->max_flows + BUCKET_ENTRIES - 1) / BUCKET_ENTRIES);

	/* Twice the buckets strictly needed: keeps collisions (which refuse a datagram) rare. */
	w->frag_tbl = rte_ip_frag_table_create(buckets * 2, BUCKET_ENTRIES, cfg->max_flows,
					       max_cycles, w->socket);
	return w->frag_tbl == NULL ? -ENOMEM : 0;
}

void
hp_defrag_destroy(struct hp_worker *w)
{
	if (w->frag_tbl == NULL)
		return;
	hp_defrag_free_death_row(w);
	rte_ip_frag_table_destroy(w->frag_tbl);
	w->frag_tbl = NULL;
}

struct rte_mbuf *
hp_defrag_packet(struct hp_worker *w, struct rte_mbuf *m, const struct hp_pkt *pkt,
		 uint64_t now)
{
	uint32_t before = w->dr.cnt;
	uint32_t dgram_end = (uint32_t)pkt->l3_off + pkt->l3_len;
	struct rte_mbuf *r;

	/* Ethernet padding after the datagram would end up inside the reassembled payload. */
	if (m->pkt_len > dgram_end)
		rte_pktmbuf_trim(m, m->pkt_len - dgram_end);
	m->l2_len = pkt->l3_off;
	if (pkt->l3 == HP_L3_IPV4) {
		m->l3_len = pkt->l3_hdr_len;
		r = rte_ipv4_frag_reassemble_packet(
			w->frag_tbl, &w->dr, m, now,
			rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, pkt->l3_off));
	} else {
		m->l3_len = sizeof(struct rte_ipv6_hdr) + sizeof(struct rte_ipv6_fragment_ext);
		r = rte_ipv6_frag_reassemble_packet(
			w->frag_tbl, &w->dr, m, now,
			rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, pkt->l3_off),
			rte_pktmbuf_mtod_offset(m, struct rte_ipv6_fragment_ext *, pkt->frag_off));
	}
	w->ctr.c[HP_CTR_DEFRAG_DROPPED] += w->dr.cnt - before;
	if (r != NULL)
		w->ctr.c[HP_CTR_DEFRAG_REASSEMBLED]++;
	return r;
}

void
hp_defrag_expire(struct hp_worker *w, uint64_t now)
{
	uint32_t before = w->dr.cnt;

	if (before >= RTE_IP_FRAG_DEATH_ROW_MBUF_LEN - RTE_LIBRTE_IP_FRAG_MAX_FRAG)
		return; /* next pass, after the death row was freed */
	rte_ip_frag_table_del_expired_entries(w->frag_tbl, &w->dr, now);
	w->ctr.c[HP_CTR_DEFRAG_EXPIRED] += w->dr.cnt - before;
}

void
hp_defrag_free_death_row(struct hp_worker *w)
{
	if (w->dr.cnt != 0)
		rte_ip_frag_free_death_row(&w->dr, 3);
}

void
hp_defrag_flush(struct hp_worker *w)
{
	uint32_t n;

	if (w->frag_tbl == NULL)
		return;
	hp_defrag_free_death_row(w);
	do {
		rte_ip_frag_table_del_expired_entries(w->frag_tbl, &w->dr, UINT64_MAX);
		n = w->dr.cnt;
		w->ctr.c[HP_CTR_DEFRAG_INCOMPLETE_AT_EXIT] += n;
		hp_defrag_free_death_row(w);
	} while (n != 0);
}
