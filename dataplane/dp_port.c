/* SPDX-License-Identifier: BSD-3-Clause
 * Port and mempool setup (control thread, at start).
 *
 * Queue layout: every port gets one tx queue per worker (worker w transmits on queue w, so no
 * tx lock). Rx: when every port has RSS and enough queues, one rx queue per worker, RSS with a
 * symmetric Toeplitz key so both directions of a flow hash to the same queue index on every
 * port (and that index is the worker); otherwise as many rx queues as the device has (up to
 * the worker count) and software dispatch between workers (dp_worker.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "dp_types.h"
#include "dp_port.h"
#include "dp_log.h"

/* 0x6d5a repeated makes Toeplitz symmetric: hash(a, b) == hash(b, a). */
static uint8_t sym_rss_key[64];

static int
port_socket(uint16_t port)
{
	int s = rte_eth_dev_socket_id(port);

	return s < 0 ? 0 : s; /* vdevs report SOCKET_ID_ANY */
}

static void
used_ports(const struct hp_config *cfg, struct hp_dp *dp)
{
	const struct hp_dataplane_config *dc = &cfg->dataplane;
	uint16_t p;

	if (dc->n_ports == 0) { /* tap with no list: every port */
		RTE_ETH_FOREACH_DEV(p)
		dp->ports[p].used = true;
		return;
	}
	for (unsigned int i = 0; i < dc->n_ports; i++)
		dp->ports[dc->ports[i]].used = true;
}

/* mbufs one socket needs: descriptors of its ports, per-worker caches and buffers,
 * fragments the reassembly tables may hold, packets sitting in dispatch rings. */
static uint32_t
pool_need(const struct hp_dp *dp, int socket)
{
	const struct hp_dataplane_config *dc = &dp->cfg->dataplane;
	uint64_t n = 0;
	unsigned int n_ports = 0;

	for (unsigned int p = 0; p < RTE_MAX_ETHPORTS; p++) {
		if (!dp->ports[p].used)
			continue;
		n_ports++;
		if (port_socket(p) == socket)
			n += (uint64_t)dp->ports[p].n_rxq * dc->rx_desc +
			     (uint64_t)dp->ports[p].n_txq * dc->tx_desc;
	}
	for (unsigned int w = 0; w < dp->n_workers; w++) {
		const struct hp_worker *wk = dp->workers[w];

		if (wk->socket != socket)
			continue;
		n += (uint64_t)dc->burst * (n_ports + 2) + dc->mbuf_cache * 3 / 2;
		if (dc->defrag.enabled) /* dp_defrag.c: the fragments it holds, one reassembled
					 * chain (64 KiB in >= 1 KiB segments), one re-fragmentation
					 * (~max_fragments, or 64 KiB cut at the MTU) */
			n += (uint64_t)dc->defrag.max_held + 65535 / 1024 + 1 +
			     RTE_MAX(dc->defrag.max_fragments,
				     65535 / RTE_MAX(dc->mtu - 68, 8u) + 1);
		if (dp->dispatch)
			n += (uint64_t)(dp->n_workers - 1) * dc->dispatch_ring;
		n += dp->cfg->dataplane.reassembly.segments; /* mbufs the stream may hold */
		if (dc->mode == HP_MODE_BRIDGE) /* held until their request's verdict */
			n += dp->cfg->pii.held_per_worker;
	}
	n += 1024; /* control-path slack */
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static int
create_pools(struct hp_dp *dp, char *err, size_t errlen)
{
	const struct hp_dataplane_config *dc = &dp->cfg->dataplane;
	bool need[RTE_MAX_NUMA_NODES] = {false};
	uint32_t frame = dc->mtu + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN + RTE_ETHER_CRC_LEN;
	uint16_t room = RTE_MBUF_DEFAULT_BUF_SIZE;

	if (frame + RTE_PKTMBUF_HEADROOM > room)
		room = RTE_ALIGN_CEIL(frame + RTE_PKTMBUF_HEADROOM, 1024);
	for (unsigned int p = 0; p < RTE_MAX_ETHPORTS; p++)
		if (dp->ports[p].used)
			need[port_socket(p)] = true;
	for (unsigned int w = 0; w < dp->n_workers; w++)
		need[dp->workers[w]->socket] = true;

	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		char name[RTE_MEMPOOL_NAMESIZE];
		uint32_t n;

		if (!need[s])
			continue;
		n = pool_need(dp, s);
		if (dc->mbufs != 0) {
			if (dc->mbufs < n)
				HP_LOG(WARNING,
				       "dataplane.mbufs: %u is below the %u mbufs socket %d needs "
				       "when "
				       "every queue, cache and reassembly table is full; rx may "
				       "stall "
				       "under load (counted as rx_nombuf)\n",
				       dc->mbufs, n, s);
			n = dc->mbufs;
		}
		snprintf(name, sizeof(name), "hp_mbuf_s%d", s);
		dp->pools[s] = rte_pktmbuf_pool_create(name, n, dc->mbuf_cache, 0, room, s);
		if (dp->pools[s] == NULL) {
			snprintf(
				err, errlen,
				"mbuf pool for socket %d: cannot allocate %u mbufs of %u bytes: %s "
				"(lower dataplane.mbufs, rx_desc/tx_desc or defrag.max_held, or "
				"give "
				"EAL more memory with -m)",
				s, n, room, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		dp->pool_size[s] = n;
		HP_LOG(INFO, "mbuf pool socket %d: %u mbufs x %u bytes, cache %u\n", s, n, room,
		       dc->mbuf_cache);
	}
	return 0;
}

static int
setup_port(struct hp_dp *dp, uint16_t port, char *err, size_t errlen)
{
	const struct hp_dataplane_config *dc = &dp->cfg->dataplane;
	struct hp_port_info *pi = &dp->ports[port];
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	char link_str[RTE_ETH_LINK_MAX_STR_LEN];
	uint16_t rx_desc = dc->rx_desc, tx_desc = dc->tx_desc;
	int socket = port_socket(port);
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0) {
		snprintf(err, errlen, "port %u: cannot get device info: %s", port, strerror(-ret));
		return ret;
	}
	memset(&conf, 0, sizeof(conf));
	if (!dp->dispatch && dp->n_workers > 1) {
		uint8_t key_len = info.hash_key_size ? info.hash_key_size : 40;

		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = sym_rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len =
			RTE_MIN(key_len, (uint8_t)sizeof(sym_rss_key));
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
	}
	/* Checksums the NIC verifies are not verified again in software (dp_worker.c). */
	if (dc->checksum_validation)
		conf.rxmode.offloads |= info.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM |
								RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
								RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	if (dc->clock == HP_CLOCK_CAPTURE) {
		/* the field every PMD that timestamps writes to; net_pcap of DPDK 22.11 fills
		 * it from the pcap without advertising the offload */
		ret = rte_mbuf_dyn_rx_timestamp_register(&dp->ts_off, &dp->ts_flag);
		if (ret != 0) {
			snprintf(err, errlen, "dataplane.clock capture: no rx timestamp field: %s",
				 rte_strerror(rte_errno));
			return -ENOTSUP;
		}
		if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP)
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
		else if (strncmp(pi->name, "net_pcap", 8) != 0)
			HP_LOG(NOTICE,
			       "port %u (%s): no rx timestamps; dataplane.clock capture judges its "
			       "packets at the wall clock\n",
			       port, pi->name);
	}

	ret = rte_eth_dev_configure(port, pi->n_rxq, pi->n_txq, &conf);
	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s): configure with %u rx / %u tx queues: %s", port,
			 pi->name, pi->n_rxq, pi->n_txq, strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_set_mtu(port, dc->mtu);
	if (ret == -ENOTSUP)
		HP_LOG(NOTICE,
		       "port %u (%s): device cannot set its MTU; dataplane.mtu %u not applied\n",
		       port, pi->name, dc->mtu);
	else if (ret != 0) {
		snprintf(err, errlen,
			 "port %u (%s): dataplane.mtu %u refused by the device: %s "
			 "(device range %u..%u)",
			 port, pi->name, dc->mtu, strerror(-ret), info.min_mtu, info.max_mtu);
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_desc, &tx_desc);
	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s): descriptor counts: %s", port, pi->name,
			 strerror(-ret));
		return ret;
	}
	for (uint16_t q = 0; q < pi->n_rxq; q++) {
		/* rx queue q is polled by worker q: allocate from that worker's socket */
		int wsock = dp->workers[q % dp->n_workers]->socket;
		struct rte_eth_rxconf rxconf = info.default_rxconf;

		rxconf.offloads = conf.rxmode.offloads;
		ret = rte_eth_rx_queue_setup(port, q, rx_desc, socket, &rxconf, dp->pools[wsock]);
		if (ret != 0) {
			snprintf(err, errlen, "port %u (%s): rx queue %u: %s", port, pi->name, q,
				 strerror(-ret));
			return ret;
		}
	}
	for (uint16_t q = 0; q < pi->n_txq; q++) {
		struct rte_eth_txconf txconf = info.default_txconf;

		txconf.offloads = conf.txmode.offloads;
		ret = rte_eth_tx_queue_setup(port, q, tx_desc, socket, &txconf);
		if (ret != 0) {
			snprintf(err, errlen, "port %u (%s): tx queue %u: %s", port, pi->name, q,
				 strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_promiscuous_enable(port);
	if (ret != 0 && ret != -ENOTSUP)
		HP_LOG(WARNING, "port %u (%s): promiscuous mode: %s\n", port, pi->name,
		       strerror(-ret));
	ret = rte_eth_dev_start(port);
	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s): start: %s", port, pi->name, strerror(-ret));
		return ret;
	}
	if (conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS && info.reta_size > 0) {
		/* Pin the RETA to entry i -> queue i % n_rxq so queue == worker on every port. */
		struct rte_eth_rss_reta_entry64
			reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
		uint16_t size = RTE_MIN(info.reta_size, (uint16_t)RTE_ETH_RSS_RETA_SIZE_512);

		memset(reta, 0, sizeof(reta));
		for (uint16_t i = 0; i < size; i++) {
			reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL
								  << (i % RTE_ETH_RETA_GROUP_SIZE);
			reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
				i % pi->n_rxq;
		}
		ret = rte_eth_dev_rss_reta_update(port, reta, size);
		if (ret != 0 && ret != -ENOTSUP)
			HP_LOG(WARNING, "port %u (%s): RETA update: %s\n", port, pi->name,
			       strerror(-ret));
	}
	ret = rte_eth_link_get_nowait(port, &link);
	if (ret == 0) {
		rte_eth_link_to_str(link_str, sizeof(link_str), &link);
		HP_LOG(INFO, "port %u (%s): %u rx / %u tx queues, %s, %s\n", port, pi->name,
		       pi->n_rxq, pi->n_txq,
		       conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS ? "symmetric RSS"
		       : dp->dispatch                           ? "software dispatch"
								: "single worker",
		       link_str);
	}
	return 0;
}

int
hp_port_setup_all(struct hp_dp *dp, char *err, size_t errlen)
{
	bool all_rss = true;
	int ret;

	for (unsigned int i = 0; i < sizeof(sym_rss_key); i += 2) {
		sym_rss_key[i] = 0x6d;
		sym_rss_key[i + 1] = 0x5a;
	}
	used_ports(dp->cfg, dp);
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		struct hp_port_info *pi = &dp->ports[p];
		struct rte_eth_dev_info info;

		if (!pi->used)
			continue;
		ret = rte_eth_dev_info_get(p, &info);
		if (ret != 0) {
			snprintf(err, errlen, "port %u: cannot get device info: %s", p,
				 strerror(-ret));
			return ret;
		}
		rte_eth_dev_get_name_by_port(p, pi->name);
		pi->socket = port_socket(p);
		pi->has_rss =
			info.flow_type_rss_offloads != 0 && info.max_rx_queues >= dp->n_workers;
		all_rss &= pi->has_rss;
		if (info.max_tx_queues < dp->n_workers) {
			snprintf(err, errlen,
				 "port %u (%s): has %u tx queues, %u workers need one each "
				 "(lower dataplane.workers; net_pcap: one tx_pcap per worker; "
				 "net_af_packet: qpairs=%u)",
				 p, pi->name, info.max_tx_queues, dp->n_workers, dp->n_workers);
			return -EINVAL;
		}
		pi->n_txq = dp->n_workers;
		pi->n_rxq = RTE_MIN(info.max_rx_queues, dp->n_workers);
		if (pi->n_rxq == 0) {
			snprintf(err, errlen,
				 "port %u (%s): device has no rx queue (net_pcap needs "
				 "rx_pcap= or iface=)",
				 p, pi->name);
			return -EINVAL;
		}
	}
	dp->dispatch = dp->n_workers > 1 && !all_rss;
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++)
		if (dp->ports[p].used && dp->dispatch && !all_rss)
			dp->ports[p].n_rxq = RTE_MIN(dp->ports[p].n_rxq, dp->n_workers);

	ret = create_pools(dp, err, errlen);
	if (ret != 0)
		return ret;
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		if (!dp->ports[p].used)
			continue;
		ret = setup_port(dp, p, err, errlen);
		if (ret != 0)
			return ret;
	}
	return 0;
}

void
hp_port_close_all(struct hp_dp *dp)
{
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		if (!dp->ports[p].used)
			continue;
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
		dp->ports[p].used = false;
	}
}
