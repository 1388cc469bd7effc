/* SPDX-License-Identifier: BSD-3-Clause
 * Captures of refused requests (forensics.pcapng): what a worker hands the control thread
 * (controlplane/ctl_capture.c), which writes them as a pcapng. Each worker owns
 * forensics.ring slots of HP_CAP_SLOT_SIZE(max_request_bytes) bytes, made at start, and two
 * SP/SC rings of slot pointers (hp_dp_capture_rings): "full" (worker -> control thread) and
 * "free" (control thread -> worker, every slot in it at start). A worker with no free slot
 * counts forensics_dropped and goes on: it never waits, never allocates.
 */
#ifndef HP_DP_CAPTURE_MSG_H
#define HP_DP_CAPTURE_MSG_H

#include <stdint.h>

#include "dp_event.h"

/* flags */
#define HP_CAP_F_TRUNCATED 0x01 /* the request was longer than data[] holds: cut */
#define HP_CAP_F_CHUNKED   0x02 /* the body in data[] is de-chunked (the head says chunked) */
#define HP_CAP_F_HEAD_PART 0x04 /* the head failed to parse: data[] is what was taken of it */
#define HP_CAP_F_BODY_PART                                                                         \
	0x08 /* the body is not whole (refused before its end, or bytes                            \
	      * beyond http.body_copy_max / lost to a gap) */

struct hp_cap_rec {
	uint64_t tsc;      /* rx of the segment that completed (or broke) the request */
	uint64_t orig_len; /* bytes of the request seen (head + body, de-chunked) */
	uint8_t src[16];   /* client */
	uint8_t dst[16];   /* server */
	uint16_t sport, dport;
	uint8_t family;  /* 4 or 6 */
	uint8_t verdict; /* enum hp_ev_verdict */
	uint8_t reason;  /* enum hp_ev_reason */
	uint8_t worker;
	uint16_t flags; /* HP_CAP_F_* */
	uint8_t webhook_id_len;
	uint8_t pad;
	uint32_t head_len; /* data[0, head_len) is the head, the body follows */
	uint32_t len;      /* bytes in data[] */
	char ep_name[64];  /* "" when unrouted */
	char webhook_id[HP_EV_ID_MAX];
	uint8_t data[]; /* forensics.max_request_bytes */
} __attribute__((aligned(8)));

#define HP_CAP_SLOT_SIZE(max_request_bytes)                                                        \
	(((sizeof(struct hp_cap_rec) + (max_request_bytes)) + 63) & ~(size_t)63)

#endif /* HP_DP_CAPTURE_MSG_H */
