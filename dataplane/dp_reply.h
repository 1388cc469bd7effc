/* SPDX-License-Identifier: BSD-3-Clause
 * Packets the appliance writes itself when it rejects a request (DESIGN §1 holding policy):
 * a RST toward the server (sequence-correct, so the server discards the partial request), an
 * HTTP answer toward the client (4xx/5xx, Connection: close, FIN), or a RST toward the client.
 *
 * Each is built in a fresh mbuf from the headers of the segment being held: the L2 header is
 * reused as is (VLAN tags kept; MACs swapped for the reverse direction), IPv4/IPv6 and TCP
 * headers are written anew (no options), checksums computed in software. They are queued on
 * the worker and transmitted after the burst's forwarded packets, so a RST never overtakes
 * the data of its own flow that came in the same burst.
 */
#ifndef HP_DP_REPLY_H
#define HP_DP_REPLY_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_tcp.h>

#include "dp_decode.h"
#include "dp_event.h"

struct hp_worker;

#define HP_REPLY_MAX 64 /* crafted packets queued per worker between two bursts */

/* Queue a TCP segment built from the template frame (data, pkt). reverse: swap addresses,
 * ports and MACs (toward the template's sender). port: where it goes out. Returns 0, or -1
 * when no mbuf or queue slot was free (counted reject_nombuf). */
int hp_reply_tcp(struct hp_worker *w, uint16_t port, const uint8_t *data, const struct hp_pkt *pkt,
		 bool reverse, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *payload,
		 uint16_t plen);

/* The prepared HTTP answer for a reject reason: status line, headers, JSON body. */
const uint8_t *hp_reply_answer(enum hp_ev_reason r, uint16_t *len);
/* Status code sent for a reason (401, 404, 409, 413, 400, 431, 503). */
uint16_t hp_reply_status(enum hp_ev_reason r);

/* Build the answer table (once, at start). */
void hp_reply_init(void);

#endif /* HP_DP_REPLY_H */
