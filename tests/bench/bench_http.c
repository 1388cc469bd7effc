/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP extraction benchmark: hookpath's stream reassembly + HTTP parser next to libhtp (the
 * parser Suricata uses, Debian libhtp-dev) over the same TCP streams, in memory, same run.
 * Prints figures, never passes or fails.
 *
 * Input: a pcap of complete TCP sessions in order (pktgen-scripts/hp_pcapgen.py webhooks);
 * every TCP payload is loaded in memory, grouped by connection, in capture order. Both sides
 * get the same segments in the same order, client and server directions, and must count the
 * same requests and body bytes (checked, so the comparison is of equal work).
 *
 * usage: bench_http FILE.pcap [iterations]
 * BENCH_HTTP_ONLY=hookpath in the environment runs hookpath's side alone (for a profile).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <htp/htp.h>

#include "bench_http.h"

/* ---- pcap loading ---- */

static int
load_pcap(const char *path, struct bench_input *in)
{
	FILE *f = fopen(path, "rb");
	uint8_t gh[24], ph[16];
	static uint8_t frame[65536];

	if (f == NULL)
		return -errno;
	if (fread(gh, 1, 24, f) != 24 || gh[0] != 0xd4 || gh[1] != 0xc3) {
		fclose(f);
		return -EINVAL; /* little-endian microsecond pcap, Ethernet, as the generator writes
				 */
	}
	memset(in, 0, sizeof(*in));
	while (fread(ph, 1, 16, f) == 16) {
		uint32_t incl, sip, dip;
		uint16_t sport, dport, etype, ip_len;
		unsigned int ihl, thl, off = 14;
		struct bench_conn *c = NULL;
		struct bench_seg *s;

		memcpy(&incl, ph + 8, 4);
		if (incl > sizeof(frame) || fread(frame, 1, incl, f) != incl)
			break;
		etype = (uint16_t)(frame[12] << 8 | frame[13]);
		while (etype == 0x8100 || etype == 0x88a8) {
			etype = (uint16_t)(frame[off + 2] << 8 | frame[off + 3]);
			off += 4;
		}
		if (etype != 0x0800 || frame[off + 9] != 6)
			continue;
		ihl = (frame[off] & 0x0f) * 4u;
		ip_len = (uint16_t)(frame[off + 2] << 8 | frame[off + 3]);
		memcpy(&sip, frame + off + 12, 4);
		memcpy(&dip, frame + off + 16, 4);
		sport = (uint16_t)(frame[off + ihl] << 8 | frame[off + ihl + 1]);
		dport = (uint16_t)(frame[off + ihl + 2] << 8 | frame[off + ihl + 3]);
		thl = (frame[off + ihl + 12] >> 4) * 4u;
		for (unsigned int i = 0; i < in->n_conns; i++) {
			struct bench_conn *k = &in->conns[i];

			if ((k->cip == sip && k->cport == sport && k->sip == dip &&
			     k->sport == dport) ||
			    (k->cip == dip && k->cport == dport && k->sip == sip &&
			     k->sport == sport)) {
				c = k;
				break;
			}
		}
		if (c == NULL) {
			if (in->n_conns == BENCH_MAX_CONNS)
				continue;
			c = &in->conns[in->n_conns++];
			c->cip = sip; /* the first packet (SYN) comes from the client */
			c->cport = sport;
			c->sip = dip;
			c->sport = dport;
		}
		if (c->n_segs == BENCH_MAX_SEGS)
			continue;
		s = &c->segs[c->n_segs];
		s->to_server = c->cip == sip && c->cport == sport;
		s->seq = (uint32_t)frame[off + ihl + 4] << 24 |
			 (uint32_t)frame[off + ihl + 5] << 16 |
			 (uint32_t)frame[off + ihl + 6] << 8 | frame[off + ihl + 7];
		s->flags = frame[off + ihl + 13];
		s->len = ip_len - ihl - thl;
		if (s->len != 0) {
			s->data = malloc(s->len);
			if (s->data == NULL)
				break;
			memcpy(s->data, frame + off + ihl + thl, s->len);
			in->payload_bytes += s->len;
		}
		c->n_segs++;
	}
	fclose(f);
	return in->n_conns ? 0 : -ENODATA;
}

/* ---- libhtp side ---- */

static uint64_t htp_requests, htp_body;

static int
htp_on_request_complete(htp_tx_t *tx)
{
	(void)tx;
	htp_requests++;
	return HTP_OK;
}

static int
htp_on_body(htp_tx_data_t *d)
{
	htp_body += d->len;
	return HTP_OK;
}

static void
run_libhtp(const struct bench_input *in, struct bench_result *r)
{
	htp_cfg_t *cfg = htp_config_create();
	htp_time_t t = {0, 0};

	htp_config_set_server_personality(cfg, HTP_SERVER_APACHE_2);
	htp_config_register_request_complete(cfg, htp_on_request_complete);
	htp_config_register_request_body_data(cfg, htp_on_body);
	htp_requests = htp_body = 0;
	for (unsigned int i = 0; i < in->n_conns; i++) {
		const struct bench_conn *c = &in->conns[i];
		htp_connp_t *cp = htp_connp_create(cfg);

		htp_connp_open(cp, "198.18.0.1", c->cport, "198.19.0.1", c->sport, &t);
		for (unsigned int j = 0; j < c->n_segs; j++) {
			const struct bench_seg *s = &c->segs[j];

			if (s->len == 0)
				continue;
			if (s->to_server)
				htp_connp_req_data(cp, &t, s->data, s->len);
			else
				htp_connp_res_data(cp, &t, s->data, s->len);
		}
		htp_connp_close(cp, &t);
		htp_connp_destroy_all(cp);
	}
	htp_config_destroy(cfg);
	r->requests = htp_requests;
	r->body_bytes = htp_body;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median seconds of `runs` passes of fn over the input. */
static double
measure(void (*fn)(const struct bench_input *, struct bench_result *), const struct bench_input *in,
	struct bench_result *r, int runs)
{
	double t[64];

	for (int i = 0; i < runs; i++) {
		double t0 = now_s();

		fn(in, r);
		t[i] = now_s() - t0;
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
	return t[runs / 2];
}

int
main(int argc, char **argv)
{
	static struct bench_input in;
	struct bench_result rh = {0}, rl = {0};
	int runs = argc > 2 ? atoi(argv[2]) : 9;
	double th, tl;
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE.pcap [runs]\n", argv[0]);
		return 2;
	}
	if (runs < 1 || runs > 63)
		runs = 9;
	ret = load_pcap(argv[1], &in);
	if (ret != 0) {
		fprintf(stderr, "bench_http: %s: cannot load: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	th = measure(bench_run_hookpath, &in, &rh, runs);
	if (getenv("BENCH_HTTP_ONLY") != NULL &&
	    strcmp(getenv("BENCH_HTTP_ONLY"), "hookpath") == 0) {
		printf("hookpath stream + http: %.0f requests/s, %.1f ns per request\n",
		       rh.requests / th, th * 1e9 / (double)rh.requests);
		return 0;
	}
	tl = measure(run_libhtp, &in, &rl, runs);
	if (rh.requests != rl.requests || rh.body_bytes != rl.body_bytes)
		printf("WARNING: the two sides disagree: hookpath %" PRIu64 " requests / %" PRIu64
		       " body bytes, libhtp %" PRIu64 " / %" PRIu64 "\n",
		       rh.requests, rh.body_bytes, rl.requests, rl.body_bytes);
	printf("HTTP extraction, %u connections, %" PRIu64 " requests, %.1f MB of TCP payload, "
	       "median of %d runs, one core\n",
	       in.n_conns, rl.requests, in.payload_bytes / 1e6, runs);
	printf("  %-34s %12s %10s\n", "", "requests/s", "Gbit/s");
	printf("  %-34s %12.0f %10.2f\n", "libhtp 0.5 (connp, Apache personality)",
	       rl.requests / tl, in.payload_bytes * 8 / tl / 1e9);
	printf("  %-34s %12.0f %10.2f\n", "hookpath stream + http", rh.requests / th,
	       in.payload_bytes * 8 / th / 1e9);
	printf("  ratio hookpath / libhtp: %.1fx\n", tl / th);
	return 0;
}
