/* SPDX-License-Identifier: BSD-3-Clause
 * hookpath side of bench_http: lib/stream reassembly (referencing, not copying) feeding the
 * lib/http parser, one connection after the other, with the same limits the dataplane uses by
 * default. The owner of every segment is a dummy (the input stays in memory).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench_http.h"
#include "http_parse.h"
#include "stream_reasm.h"

struct hp_conn_ctx {
	struct hp_http_conn *http;
	unsigned int dir;
};

static uint64_t hp_requests, hp_body;

static void
on_complete(void *ctx, const struct hp_http_request *req)
{
	(void)ctx;
	(void)req;
	hp_requests++;
}

static void
on_body(void *ctx, const struct hp_http_request *req, const uint8_t *data, size_t len)
{
	(void)ctx;
	(void)req;
	(void)data;
	hp_body += len;
}

static void
deliver(void *ctx, const uint8_t *data, uint32_t len)
{
	struct hp_conn_ctx *c = ctx;

	if (c->dir == 0)
		hp_http_feed_request(c->http, data, len);
	else
		hp_http_feed_response(c->http, data, len);
}

static void
gap(void *ctx, uint32_t len)
{
	struct hp_conn_ctx *c = ctx;

	if (c->dir == 0)
		hp_http_gap_request(c->http, len);
	else
		hp_http_gap_response(c->http, len);
}

static void
ref_noop(void *owner)
{
	(void)owner;
}

void
bench_run_hookpath(const struct bench_input *in, struct bench_result *r)
{
	static const struct hp_http_callbacks cb = {
		.on_request_body = on_body,
		.on_request_complete = on_complete,
	};
	static struct hp_stream_seg nodes[4096];
	static uint8_t hdr[16384], line[8192], body[16384];
	static struct hp_http_header fields[64];
	static struct hp_stream_config scfg;
	static struct hp_stream_pool pool;
	static struct hp_stream_usage usage;
	static struct hp_stream_counters sctr;
	static uint64_t conn_mem[4096];
	struct hp_stream_env env = {
		.cfg = &scfg,
		.pool = &pool,
		.usage = &usage,
		.ctr = &sctr,
		.deliver = deliver,
		.gap = gap,
		.ref = ref_noop,
		.unref = ref_noop,
	};
	struct hp_http_conn *http = (struct hp_http_conn *)conn_mem;
	struct hp_http_cfg hcfg = {
		.limits = HP_HTTP_LIMITS_DEFAULT,
		.hdr_buf = hdr,
		.fields = fields,
		.resp_line = line,
		.body_copy = body,
		.cb = &cb,
	};
	struct hp_conn_ctx ctx[2] = {{http, 0}, {http, 1}};
	struct hp_stream st;

	hcfg.limits.body_copy_max = sizeof(body);
	hp_stream_config_default(&scfg);
	hp_stream_pool_init(&pool, nodes, 4096);
	hp_requests = hp_body = 0;
	if (hp_http_conn_size() > sizeof(conn_mem))
		abort(); /* the benchmark's own buffer: a build mistake, not a runtime condition */
	for (unsigned int i = 0; i < in->n_conns; i++) {
		const struct bench_conn *c = &in->conns[i];

		hp_http_init(http, &hcfg);
		hp_stream_init(&st, &ctx[0], &ctx[1]);
		for (unsigned int j = 0; j < c->n_segs; j++) {
			const struct bench_seg *s = &c->segs[j];
			unsigned int d = s->to_server ? 0 : 1;
			uint32_t seq = s->seq;

			if (s->flags & 0x02) {
				hp_stream_start(&st, d, s->seq);
				seq++;
			}
			hp_stream_segment(&env, &st, d, seq, s->data, s->len, NULL,
					  (s->flags & 0x01) ? HP_STREAM_SEG_FIN : 0);
		}
		hp_stream_close(&env, &st, 0);
		hp_stream_close(&env, &st, 1);
		hp_stream_release(&env, &st);
	}
	r->requests = hp_requests;
	r->body_bytes = hp_body;
}
