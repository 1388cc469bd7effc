/* SPDX-License-Identifier: BSD-3-Clause
 * Shared by bench_http.c (pcap loading, libhtp side, reporting) and bench_http_hp.c (the
 * hookpath side): TCP segments of complete connections, in capture order.
 */
#ifndef HP_BENCH_HTTP_H
#define HP_BENCH_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#define BENCH_MAX_CONNS 20000
#define BENCH_MAX_SEGS  64

struct bench_seg {
	uint8_t *data;
	uint32_t len;
	uint32_t seq;
	uint8_t flags; /* TCP flags */
	bool to_server;
};

struct bench_conn {
	uint32_t cip, sip; /* network order */
	uint16_t cport, sport;
	unsigned int n_segs;
	struct bench_seg segs[BENCH_MAX_SEGS];
};

struct bench_input {
	unsigned int n_conns;
	uint64_t payload_bytes;
	struct bench_conn conns[BENCH_MAX_CONNS];
};

struct bench_result {
	uint64_t requests;
	uint64_t body_bytes;
};

/* One pass of hookpath's stream reassembly + HTTP parser over every connection. */
void bench_run_hookpath(const struct bench_input *in, struct bench_result *r);

#endif /* HP_BENCH_HTTP_H */
