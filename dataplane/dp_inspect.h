/* SPDX-License-Identifier: BSD-3-Clause
 * The inspection hook: where TCP reassembly, HTTP, verification and PII stages plug in.
 *
 * Called by a worker with a burst of decoded, checksum-valid IP packets (or reassembled
 * datagrams) that belong to this worker's flows; it returns one verdict per packet. It owns no
 * mbuf: the worker forwards or frees them according to the verdicts. Must not block, allocate
 * or log.
 */
#ifndef HP_DP_INSPECT_H
#define HP_DP_INSPECT_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "dp_decode.h"

struct hp_worker;

enum hp_verdict {
	HP_VERDICT_FORWARD = 0, /* bridge: transmit on the paired port */
	HP_VERDICT_DROP,        /* bridge: free it (counted by the stage that decided) */
	HP_VERDICT_HOLD,        /* bridge: a stage took it (held, or already transmitted by a
				 * release): the caller neither sends nor frees it */
};

/* One packet to inspect. data points at the frame's first byte (contiguous: the mbuf's data
 * or the worker's scratch copy of a chained datagram); pkt was decoded from it. */
struct hp_inspect_item {
	struct rte_mbuf *m;
	const uint8_t *data;
	struct hp_pkt pkt;
};

void hp_inspect_burst(struct hp_worker *w, struct hp_inspect_item *items, uint16_t n,
		      uint8_t *verdicts);

#endif /* HP_DP_INSPECT_H */
