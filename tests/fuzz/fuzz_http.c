/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for the HTTP parser (lib/http), with a differential check of split
 * independence.
 *
 * Input: byte 0 = options (bit 0: allow bare LF, bit 1: allow missing Host, bit 2: small
 * limits, bit 3: some segments become gaps), bytes 1..8 = seed of the split points, bytes
 * 9..10 = length of the request stream (little endian, reduced modulo what is left), then the
 * request stream, then the response stream.
 *
 * The seed draws a schedule: segments of random length alternating between the directions at
 * random, some of them gaps (bit 3), then eof both ways. Four runs:
 *   A  the schedule, each segment fed whole       B  the same schedule, byte by byte
 *   C  each direction whole, requests first       D  the same order, random small pieces
 * A and B, and C and D, must produce the same callbacks (digest of every event with its
 * content, in order) and the same final states. Traps also on: body bytes delivered above
 * the request bytes fed, a view outside the header buffer, a body copy that is not a prefix of
 * the body, a callback after the direction's error, a second error for a direction.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_parse.h"

#include "fuzz.h"

#define MAX_SEGS  4096
#define BODY_KEEP 4096

struct seg {
	uint8_t dir;
	bool gap;
	uint32_t off; /* in its direction's stream */
	uint32_t len;
};

struct run {
	uint64_t digest;
	uint64_t fed[2];
	uint64_t body_total;
	uint32_t n_err[2];
	bool in_request;
	uint64_t body_hash; /* FNV of the current request's body, split independent */
	uint64_t body_len;
	uint8_t body[BODY_KEEP];
	const uint8_t *hdr;
	uint32_t hdr_cap;
};

static void
mix(struct run *r, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		r->digest = (r->digest ^ *b++) * 0x100000001b3ull;
}

static void
mix_u64(struct run *r, uint64_t v)
{
	mix(r, &v, sizeof(v));
}

static void
check_span(const struct run *r, const struct hp_http_span *s)
{
	if (s->len == 0)
		return;
	CHECK(s->p >= r->hdr && s->p + s->len <= r->hdr + r->hdr_cap);
}

static void
on_headers(void *ctx, const struct hp_http_request *q)
{
	struct run *r = ctx;
	uint32_t i;

	CHECK(r->n_err[HP_HTTP_DIR_REQUEST] == 0 && !r->in_request);
	r->in_request = true;
	r->body_hash = 0xcbf29ce484222325ull;
	r->body_len = 0;
	check_span(r, &q->method);
	check_span(r, &q->target);
	check_span(r, &q->host);
	mix(r, "H", 1);
	mix_u64(r, q->seq);
	mix_u64(r, q->flags);
	mix_u64(r, (uint64_t)q->method_id << 32 | q->version << 8 | q->body);
	mix_u64(r, q->content_length);
	mix(r, q->method.p, q->method.len);
	mix(r, q->target.p, q->target.len);
	mix(r, q->host.p, q->host.len);
	mix_u64(r, q->n_headers);
	for (i = 0; i < q->n_headers; i++) {
		check_span(r, &q->headers[i].name);
		check_span(r, &q->headers[i].value);
		CHECK(q->headers[i].name.len > 0);
		mix(r, q->headers[i].name.p, q->headers[i].name.len);
		mix(r, ":", 1);
		mix(r, q->headers[i].value.p, q->headers[i].value.len);
	}
}

static void
on_body(void *ctx, const struct hp_http_request *q, const uint8_t *p, size_t n)
{
	struct run *r = ctx;
	size_t i;

	(void)q;
	CHECK(r->in_request && n > 0);
	for (i = 0; i < n; i++) {
		if (r->body_len + i < BODY_KEEP)
			r->body[r->body_len + i] = p[i];
		r->body_hash = (r->body_hash ^ p[i]) * 0x100000001b3ull;
	}
	r->body_len += n;
	r->body_total += n;
	CHECK(r->body_total <= r->fed[HP_HTTP_DIR_REQUEST]);
}

static void
on_complete(void *ctx, const struct hp_http_request *q)
{
	struct run *r = ctx;
	uint32_t i, k;

	CHECK(r->in_request);
	r->in_request = false;
	CHECK(q->body_len == r->body_len);
	CHECK(q->body_copy_len <= q->body_len);
	k = q->body_copy_len < BODY_KEEP ? q->body_copy_len : BODY_KEEP;
	CHECK(k == 0 || memcmp(q->body_copy, r->body, k) == 0);
	for (i = 0; i < q->n_trailers; i++) {
		check_span(r, &q->trailers[i].name);
		check_span(r, &q->trailers[i].value);
		mix(r, q->trailers[i].name.p, q->trailers[i].name.len);
		mix(r, q->trailers[i].value.p, q->trailers[i].value.len);
	}
	mix(r, "C", 1);
	mix_u64(r, q->seq);
	mix_u64(r, q->flags);
	mix_u64(r, q->body_len);
	mix_u64(r, q->body_gap);
	mix_u64(r, q->body_copy_len);
	mix_u64(r, r->body_hash);
}

static void
on_status(void *ctx, const struct hp_http_response *s)
{
	struct run *r = ctx;

	CHECK(r->n_err[HP_HTTP_DIR_RESPONSE] == 0);
	CHECK(s->status >= 100 && s->status <= 599);
	mix(r, "S", 1);
	mix_u64(r, (uint64_t)s->req_seq << 32 | s->status);
	mix_u64(r, (uint64_t)s->flags << 32 | (uint64_t)s->version << 8 | s->body);
	mix_u64(r, s->content_length);
}

static void
on_error(void *ctx, enum hp_http_dir dir, enum hp_http_err err, const struct hp_http_request *q)
{
	struct run *r = ctx;

	CHECK(dir == HP_HTTP_DIR_REQUEST || dir == HP_HTTP_DIR_RESPONSE);
	CHECK(err > HP_HTTP_E_NONE && err < HP_HTTP_E_COUNT);
	CHECK(r->n_err[dir] == 0);
	CHECK(hp_http_err_reason(err) != HP_HTTP_R_OK);
	if (dir == HP_HTTP_DIR_REQUEST) {
		CHECK((q != NULL) == r->in_request);
		r->in_request = false;
	} else {
		CHECK(q == NULL);
	}
	r->n_err[dir]++;
	mix(r, "E", 1);
	mix_u64(r, (uint64_t)dir << 32 | err);
	mix_u64(r, q != NULL);
}

static const struct hp_http_callbacks fuzz_cb = {
	.on_request_headers = on_headers,
	.on_request_body = on_body,
	.on_request_complete = on_complete,
	.on_response_status = on_status,
	.on_error = on_error,
};

static uint64_t
rnd(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Per-run memory: static, reused (the parser allocates nothing either). */
static uint64_t conn_mem[4096 / 8];
static uint8_t hdr_buf[16384], resp_line[8192], body_copy[4096];
static struct hp_http_header fields[64];
static struct seg segs[MAX_SEGS];

static void
run_init(struct run *r, uint8_t opt)
{
	struct hp_http_cfg cfg;

	memset(r, 0, sizeof(*r));
	r->digest = 0xcbf29ce484222325ull;
	memset(&cfg, 0, sizeof(cfg));
	if (opt & 4) {
		cfg.limits.max_line = 32;
		cfg.limits.max_headers = 4;
		cfg.limits.max_header_bytes = 128;
		cfg.limits.body_copy_max = 16;
		cfg.limits.max_outstanding = 2;
	} else {
		cfg.limits.max_line = 1024;
		cfg.limits.max_headers = 64;
		cfg.limits.max_header_bytes = sizeof(hdr_buf);
		cfg.limits.body_copy_max = sizeof(body_copy);
		cfg.limits.max_outstanding = HP_HTTP_MAX_OUTSTANDING;
	}
	cfg.flags = opt & (HP_HTTP_F_ALLOW_BARE_LF | HP_HTTP_F_ALLOW_NO_HOST);
	cfg.hdr_buf = hdr_buf;
	cfg.fields = fields;
	cfg.resp_line = resp_line;
	cfg.body_copy = body_copy;
	cfg.cb = &fuzz_cb;
	cfg.ctx = r;
	r->hdr = hdr_buf;
	r->hdr_cap = cfg.limits.max_header_bytes;
	CHECK(hp_http_conn_size() <= sizeof(conn_mem));
	CHECK(hp_http_init((struct hp_http_conn *)conn_mem, &cfg) == 0);
}

static void
feed(struct run *r, int dir, const uint8_t *p, size_t n)
{
	struct hp_http_conn *c = (struct hp_http_conn *)conn_mem;
	enum hp_http_state s;

	r->fed[dir] += n;
	s = dir == HP_HTTP_DIR_REQUEST ? hp_http_feed_request(c, p, n)
				       : hp_http_feed_response(c, p, n);
	CHECK(s == hp_http_state(c, (enum hp_http_dir)dir));
	CHECK((s == HP_HTTP_S_ERROR) == (r->n_err[dir] == 1));
}

/* Feed one segment whole (step 0), byte by byte (step 1), or in pieces drawn from *rs. */
static void
feed_seg(struct run *r, const struct seg *sg, const uint8_t *const st[2], int mode, uint64_t *rs)
{
	struct hp_http_conn *c = (struct hp_http_conn *)conn_mem;
	const uint8_t *p = st[sg->dir] + sg->off;
	uint32_t n = sg->len, k;

	if (sg->gap) {
		if (sg->dir == HP_HTTP_DIR_REQUEST)
			hp_http_gap_request(c, n);
		else
			hp_http_gap_response(c, n);
		return;
	}
	if (mode == 0) {
		feed(r, sg->dir, p, n);
		return;
	}
	while (n > 0) {
		k = mode == 1 ? 1 : 1 + (uint32_t)(rnd(rs) % 7);
		if (k > n)
			k = n;
		feed(r, sg->dir, p, k);
		p += k;
		n -= k;
	}
}

static void
finish(struct run *r)
{
	struct hp_http_conn *c = (struct hp_http_conn *)conn_mem;
	int d;

	hp_http_eof(c, HP_HTTP_DIR_REQUEST);
	hp_http_eof(c, HP_HTTP_DIR_RESPONSE);
	for (d = 0; d < 2; d++) {
		mix_u64(r, hp_http_state(c, (enum hp_http_dir)d));
		mix_u64(r, hp_http_error(c, (enum hp_http_dir)d));
		CHECK(hp_http_state(c, (enum hp_http_dir)d) != HP_HTTP_S_ACTIVE);
	}
}

static struct run ra, rb;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *st[2];
	size_t len[2], off[2] = {0, 0};
	uint64_t seed, s;
	uint8_t opt;
	int nseg = 0, i, mode;

	if (size < 11)
		return 0;
	opt = data[0];
	memcpy(&seed, data + 1, 8);
	len[0] = ((size_t)data[9] | (size_t)data[10] << 8) % (size - 11 + 1);
	st[0] = data + 11;
	st[1] = st[0] + len[0];
	len[1] = size - 11 - len[0];

	/* the schedule */
	s = seed;
	while ((off[0] < len[0] || off[1] < len[1]) && nseg < MAX_SEGS) {
		int d = (int)(rnd(&s) & 1);
		uint64_t x = rnd(&s);
		size_t k;

		if (off[d] == len[d])
			d ^= 1;
		k = (x & 3) == 0 ? 1 + (x >> 8) % 256 : 1 + (x >> 8) % 24;
		if (k > len[d] - off[d] || nseg == MAX_SEGS - 1)
			k = len[d] - off[d];
		segs[nseg].dir = (uint8_t)d;
		segs[nseg].off = (uint32_t)off[d];
		segs[nseg].len = (uint32_t)k;
		segs[nseg].gap = (opt & 8) && (x >> 40) % 16 == 0;
		off[d] += k;
		nseg++;
	}

	/* A vs B: the schedule whole, then byte by byte */
	run_init(&ra, opt);
	for (i = 0; i < nseg; i++)
		feed_seg(&ra, &segs[i], st, 0, NULL);
	finish(&ra);
	run_init(&rb, opt);
	for (i = 0; i < nseg; i++)
		feed_seg(&rb, &segs[i], st, 1, NULL);
	finish(&rb);
	CHECK(ra.digest == rb.digest);
	CHECK(ra.body_total == rb.body_total);

	/* C vs D: each direction in one block (requests first), then in random pieces */
	for (mode = 0; mode < 2; mode++) {
		struct run *r = mode == 0 ? &ra : &rb;
		struct seg whole[2] = {
			{HP_HTTP_DIR_REQUEST, false, 0, (uint32_t)len[0]},
			{HP_HTTP_DIR_RESPONSE, false, 0, (uint32_t)len[1]},
		};

		s = seed ^ 0x5555;
		run_init(r, opt);
		feed_seg(r, &whole[0], st, mode == 0 ? 0 : 2, &s);
		feed_seg(r, &whole[1], st, mode == 0 ? 0 : 2, &s);
		finish(r);
	}
	CHECK(ra.digest == rb.digest);
	return 0;
}
