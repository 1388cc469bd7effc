/* SPDX-License-Identifier: BSD-3-Clause
 * A running dataplane for tests (harness.c): hp_dp_init() on two ring ports made with
 * rte_eth_from_rings (port 0 the client side, port 1 the server side), one worker launched
 * on lcore 1; the test writes what the client and the server send and reads what hookpath
 * transmits to each, decoded (checksums verified) and what its worker reports (events,
 * counters). cmocka asserts inside: call from tests only.
 */
#ifndef HP_TEST_HARNESS_H
#define HP_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"
#include "dp_decode.h"
#include "dp_event.h"

#define HX_CLIENT 0xC6120001u /* 198.18.0.1 */
#define HX_SERVER 0xC6130001u /* 198.19.0.1 */
#define HX_C_ISN  1000u
#define HX_S_ISN  5000u

/* EAL (lcores 0 and 1, --no-huge, file prefix from name), ports, cfg loaded, dataplane
 * initialised and launched: 0, or -1 with the reason on stderr. */
int hx_start(const char *name, const char *cfg_yaml);
void hx_stop(void);

/* What hookpath sent out of a port, decoded. */
struct hx_out {
	uint8_t frame[2048];
	uint32_t len;
	struct hp_pkt pkt;
};

/* A TCP segment in, from the client (to_server) or the server. */
void hx_send(bool to_server, uint16_t cport, uint32_t seq, uint32_t ack, uint8_t flags,
	     const char *payload);
/* The next packet out of port p within ms (false: none). */
bool hx_next_out(unsigned int p, struct hx_out *o, unsigned int ms);
void hx_expect_out(unsigned int p, uint32_t seq, uint8_t flags, uint16_t payload_len);
void hx_expect_nothing(unsigned int p, unsigned int ms);
/* The next event of worker 0 within ms. */
bool hx_next_event(struct hp_event *e, unsigned int ms);
/* A counter summed over the workers, by symbol or by its stable name (0 if unknown). */
uint64_t hx_counter(enum hp_ctr c);
uint64_t hx_counter_named(const char *name);

/* A connection through the bridge. */
struct hx_conn {
	uint16_t port; /* client port */
	uint32_t cseq; /* client's next sequence number */
	uint32_t sseq; /* server's next */
};

/* Handshake: each packet comes out of the other port as it went in. */
void hx_open(struct hx_conn *c, uint16_t port);
/* A POST in two segments (headers + first half of the body, the rest with PSH); extra:
 * more header lines ("Name: value\r\n"...), may be "". Their lengths in len. */
void hx_post(struct hx_conn *c, const char *host, const char *extra, const char *body,
	     uint16_t len[2]);
/* A refused request: the RST to the server at the request's first byte, the prepared answer
 * of the reason to the client at its exact ack, acknowledging req_end, with a FIN; nothing
 * else on either side. */
void hx_expect_refused(const struct hx_conn *c, uint32_t req_end, enum hp_ev_reason why);

#endif /* HP_TEST_HARNESS_H */
