/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include <string.h>

#include <rte_cycles.h>
#include <rte_hash_crc.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>

#include "dp.h"
#include "dp_defrag.h"

#define BUCKET_ENTRIES 4

/*
 * Exact-duplicate filter. rte_ip_frag refuses a whole datagram when one fragment arrives
 * twice, while Linux (and most hosts) keep the first copy and reassemble: an inspector that
 * gives up where the server does not is a bypass. So a fragment whose (addresses, id,
 * protocol, offset, length) was seen within the reassembly timeout is not fed to the table
 * again (counted as defrag_duplicate; bridge mode still forwards it). Overlaps with a
 * different range still reach the table, which drops the datagram, as Linux does since 4.19.
 * Direct-mapped: a collision forgets the older entry, so at worst a duplicate is missed and
 * the datagram is dropped by the table (counted), never a fragment wrongly skipped.
 */
#define SEEN_ENTRIES 4096

struct frag_key {
	uint8_t addrs[32]; /* IPv4: 8 bytes used */
	uint32_t id;
	uint16_t offset;   /* in 8-byte units */
	uint16_t len;
	uint8_t proto;     /* IPv4 protocol; IPv6: 0 */
	uint8_t family;
	uint8_t pad[2];
};

struct frag_seen {
	uint64_t tsc;
	struct frag_key key;
};

struct hp_defrag_seen {
	uint64_t ttl;
	struct frag_seen e[SEEN_ENTRIES];
};

int
hp_defrag_create(struct hp_worker *w, const struct hp_defrag_config *cfg)
{
	uint64_t max_cycles = (rte_get_tsc_hz() + 999) / 1000 * cfg->timeout_ms;
	uint32_t buckets = rte_align32pow2((cfg->max_flows + BUCKET_ENTRIES - 1) / BUCKET_ENTRIES);

	/* Twice the buckets strictly needed: keeps collisions (which refuse a datagram) rare. */
	w->frag_tbl = rte_ip_frag_table_create(buckets * 2, BUCKET_ENTRIES, cfg->max_flows,
					       max_cycles, w->socket);
	if (w->frag_tbl == NULL)
		return -ENOMEM;
	w->frag_seen = rte_zmalloc_socket("hp_frag_seen", sizeof(*w->frag_seen),
					  RTE_CACHE_LINE_SIZE, w->socket);
	if (w->frag_seen == NULL)
		return -ENOMEM;
	w->frag_seen->ttl = max_cycles;
	return 0;
}

/* True if this exact fragment was taken into reassembly less than the timeout ago. */
static bool
seen_before(struct hp_worker *w, const struct rte_mbuf *m, const struct hp_pkt *pkt,
	    uint64_t now)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, pkt->l3_off);
	struct frag_key k;
	struct frag_seen *e;

	memset(&k, 0, sizeof(k));
	if (pkt->l3 == HP_L3_IPV4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;

		memcpy(k.addrs, &ip->src_addr, 8);
		k.id = ip->packet_id;
		k.offset = rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK;
		k.len = pkt->l3_len - pkt->l3_hdr_len;
		k.proto = ip->next_proto_id;
		k.family = 4;
	} else {
		const struct rte_ipv6_fragment_ext *fh = rte_pktmbuf_mtod_offset(
			m, const struct rte_ipv6_fragment_ext *, pkt->frag_off);

		memcpy(k.addrs, l3 + 8, 32);
		k.id = fh->frag_data == 0 ? 0 : fh->id;
		k.offset = rte_be_to_cpu_16(fh->frag_data) >> 3;
		k.len = pkt->l3_len - (pkt->frag_off - pkt->l3_off) - sizeof(*fh);
		k.family = 6;
	}
	e = &w->frag_seen->e[rte_hash_crc(&k, sizeof(k), 0) % SEEN_ENTRIES];
	if (e->tsc != 0 && now - e->tsc < w->frag_seen->ttl && memcmp(&e->key, &k, sizeof(k)) == 0)
		return true;
	e->key = k;
	e->tsc = now;
	return false;
}

void
hp_defrag_destroy(struct hp_worker *w)
{
	if (w->frag_tbl == NULL)
		return;
	hp_defrag_free_death_row(w);
	rte_ip_frag_table_destroy(w->frag_tbl);
	w->frag_tbl = NULL;
	rte_free(w->frag_seen);
	w->frag_seen = NULL;
}

struct rte_mbuf *
hp_defrag_packet(struct hp_worker *w, struct rte_mbuf *m, const struct hp_pkt *pkt,
		 uint64_t now)
{
	uint32_t before = w->dr.cnt;
	uint32_t dgram_end = (uint32_t)pkt->l3_off + pkt->l3_len;
	struct rte_mbuf *r;

	if (seen_before(w, m, pkt, now)) {
		w->ctr.c[HP_CTR_DEFRAG_DUPLICATE]++;
		rte_pktmbuf_free(m);
		return NULL;
	}
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
	w->ctr.c[HP_CTR_DEFRAG_FRAGMENTS_DROPPED] += w->dr.cnt - before;
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
