/* SPDX-License-Identifier: BSD-3-Clause
 * HTTP parser tests (lib/http).
 *
 * 1. Every libhtp conversation of tests/corpus/libhtp/NN-name.t (source: OISF/libhtp test/files
 *    at 91b0117b, BSD-3-Clause, see that folder's LICENSE) is fed block by block and again byte
 *    by byte: the callback logs must be identical, and the outcome (error of each direction,
 *    number of requests and responses) must be the one in corpus_expect[] below, which was
 *    decided by reading each file against the rules of docs/HTTP.md. Every file runs in the
 *    strict default mode and in the relaxed mode (bare LF and missing Host accepted), which
 *    lets the pipelining/chunked conversations that use bare LF or omit Host run to the end.
 * 2. Hand-written cases: every framing error, every limit, chunked with extensions and trailers
 *    split at every byte position, pipelining, Expect: 100-continue, HEAD/204/304, keep-alive,
 *    CONNECT/Upgrade, gaps, eof. Each case is also fed split in two at every position.
 * 3. docs/HTTP.md names every reason and error code.
 */
#include <errno.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_parse.h"
#include "http/http_priv.h"

#define SRC(p) HP_SOURCE_ROOT "/" p
#define CORPUS HP_SOURCE_ROOT "/tests/corpus/libhtp"

/* ---- recorder ---- */

#define MAX_REQ  64
#define MAX_RESP 64
#define LOG_MAX  (64 * 1024)
#define BODY_MAX (256 * 1024)

struct ev_req {
	char method[32];
	char target[256];
	char host[128];
	uint16_t version;
	uint32_t flags; /* at completion */
	enum hp_http_body body;
	uint64_t content_length;
	uint32_t n_headers;
	uint32_t n_trailers;
	uint64_t body_len;
	uint64_t body_gap;
	bool complete;
	char trailer0[64]; /* "name=value" of the first trailer */
};

struct rec {
	char log[LOG_MAX];
	size_t log_len;
	struct ev_req req[MAX_REQ];
	int n_req;       /* recorded in req[] (at most MAX_REQ) */
	uint32_t n_seen; /* every on_request_headers */
	int n_complete;
	struct hp_http_response resp[MAX_RESP];
	int n_resp;
	uint32_t n_final; /* final responses: the next one answers request n_final */
	enum hp_http_err err[2];
	int n_err[2];
	bool err_had_req[2];
	uint8_t body[BODY_MAX]; /* body of the request in progress */
	size_t body_len;
	uint64_t body_total; /* every body byte delivered on the connection */
	int body_calls;
	bool in_request; /* between on_request_headers and complete/error */
};

static void logf_(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
logf_(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->log + r->log_len, LOG_MAX - r->log_len, fmt, ap);
	va_end(ap);
	if (n > 0 && r->log_len + (size_t)n < LOG_MAX)
		r->log_len += (size_t)n;
}

static void
span_str(char *dst, size_t cap, const struct hp_http_span *s)
{
	size_t n = s->len < cap - 1 ? s->len : cap - 1;

	if (n > 0)
		memcpy(dst, s->p, n);
	dst[n] = '\0';
}

static uint32_t
fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static void
cb_headers(void *ctx, const struct hp_http_request *q)
{
	struct rec *r = ctx;
	struct ev_req *e;
	uint32_t i;

	assert_false(r->in_request);
	assert_int_equal(q->seq, r->n_seen);
	r->n_seen++;
	r->in_request = true;
	r->body_len = 0;
	/* every view points into the request's header buffer and has a valid shape */
	assert_true(q->method.len > 0 && q->target.len > 0);
	for (i = 0; i < q->n_headers; i++)
		assert_true(q->headers[i].name.len > 0);
	logf_(r, "H%u %.*s %.*s host=%.*s v=%u f=%x body=%d cl=%llu nh=%u\n", q->seq,
	      (int)q->method.len, q->method.p, (int)q->target.len, q->target.p, (int)q->host.len,
	      q->host.p, q->version, q->flags, q->body, (unsigned long long)q->content_length,
	      q->n_headers);
	if (r->n_req >= MAX_REQ)
		return;
	e = &r->req[r->n_req++];
	memset(e, 0, sizeof(*e));
	span_str(e->method, sizeof(e->method), &q->method);
	span_str(e->target, sizeof(e->target), &q->target);
	span_str(e->host, sizeof(e->host), &q->host);
	e->version = q->version;
	e->body = q->body;
	e->content_length = q->content_length;
	e->n_headers = q->n_headers;
}

static void
cb_body(void *ctx, const struct hp_http_request *q, const uint8_t *p, size_t n)
{
	struct rec *r = ctx;

	(void)q;
	assert_true(r->in_request);
	assert_true(n > 0);
	if (r->body_len + n <= BODY_MAX)
		memcpy(r->body + r->body_len, p, n);
	r->body_len += n;
	r->body_total += n;
	r->body_calls++;
}

static void
cb_complete(void *ctx, const struct hp_http_request *q)
{
	struct rec *r = ctx;
	struct ev_req *e = &r->req[r->n_req - 1];
	struct ev_req spare;
	size_t chk = r->body_len < BODY_MAX ? r->body_len : BODY_MAX;

	assert_true(r->in_request);
	r->in_request = false;
	assert_int_equal(q->body_len, r->body_len);
	/* the copy is a prefix of the body (up to a gap) */
	assert_true(q->body_copy_len <= r->body_len);
	if (q->body_copy_len > 0)
		assert_memory_equal(q->body_copy, r->body, q->body_copy_len);
	if (!(q->flags & HP_HTTP_REQ_BODY_TRUNCATED))
		assert_int_equal(q->body_copy_len, q->body_len);
	logf_(r, "C%u len=%llu gap=%llu f=%x copy=%u body=%08x nt=%u\n", q->seq,
	      (unsigned long long)q->body_len, (unsigned long long)q->body_gap, q->flags,
	      q->body_copy_len, fnv(r->body, chk), q->n_trailers);
	if (q->seq >= MAX_REQ)
		e = &spare;
	e->complete = true;
	e->flags = q->flags;
	e->body_len = q->body_len;
	e->body_gap = q->body_gap;
	e->n_trailers = q->n_trailers;
	if (q->n_trailers > 0)
		snprintf(e->trailer0, sizeof(e->trailer0), "%.*s=%.*s",
			 (int)q->trailers[0].name.len, q->trailers[0].name.p,
			 (int)q->trailers[0].value.len, q->trailers[0].value.p);
	r->n_complete++;
}

static void
cb_status(void *ctx, const struct hp_http_response *s)
{
	struct rec *r = ctx;

	/* pairing: every final status answers the next request in order, interim ones too */
	assert_int_equal(s->req_seq, r->n_final);
	assert_true(s->req_seq < r->n_seen);
	if (!(s->flags & HP_HTTP_RESP_INTERIM))
		r->n_final++;
	logf_(r, "S%u %u v=%u f=%x body=%d cl=%llu\n", s->req_seq, s->status, s->version, s->flags,
	      s->body, (unsigned long long)s->content_length);
	if (r->n_resp < MAX_RESP)
		r->resp[r->n_resp++] = *s;
}

static void
cb_error(void *ctx, enum hp_http_dir dir, enum hp_http_err err, const struct hp_http_request *q)
{
	struct rec *r = ctx;

	assert_true(err != HP_HTTP_E_NONE && err < HP_HTTP_E_COUNT);
	assert_int_equal(r->n_err[dir], 0); /* reported once */
	if (dir == HP_HTTP_DIR_REQUEST) {
		assert_true((q != NULL) == r->in_request);
		r->in_request = false;
	} else {
		assert_null(q);
	}
	r->err[dir] = err;
	r->n_err[dir]++;
	r->err_had_req[dir] = q != NULL;
	logf_(r, "E%d %s%s\n", dir, hp_http_err_name(err), q != NULL ? " (in request)" : "");
}

static const struct hp_http_callbacks test_cb = {
	.on_request_headers = cb_headers,
	.on_request_body = cb_body,
	.on_request_complete = cb_complete,
	.on_response_status = cb_status,
	.on_error = cb_error,
};

/* ---- a connection with its buffers ---- */

struct tc {
	struct hp_http_conn *c;
	struct hp_http_limits lim;
	uint8_t *hdr, *resp_line, *copy;
	struct hp_http_header *fields;
	struct rec *rec;
};

static const struct hp_http_limits test_limits = HP_HTTP_LIMITS_DEFAULT;

static struct tc *
tc_new(const struct hp_http_limits *lim, uint32_t flags)
{
	struct tc *t = calloc(1, sizeof(*t));
	struct hp_http_cfg cfg;

	assert_non_null(t);
	t->lim = lim != NULL ? *lim : test_limits;
	t->c = malloc(hp_http_conn_size());
	t->hdr = malloc(t->lim.max_header_bytes);
	t->resp_line = malloc(t->lim.max_line);
	t->copy = t->lim.body_copy_max > 0 ? malloc(t->lim.body_copy_max) : NULL;
	t->fields = calloc(t->lim.max_headers, sizeof(*t->fields));
	t->rec = calloc(1, sizeof(*t->rec));
	assert_non_null(t->c);
	assert_non_null(t->rec);
	memset(&cfg, 0, sizeof(cfg));
	cfg.limits = t->lim;
	cfg.flags = flags;
	cfg.hdr_buf = t->hdr;
	cfg.fields = t->fields;
	cfg.resp_line = t->resp_line;
	cfg.body_copy = t->copy;
	cfg.cb = &test_cb;
	cfg.ctx = t->rec;
	assert_int_equal(hp_http_init(t->c, &cfg), 0);
	return t;
}

static void
tc_free(struct tc *t)
{
	free(t->c);
	free(t->hdr);
	free(t->resp_line);
	free(t->copy);
	free(t->fields);
	free(t->rec);
	free(t);
}

/* Feed in pieces of at most step bytes (0: all at once). */
static enum hp_http_state
feed_dir(struct tc *t, int dir, const void *data, size_t n, size_t step)
{
	const uint8_t *p = data;
	enum hp_http_state s = hp_http_state(t->c, (enum hp_http_dir)dir);

	if (step == 0)
		step = n > 0 ? n : 1;
	do {
		size_t k = n < step ? n : step;

		s = dir == HP_HTTP_DIR_REQUEST ? hp_http_feed_request(t->c, p, k)
					       : hp_http_feed_response(t->c, p, k);
		p += k;
		n -= k;
	} while (n > 0);
	return s;
}

static enum hp_http_state
req(struct tc *t, const char *s)
{
	return feed_dir(t, HP_HTTP_DIR_REQUEST, s, strlen(s), 0);
}

static enum hp_http_state
resp(struct tc *t, const char *s)
{
	return feed_dir(t, HP_HTTP_DIR_RESPONSE, s, strlen(s), 0);
}

/* ---- libhtp .t conversations ---- */

struct block {
	int dir; /* HP_HTTP_DIR_* */
	bool gap;
	const uint8_t *p;
	size_t n;
};

/* Boundary line at pos: ">>>" (client) or "<<<" (server), "><>"/"<><" for a gap, then LF or
 * CRLF. Returns the marker length (4 or 5) or 0. */
static size_t
t_boundary(const uint8_t *b, size_t len, size_t pos, int *dir, bool *gap)
{
	uint8_t c0, c1, c2;
	size_t m;

	if (pos + 4 > len)
		return 0;
	c0 = b[pos];
	c1 = b[pos + 1];
	c2 = b[pos + 2];
	if (c0 == '<' && (c1 == '<' || c1 == '>') && c2 == '<')
		*dir = HP_HTTP_DIR_RESPONSE;
	else if (c0 == '>' && (c1 == '>' || c1 == '<') && c2 == '>')
		*dir = HP_HTTP_DIR_REQUEST;
	else
		return 0;
	if (b[pos + 3] == '\n')
		m = 4;
	else if (b[pos + 3] == '\r' && pos + 4 < len && b[pos + 4] == '\n')
		m = 5;
	else
		return 0;
	*gap = c1 != c2;
	return m;
}

/* Split a .t file into blocks: a block runs from after its marker to the LF before the next
 * marker (that LF and one CR before it belong to the marker), or to the end of the file. */
static int
t_parse(const uint8_t *b, size_t len, struct block *out, int max)
{
	size_t pos = 0, m, i;
	int n = 0, dir, d2;
	bool gap, g2;

	while (pos < len) {
		m = t_boundary(b, len, pos, &dir, &gap);
		if (m == 0)
			return -1;
		pos += m;
		if (pos >= len || t_boundary(b, len, pos, &d2, &g2) > 0)
			continue; /* empty block */
		for (i = pos; i < len; i++)
			if (b[i] == '\n' && t_boundary(b, len, i + 1, &d2, &g2) > 0)
				break;
		if (n == max)
			return -1;
		out[n].dir = dir;
		out[n].gap = gap;
		out[n].p = b + pos;
		out[n].n = (i < len ? i : len) - pos;
		if (i < len && out[n].n > 0 && b[i - 1] == '\r')
			out[n].n--;
		n++;
		pos = i < len ? i + 1 : len;
	}
	return n;
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Run a conversation; step 0 = each block whole, else pieces of step bytes; then eof both
 * ways (the conversation is over). */
static void
run_blocks(struct tc *t, const struct block *bl, int nb, size_t step)
{
	int i;

	for (i = 0; i < nb; i++) {
		if (bl[i].gap) {
			if (bl[i].dir == HP_HTTP_DIR_REQUEST)
				hp_http_gap_request(t->c, bl[i].n);
			else
				hp_http_gap_response(t->c, bl[i].n);
			continue;
		}
		feed_dir(t, bl[i].dir, bl[i].p, bl[i].n, step);
	}
	hp_http_eof(t->c, HP_HTTP_DIR_REQUEST);
	hp_http_eof(t->c, HP_HTTP_DIR_RESPONSE);
}

/* Expected outcome of one file in one mode: error of each direction (E_NONE: none),
 * requests announced (on_request_headers), responses paired (on_response_status). */
struct outcome {
	enum hp_http_err req_err;
	int n_req;
	enum hp_http_err resp_err;
	int n_resp;
};

struct corpus_case {
	const char *file;
	struct outcome strict;  /* flags 0 */
	struct outcome relaxed; /* HP_HTTP_F_ALLOW_BARE_LF | HP_HTTP_F_ALLOW_NO_HOST */
	const char *why;
};

/* clang-format off */
#define O(re, nq, se, ns) {HP_HTTP_E_##re, nq, HP_HTTP_E_##se, ns}
/* clang-format on */

/* Decided per file from its bytes (see the file and docs/HTTP.md); "same" = relaxed changes
 * nothing. */
static const struct corpus_case corpus_expect[] = {
	{"00-adhoc.t", O(BARE_LF, 0, UNSOLICITED, 0), O(NONE, 1, NONE, 1), "LF-only lines"},
	{"01-get.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1), "plain GET, CL response"},
	{"02-header-test-apache2.t", O(OBS_FOLD, 0, UNSOLICITED, 0), O(OBS_FOLD, 0, UNSOLICITED, 0),
	 "first field line starts with SP (obs-fold)"},
	{"03-post-urlencoded.t", O(NONE, 2, TE_HTTP10, 1), O(NONE, 2, TE_HTTP10, 1),
	 "2nd response is HTTP/1.0 with chunked"},
	{"04-post-urlencoded-chunked.t", O(HOST_MISSING, 0, UNSOLICITED, 0), O(NONE, 1, NONE, 1),
	 "HTTP/1.1 without Host; trailer 'Cookie: 2' spans blocks"},
	{"05-expect.t", O(BARE_LF, 0, UNSOLICITED, 0), O(EOF, 1, NONE, 2),
	 "LF-only; relaxed: CL 216 counts CRLFs the file lost (210 sent)"},
	{"06-uri-normal.t", O(HOST_INVALID, 0, UNSOLICITED, 0), O(HOST_INVALID, 0, UNSOLICITED, 0),
	 "userinfo in absolute-form target"},
	{"07-pipelined-connection.t", O(HOST_MISSING, 0, UNSOLICITED, 0), O(NONE, 2, NONE, 2),
	 "HTTP/1.1 without Host; relaxed: 2 pipelined"},
	{"08-not-pipelined-connection.t", O(HOST_MISSING, 0, UNSOLICITED, 0), O(NONE, 2, NONE, 2),
	 "HTTP/1.1 without Host"},
	{"09-multi-packet-request-head.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "head split over 3 blocks"},
	{"10-host-in-headers.t", O(NONE, 4, CL_INVALID, 1), O(NONE, 4, CL_INVALID, 1),
	 "2nd response head cut (no empty line): 'Content-Length: 12HTTP/1.0...'"},
	{"11-response-stream-closure.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "close-delimited response"},
	{"12-connect-request.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "CONNECT answered 405: HTTP again"},
	{"13-compressed-response-gzip-ct.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "binary CL body"},
	{"14-compressed-response-gzip-chunked.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "chunked response over blocks"},
	{"15-connect-complete.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "CONNECT 200: tunnel, TLS ignored"},
	{"16-connect-extra.t", O(DATA_BEFORE_TUNNEL, 1, UNSOLICITED, 1),
	 O(DATA_BEFORE_TUNNEL, 1, UNSOLICITED, 1),
	 "HEAD pipelined behind CONNECT; its 301 unsolicited"},
	{"17-multipart-1.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1), "CL 610 multipart"},
	{"18-compressed-response-deflate.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "binary CL body"},
	{"19-urlencoded-test.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1), "POST CL 11"},
	{"20-ambiguous-host.t", O(HOST_MISMATCH, 1, UNSOLICITED, 1),
	 O(HOST_MISMATCH, 1, UNSOLICITED, 1),
	 "absolute-form; the second request's Host is another host: refused (a server reading Host "
	 "would route it elsewhere)"},
	{"21-http09.t", O(VERSION, 0, UNSOLICITED, 0), O(VERSION, 0, UNSOLICITED, 0),
	 "HTTP/0.9 request line"},
	{"22-php-param-processing.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1), "plain GET"},
	{"23-http09-multiple.t", O(VERSION, 0, UNSOLICITED, 0), O(VERSION, 0, UNSOLICITED, 0),
	 "HTTP/0.9 request line"},
	{"24-http09-explicit.t", O(VERSION, 0, UNSOLICITED, 0), O(VERSION, 0, UNSOLICITED, 0),
	 "HTTP/0.9 version"},
	{"25-small-chunks.t", O(BARE_LF, 0, UNSOLICITED, 0), O(NONE, 1, NONE, 1),
	 "LF-only; relaxed: line pieces over 6 blocks"},
	{"26-request-headers-raw.t", O(BARE_LF, 0, UNSOLICITED, 0), O(NONE, 1, NONE, 1),
	 "LF-only (same bytes as 25)"},
	{"27-request-trailer-raw.t", O(HOST_MISSING, 0, UNSOLICITED, 0), O(NONE, 1, NONE, 1),
	 "HTTP/1.1 without Host (same bytes as 04)"},
	{"28-response-headers-raw.t", O(NONE, 1, TE_HTTP10, 0), O(NONE, 1, TE_HTTP10, 0),
	 "response HTTP/1.0 with chunked"},
	{"29-response-trailer-raw.t", O(NONE, 1, TE_HTTP10, 0), O(NONE, 1, TE_HTTP10, 0),
	 "response HTTP/1.0 with chunked"},
	{"30-get-ipv6.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "IPv6 literal in target and Host"},
	{"31-get-request-line-nul.t", O(CTL_CHAR, 0, UNSOLICITED, 0),
	 O(CTL_CHAR, 0, UNSOLICITED, 0), "NUL in request line"},
	{"32-invalid-hostname.t", O(HOST_INVALID, 0, UNSOLICITED, 0),
	 O(HOST_INVALID, 0, UNSOLICITED, 0), "Host with a space"},
	{"33-invalid-hostname.t", O(HOST_INVALID, 0, UNSOLICITED, 0),
	 O(HOST_INVALID, 0, UNSOLICITED, 0), "target port XXX"},
	{"34-invalid-hostname.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "Host 'name:' (empty port is valid)"},
	{"35-early-response.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "400 answered before the body arrives"},
	{"36-invalid-request-1-invalid-c-l.t", O(CL_INVALID, 0, UNSOLICITED, 0),
	 O(CL_INVALID, 0, UNSOLICITED, 0), "Content-Length: ABC"},
	{"37-invalid-request-2-t-e-and-c-l.t", O(TE_AND_CL, 0, UNSOLICITED, 0),
	 O(TE_AND_CL, 0, UNSOLICITED, 0), "Transfer-Encoding and Content-Length"},
	{"38-invalid-request-3-invalid-t-e.t", O(TE_NOT_CHUNKED, 0, UNSOLICITED, 0),
	 O(TE_NOT_CHUNKED, 0, UNSOLICITED, 0), "Transfer-Encoding: ABC"},
	{"39-auto-destroy-crash.t", O(NONE, 4, CL_INVALID, 1), O(NONE, 4, CL_INVALID, 1),
	 "same bytes as 10"},
	{"40-auth-basic.t", O(NONE, 1, NONE, 0), O(NONE, 1, NONE, 0), "no response"},
	{"41-auth-digest.t", O(OBS_FOLD, 0, NONE, 0), O(OBS_FOLD, 0, NONE, 0),
	 "Authorization folded (obs-fold)"},
	{"42-unknown-method_only.t", O(REQUEST_LINE, 0, NONE, 0), O(REQUEST_LINE, 0, NONE, 0),
	 "request line 'HELLO'"},
	{"43-invalid-protocol.t", O(VERSION, 0, NONE, 0), O(VERSION, 0, NONE, 0),
	 "version JUNK/1.0"},
	{"44-auth-basic-invalid.t", O(NONE, 1, NONE, 0), O(NONE, 1, NONE, 0),
	 "odd credentials are not framing"},
	{"45-auth-digest-unquoted-username.t", O(OBS_FOLD, 0, NONE, 0), O(OBS_FOLD, 0, NONE, 0),
	 "obs-fold"},
	{"46-auth-digest-invalid-username.t", O(OBS_FOLD, 0, NONE, 0), O(OBS_FOLD, 0, NONE, 0),
	 "obs-fold"},
	{"47-auth-unrecognized.t", O(NONE, 1, NONE, 0), O(NONE, 1, NONE, 0), "plain"},
	{"48-invalid-response-headers-1.t", O(NONE, 1, HEADER_NAME, 0), O(NONE, 1, HEADER_NAME, 0),
	 "response line 'No Colon'"},
	{"49-invalid-response-headers-2.t", O(NONE, 1, HEADER_NAME, 0), O(NONE, 1, HEADER_NAME, 0),
	 "response field with empty name"},
	{"50-util.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1), "plain"},
	{"51-get-ipv6-invalid.t", O(HOST_INVALID, 0, UNSOLICITED, 0),
	 O(HOST_INVALID, 0, UNSOLICITED, 0), "unclosed '[' in target"},
	{"52-invalid-path.t", O(TARGET, 0, UNSOLICITED, 0), O(TARGET, 0, UNSOLICITED, 0),
	 "target neither origin- nor absolute-form"},
	{"53-path-utf8-none.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1), "plain"},
	{"54-path-utf8-valid.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "percent-encoding is not our business"},
	{"55-path-utf8-overlong-2.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1), "idem"},
	{"56-path-utf8-overlong-3.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1), "idem"},
	{"57-path-utf8-overlong-4.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1), "idem"},
	{"58-path-utf8-invalid.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1), "idem"},
	{"59-path-utf8-fullwidth.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1), "idem"},
	{"60-request-cookies.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1), "plain"},
	{"61-empty-line-between-requests.t", O(HOST_MISSING, 0, UNSOLICITED, 0),
	 O(NONE, 2, NONE, 2), "HTTP/1.1 without Host; relaxed: empty line skipped"},
	{"62-post-no-body.t", O(NONE, 2, TE_HTTP10, 1), O(NONE, 2, TE_HTTP10, 1),
	 "2nd response HTTP/1.0 with chunked"},
	{"63-post-chunked-invalid-1.t", O(HOST_MISSING, 0, UNSOLICITED, 0), O(EOF, 1, NONE, 1),
	 "no Host; relaxed: chunk 0x80000000 runs to eof"},
	{"64-post-chunked-invalid-2.t", O(HOST_MISSING, 0, UNSOLICITED, 0),
	 O(CHUNK_SIZE, 1, NONE, 1), "no Host; relaxed: chunk size -1"},
	{"65-post-chunked-invalid-3.t", O(HOST_MISSING, 0, UNSOLICITED, 0),
	 O(CHUNK_SIZE, 1, NONE, 1), "no Host; relaxed: empty chunk size"},
	{"66-post-chunked-split-chunk.t", O(HOST_MISSING, 0, UNSOLICITED, 0), O(NONE, 1, NONE, 1),
	 "no Host; relaxed: chunk data over blocks"},
	{"67-long-request-line.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "request line over 2 blocks"},
	{"68-invalid-request-header.t", O(HEADER_NAME, 0, UNSOLICITED, 0),
	 O(HEADER_NAME, 0, UNSOLICITED, 0), "'User-Agent Mozilla' (no colon)"},
	{"69-long-response-header.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "response field over 2 blocks"},
	{"70-response-invalid-chunk-length.t", O(NONE, 1, TE_HTTP10, 0), O(NONE, 1, TE_HTTP10, 0),
	 "response HTTP/1.0 with chunked (before the bad size)"},
	{"71-response-split-chunk.t", O(NONE, 1, TE_HTTP10, 0), O(NONE, 1, TE_HTTP10, 0),
	 "response HTTP/1.0 with chunked"},
	{"72-response-split-body.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "CL body over 2 blocks"},
	{"73-response-te-and-cl.t", O(NONE, 1, TE_AND_CL, 0), O(NONE, 1, TE_AND_CL, 0),
	 "response TE and CL"},
	{"74-response-multiple-cl.t", O(NONE, 1, CL_MULTIPLE, 0), O(NONE, 1, CL_MULTIPLE, 0),
	 "response CL twice, same value"},
	{"75-response-invalid-cl.t", O(NONE, 1, CL_INVALID, 0), O(NONE, 1, CL_INVALID, 0),
	 "response CL -1"},
	{"76-response-no-body.t", O(NONE, 2, TE_HTTP10, 1), O(NONE, 2, TE_HTTP10, 1),
	 "2nd response HTTP/1.0 with chunked"},
	{"77-response-folded-headers.t", O(NONE, 2, OBS_FOLD, 0), O(NONE, 2, OBS_FOLD, 0),
	 "response obs-fold"},
	{"78-response-no-status-headers.t", O(NONE, 1, STATUS_LINE, 0), O(NONE, 1, STATUS_LINE, 0),
	 "response without status line"},
	{"79-connect-invalid-hostport.t", O(HOST_INVALID, 0, UNSOLICITED, 0),
	 O(HOST_INVALID, 0, UNSOLICITED, 0), "CONNECT '[:80'"},
	{"80-hostname-invalid-1.t", O(HOST_INVALID, 0, UNSOLICITED, 0),
	 O(HOST_INVALID, 0, UNSOLICITED, 0), "Host '[:80'"},
	{"81-hostname-invalid-2.t", O(HOST_INVALID, 0, UNSOLICITED, 0),
	 O(HOST_INVALID, 0, UNSOLICITED, 0), "target 'http://[:80/'"},
	{"82-put.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1), "PUT CL 12"},
	{"83-auth-digest-invalid-username-2.t", O(NONE, 1, NONE, 0), O(NONE, 1, NONE, 0),
	 "odd credentials are not framing"},
	{"84-response-no-status-headers-2.t", O(NONE, 1, EOF, 0), O(NONE, 1, EOF, 0),
	 "response line never ends"},
	{"85-zero-byte-request-timeout.t", O(NONE, 0, UNSOLICITED, 0), O(NONE, 0, UNSOLICITED, 0),
	 "408 without request"},
	{"86-partial-request-timeout.t", O(EOF, 0, UNSOLICITED, 0), O(EOF, 0, UNSOLICITED, 0),
	 "'GET' then eof; 408 unsolicited"},
	{"87-issue-55-incorrect-host-ambiguous-warning.t", O(NONE, 1, NONE, 0), O(NONE, 1, NONE, 0),
	 "CONNECT with Content-Length: 0, no answer"},
	{"88-response-multiple-cl-mismatch.t", O(NONE, 1, CL_MULTIPLE, 0),
	 O(NONE, 1, CL_MULTIPLE, 0), "response CL 12 and 11"},
	{"89-get-whitespace.t", O(METHOD, 0, UNSOLICITED, 0), O(METHOD, 0, UNSOLICITED, 0),
	 "request line starts with SP"},
	{"90-request-uri-too-large.t", O(EOF, 0, UNSOLICITED, 0), O(EOF, 0, UNSOLICITED, 0),
	 "request line never ends; 414 unsolicited"},
	{"91-request-unexpected-body.t", O(METHOD, 1, NONE, 1), O(METHOD, 1, NONE, 1),
	 "POST without CL: its 'body' is a bad request line"},
	{"92-http_0_9-method_only.t", O(VERSION, 0, NONE, 0), O(VERSION, 0, NONE, 0),
	 "'GET /' (HTTP/0.9)"},
	{"93-compressed-response-deflateasgzip.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "binary CL body"},
	{"94-compressed-response-multiple.t", O(NONE, 1, STATUS_LINE, 0),
	 O(NONE, 1, STATUS_LINE, 0), "status line '200ok'"},
	{"95-compressed-response-gzipasdeflate.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "binary CL body"},
	{"96-compressed-response-lzma.t", O(NONE, 1, NONE, 1), O(NONE, 1, NONE, 1),
	 "binary CL body"},
	{"97-requests-cut.t", O(HOST_MISSING, 0, NONE, 0), O(NONE, 2, NONE, 0),
	 "no Host; relaxed: 2nd request cut at 'G'/'ET'"},
	{"98-responses-cut.t", O(HOST_MISSING, 0, UNSOLICITED, 0), O(EOF, 1, UNSOLICITED, 1),
	 "no Host; relaxed: 2nd request has no empty line"},
	{"99-expect-100.t", O(BARE_LF, 0, UNSOLICITED, 0), O(REQUEST_LINE, 1, UNSOLICITED, 1),
	 "LF-only; relaxed: 401 does not cancel the PUT body, next line is '1.1'"},
	{"100-auth-bearer.t", O(BARE_LF, 0, NONE, 0), O(NONE, 1, NONE, 0), "LF-only"},
	{"100-response-body-data.t", O(NONE, 0, UNSOLICITED, 0), O(NONE, 0, UNSOLICITED, 0),
	 "response without request"},
};

static void
outcome_of(const struct rec *r, struct outcome *o)
{
	o->req_err = r->err[HP_HTTP_DIR_REQUEST];
	o->n_req = r->n_req;
	o->resp_err = r->err[HP_HTTP_DIR_RESPONSE];
	o->n_resp = r->n_resp;
}

static const struct corpus_case *
corpus_find(const char *file)
{
	size_t i;

	for (i = 0; i < sizeof(corpus_expect) / sizeof(corpus_expect[0]); i++)
		if (strcmp(corpus_expect[i].file, file) == 0)
			return &corpus_expect[i];
	return NULL;
}

static int
t_filter(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 2 && strcmp(e->d_name + n - 2, ".t") == 0;
}

/* HP_HTTP_CORPUS_DUMP=1 prints the outcomes in the table's format (to review, not to paste). */
static void
test_libhtp_corpus(void **state)
{
	struct dirent **names;
	int nf, i, m, nb, mismatches = 0;
	bool dump = getenv("HP_HTTP_CORPUS_DUMP") != NULL;
	static struct block bl[512];

	(void)state;
	nf = scandir(CORPUS, &names, t_filter, versionsort);
	assert_true(nf >= 100);
	for (i = 0; i < nf; i++) {
		char path[512];
		size_t len;
		uint8_t *buf;
		const struct corpus_case *cc = corpus_find(names[i]->d_name);
		struct outcome got[2];

		snprintf(path, sizeof(path), "%s/%s", CORPUS, names[i]->d_name);
		buf = read_file(path, &len);
		assert_non_null(buf);
		nb = t_parse(buf, len, bl, 512);
		assert_true(nb > 0);
		for (m = 0; m < 2; m++) {
			uint32_t flags = m ? HP_HTTP_F_ALLOW_BARE_LF | HP_HTTP_F_ALLOW_NO_HOST : 0;
			struct tc *a = tc_new(NULL, flags), *b = tc_new(NULL, flags);

			run_blocks(a, bl, nb, 0);
			run_blocks(b, bl, nb, 1);
			if (strcmp(a->rec->log, b->rec->log) != 0) {
				fprintf(stderr,
					"%s (%s): block and byte runs differ\n--- block\n%s"
					"--- byte\n%s",
					names[i]->d_name, m ? "relaxed" : "strict", a->rec->log,
					b->rec->log);
				mismatches++;
			}
			/* every request announced is complete unless its direction failed */
			assert_true(a->rec->n_complete == a->rec->n_req ||
				    (a->rec->n_complete == a->rec->n_req - 1 &&
				     a->rec->n_err[HP_HTTP_DIR_REQUEST] == 1));
			outcome_of(a->rec, &got[m]);
			if (dump)
				fprintf(stderr, "%s %s\n%s", names[i]->d_name,
					m ? "relaxed" : "strict", a->rec->log);
			tc_free(a);
			tc_free(b);
		}
		if (dump)
			fprintf(stderr, "\t{\"%s\", O(%s, %d, %s, %d), O(%s, %d, %s, %d), \"\"},\n",
				names[i]->d_name, hp_http_err_name(got[0].req_err), got[0].n_req,
				hp_http_err_name(got[0].resp_err), got[0].n_resp,
				hp_http_err_name(got[1].req_err), got[1].n_req,
				hp_http_err_name(got[1].resp_err), got[1].n_resp);
		if (cc == NULL) {
			fprintf(stderr, "%s: not in corpus_expect[]\n", names[i]->d_name);
			mismatches++;
		} else if (memcmp(&got[0], &cc->strict, sizeof(got[0])) != 0 ||
			   memcmp(&got[1], &cc->relaxed, sizeof(got[1])) != 0) {
			fprintf(stderr, "%s: got strict %s/%d/%s/%d relaxed %s/%d/%s/%d (%s)\n",
				names[i]->d_name, hp_http_err_name(got[0].req_err), got[0].n_req,
				hp_http_err_name(got[0].resp_err), got[0].n_resp,
				hp_http_err_name(got[1].req_err), got[1].n_req,
				hp_http_err_name(got[1].resp_err), got[1].n_resp, cc->why);
			mismatches++;
		}
		free(buf);
		free(names[i]);
	}
	free(names);
	assert_int_equal(mismatches, 0);
	assert_int_equal(nf, (int)(sizeof(corpus_expect) / sizeof(corpus_expect[0])));
}

/* The .t reader itself: markers, CRLF removal before a marker, empty blocks, last block. */
static void
test_t_format(void **state)
{
	static const char t[] = ">>>\r\nGET / HTTP/1.1\r\n\r\n\r\n<<<\nHTTP/1.1 200 OK\n\n>>>\n"
				"<<<\r\nabc\n><>\nxyz";
	struct block bl[8];
	int n;

	(void)state;
	n = t_parse((const uint8_t *)t, sizeof(t) - 1, bl, 8);
	assert_int_equal(n, 4);
	assert_int_equal(bl[0].dir, HP_HTTP_DIR_REQUEST);
	assert_int_equal(bl[0].n, 18);
	assert_memory_equal(bl[0].p, "GET / HTTP/1.1\r\n\r\n", 18);
	assert_int_equal(bl[1].dir, HP_HTTP_DIR_RESPONSE);
	assert_int_equal(bl[1].n, 16);
	assert_int_equal(bl[2].dir, HP_HTTP_DIR_RESPONSE);
	assert_int_equal(bl[2].n, 3);
	assert_true(bl[3].gap);
	assert_int_equal(bl[3].dir, HP_HTTP_DIR_REQUEST);
	assert_int_equal(bl[3].n, 3);
}

/* ---- hand-written cases ---- */

/* Feed a whole request direction: at once, byte by byte, and split in two at every position;
 * the logs must all be equal. Returns the at-once connection (caller frees). */
static struct tc *
run_req_all_splits(const char *in, size_t n, const struct hp_http_limits *lim, uint32_t flags)
{
	struct tc *a = tc_new(lim, flags), *b;
	size_t cut;

	feed_dir(a, HP_HTTP_DIR_REQUEST, in, n, 0);
	b = tc_new(lim, flags);
	feed_dir(b, HP_HTTP_DIR_REQUEST, in, n, 1);
	assert_string_equal(a->rec->log, b->rec->log);
	tc_free(b);
	for (cut = 1; cut < n; cut++) {
		b = tc_new(lim, flags);
		feed_dir(b, HP_HTTP_DIR_REQUEST, in, cut, 0);
		feed_dir(b, HP_HTTP_DIR_REQUEST, in + cut, n - cut, 0);
		if (strcmp(a->rec->log, b->rec->log) != 0) {
			fprintf(stderr, "split at %zu:\n%s---\n%s", cut, a->rec->log, b->rec->log);
			fail();
		}
		tc_free(b);
	}
	return a;
}

struct err_case {
	const char *name;
	const char *in;
	enum hp_http_err err; /* HP_HTTP_E_NONE: must parse */
	uint32_t flags;
};

#define H11 "Host: a.example\r\n"

static const struct err_case err_cases[] = {
	/* smuggling: framing ambiguities */
	{"te+cl",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
	 HP_HTTP_E_TE_AND_CL},
	{"cl+te",
	 "POST / HTTP/1.1\r\n" H11 "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
	 HP_HTTP_E_TE_AND_CL},
	{"cl twice same",
	 "POST / HTTP/1.1\r\n" H11 "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx",
	 HP_HTTP_E_CL_MULTIPLE},
	{"cl list same", "POST / HTTP/1.1\r\n" H11 "Content-Length: 1, 1\r\n\r\nx",
	 HP_HTTP_E_CL_MULTIPLE},
	{"cl differing", "POST / HTTP/1.1\r\n" H11 "Content-Length: 1\r\nContent-length: 2\r\n\r\n",
	 HP_HTTP_E_CL_MULTIPLE},
	{"cl alpha", "POST / HTTP/1.1\r\n" H11 "Content-Length: ABC\r\n\r\n", HP_HTTP_E_CL_INVALID},
	{"cl sign", "POST / HTTP/1.1\r\n" H11 "Content-Length: +5\r\n\r\n", HP_HTTP_E_CL_INVALID},
	{"cl negative", "POST / HTTP/1.1\r\n" H11 "Content-Length: -1\r\n\r\n",
	 HP_HTTP_E_CL_INVALID},
	{"cl inner space", "POST / HTTP/1.1\r\n" H11 "Content-Length: 1 2\r\n\r\n",
	 HP_HTTP_E_CL_INVALID},
	{"cl empty", "POST / HTTP/1.1\r\n" H11 "Content-Length:\r\n\r\n", HP_HTTP_E_CL_INVALID},
	{"cl hex", "POST / HTTP/1.1\r\n" H11 "Content-Length: 0x10\r\n\r\n", HP_HTTP_E_CL_INVALID},
	{"cl overflow", "POST / HTTP/1.1\r\n" H11 "Content-Length: 18446744073709551617\r\n\r\n",
	 HP_HTTP_E_CL_INVALID},
	{"te gzip", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip\r\n\r\n",
	 HP_HTTP_E_TE_NOT_CHUNKED},
	{"te gzip,chunked", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n",
	 HP_HTTP_E_TE_NOT_CHUNKED},
	{"te chunked twice",
	 "POST / HTTP/1.1\r\n" H11
	 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	 HP_HTTP_E_TE_NOT_CHUNKED},
	{"te list", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked, chunked\r\n\r\n",
	 HP_HTTP_E_TE_NOT_CHUNKED},
	{"te identity", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: identity\r\n\r\n",
	 HP_HTTP_E_TE_NOT_CHUNKED},
	{"te xchunked", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: xchunked\r\n\r\n",
	 HP_HTTP_E_TE_NOT_CHUNKED},
	{"te empty", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding:\r\n\r\n",
	 HP_HTTP_E_TE_NOT_CHUNKED},
	{"te http/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	 HP_HTTP_E_TE_HTTP10},
	{"te Chunked any case",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: ChUnKeD \r\n\r\n"
	 "0\r\n\r\n",
	 HP_HTTP_E_NONE},
	{"chunk size non-hex", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\ng\r\n",
	 HP_HTTP_E_CHUNK_SIZE},
	{"chunk size 0x", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n0x5\r\n",
	 HP_HTTP_E_CHUNK_SIZE},
	{"chunk size empty", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n\r\n",
	 HP_HTTP_E_CHUNK_SIZE},
	{"chunk size negative",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n-1\r\n",
	 HP_HTTP_E_CHUNK_SIZE},
	{"chunk size leading ws",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n 5\r\n",
	 HP_HTTP_E_CHUNK_SIZE},
	{"chunk size trailing ws",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_CHUNK_SIZE},
	{"chunk size overflow",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\n",
	 HP_HTTP_E_CHUNK_OVERFLOW},
	{"chunk size 2^60",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
	 HP_HTTP_E_CHUNK_OVERFLOW},
	{"chunk size leading zeros",
	 "POST / HTTP/1.1\r\n" H11
	 "Transfer-Encoding: chunked\r\n\r\n000000000000000000000005\r\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_NONE},
	{"chunk data no crlf",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n",
	 HP_HTTP_E_CHUNK_CRLF},
	{"chunk data cr only",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\rX",
	 HP_HTTP_E_CHUNK_CRLF},
	{"chunk data bare lf",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
	 HP_HTTP_E_CHUNK_CRLF},
	{"chunk line bare lf",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_BARE_LF},
	{"chunk line bare cr",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5\rhello\r\n0\r\n\r\n",
	 HP_HTTP_E_BARE_CR},
	{"chunk ext ok",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	 "5;a=b ; c ;d=\"x\\\"y;\"\r\nhello\r\n0;last\r\n\r\n",
	 HP_HTTP_E_NONE},
	{"chunk ext bare lf in ext",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	 "5;a\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_BARE_LF},
	{"chunk ext bad char",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	 "5;a@b\r\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_CHUNK_EXT},
	{"chunk ext empty name",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	 "5;=b\r\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_CHUNK_EXT},
	{"chunk ext empty value",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	 "5;a=\r\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_CHUNK_EXT},
	{"chunk ext open quote",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	 "5;a=\"b\r\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_CHUNK_EXT},
	{"chunk ext trailing ws",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	 "5;a=b \r\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_CHUNK_EXT},
	{"chunk ext bws",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	 "5 ;a = b ;\tc= \"q\" ;d\r\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_NONE},
	{"chunk ext ws after quote",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	 "5;a=\"b\" \r\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_CHUNK_EXT},
	{"chunk ext junk after quote",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n"
	 "\r\n5;a=\"b\"c\r\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_CHUNK_EXT},
	{"chunk ext ctl in quote",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	 "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_CHUNK_EXT},
	{"chunk ext name ws",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	 "5;a \r\nhello\r\n0\r\n\r\n",
	 HP_HTTP_E_CHUNK_EXT},
	{"trailer content-length",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	 "0\r\nContent-Length: 5\r\n\r\n",
	 HP_HTTP_E_TRAILER_FRAMING},
	{"trailer obs-fold",
	 "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	 "0\r\nCookie:\r\n 2\r\n\r\n",
	 HP_HTTP_E_OBS_FOLD},
	{"obs-fold", "GET / HTTP/1.1\r\n" H11 "X-A: 1\r\n 2\r\n\r\n", HP_HTTP_E_OBS_FOLD},
	{"obs-fold tab", "GET / HTTP/1.1\r\n" H11 "X-A: 1\r\n\t2\r\n\r\n", HP_HTTP_E_OBS_FOLD},
	{"obs-fold first line", "GET / HTTP/1.1\r\n X-A: 1\r\n" H11 "\r\n", HP_HTTP_E_OBS_FOLD},
	{"ws before colon", "GET / HTTP/1.1\r\n" H11 "Content-Length : 0\r\n\r\n",
	 HP_HTTP_E_WS_BEFORE_COLON},
	{"tab before colon", "GET / HTTP/1.1\r\n" H11 "Transfer-Encoding\t: chunked\r\n\r\n",
	 HP_HTTP_E_WS_BEFORE_COLON},
	{"bare cr in value", "GET / HTTP/1.1\r\n" H11 "X-A: 1\r2\r\n\r\n", HP_HTTP_E_BARE_CR},
	{"bare cr request line", "GET /\r HTTP/1.1\r\n" H11 "\r\n", HP_HTTP_E_BARE_CR},
	{"bare cr line end", "GET / HTTP/1.1\r\r\n" H11 "\r\n", HP_HTTP_E_BARE_CR},
	{"bare lf request line", "GET / HTTP/1.1\n" H11 "\r\n", HP_HTTP_E_BARE_LF},
	{"bare lf field", "GET / HTTP/1.1\r\nHost: a\n\r\n", HP_HTTP_E_BARE_LF},
	{"bare lf end", "GET / HTTP/1.1\r\nHost: a\r\n\n", HP_HTTP_E_BARE_LF},
	{"bare lf leading empty", "\nGET / HTTP/1.1\r\n" H11 "\r\n", HP_HTTP_E_BARE_LF},
	{"bare lf allowed", "GET / HTTP/1.1\nHost: a\n\n", HP_HTTP_E_NONE, HP_HTTP_F_ALLOW_BARE_LF},
	{"bare lf allowed chunked",
	 "POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n"
	 "5\nhello\n0\n\n",
	 HP_HTTP_E_NONE, HP_HTTP_F_ALLOW_BARE_LF},
	/* malformed */
	{"del in value", "GET / HTTP/1.1\r\n" H11 "X-A: a\x7f\r\n\r\n", HP_HTTP_E_CTL_CHAR},
	{"esc in value", "GET / HTTP/1.1\r\n" H11 "X-A: a\x1b[0m\r\n\r\n", HP_HTTP_E_CTL_CHAR},
	{"ctl in name", "GET / HTTP/1.1\r\n" H11 "X\x01A: a\r\n\r\n", HP_HTTP_E_CTL_CHAR},
	{"obs-text in value", "GET / HTTP/1.1\r\n" H11 "X-A: caf\xc3\xa9\t!\r\n\r\n",
	 HP_HTTP_E_NONE},
	{"missing host", "GET / HTTP/1.1\r\n\r\n", HP_HTTP_E_HOST_MISSING},
	{"missing host allowed", "GET / HTTP/1.1\r\n\r\n", HP_HTTP_E_NONE, HP_HTTP_F_ALLOW_NO_HOST},
	{"missing host 1.0", "GET / HTTP/1.0\r\n\r\n", HP_HTTP_E_NONE},
	{"empty host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", HP_HTTP_E_NONE},
	{"two hosts", "GET / HTTP/1.1\r\n" H11 H11 "\r\n", HP_HTTP_E_HOST_MULTIPLE},
	{"host space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", HP_HTTP_E_HOST_INVALID},
	{"host port junk", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", HP_HTTP_E_HOST_INVALID},
	{"host port big", "GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", HP_HTTP_E_HOST_INVALID},
	{"host only port", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", HP_HTTP_E_HOST_INVALID},
	{"host userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", HP_HTTP_E_HOST_INVALID},
	{"host ipv6", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", HP_HTTP_E_NONE},
	{"host ipv6 open", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", HP_HTTP_E_HOST_INVALID},
	{"host empty port", "GET / HTTP/1.1\r\nHost: a:\r\n\r\n", HP_HTTP_E_NONE},
	{"host bad pct", "GET / HTTP/1.1\r\nHost: a%2\r\n\r\n", HP_HTTP_E_HOST_INVALID},
	{"method bad char", "G@T / HTTP/1.1\r\n" H11 "\r\n", HP_HTTP_E_METHOD},
	{"method leading space", " GET / HTTP/1.1\r\n" H11 "\r\n", HP_HTTP_E_METHOD},
	{"method tab", "GET\t/ HTTP/1.1\r\n" H11 "\r\n", HP_HTTP_E_METHOD},
	{"method only", "HELLO\r\n\r\n", HP_HTTP_E_REQUEST_LINE},
	{"double space", "GET  / HTTP/1.1\r\n" H11 "\r\n", HP_HTTP_E_REQUEST_LINE},
	{"space before version", "GET /  HTTP/1.1\r\n" H11 "\r\n", HP_HTTP_E_VERSION},
	{"trailing space", "GET / HTTP/1.1 \r\n" H11 "\r\n", HP_HTTP_E_VERSION},
	{"http/0.9", "GET /\r\n\r\n", HP_HTTP_E_VERSION},
	{"version 0.9", "GET / HTTP/0.9\r\n\r\n", HP_HTTP_E_VERSION},
	{"version 1.2", "GET / HTTP/1.2\r\n" H11 "\r\n", HP_HTTP_E_VERSION},
	{"version 2.0", "GET / HTTP/2.0\r\n" H11 "\r\n", HP_HTTP_E_VERSION},
	{"version lower", "GET / http/1.1\r\n" H11 "\r\n", HP_HTTP_E_VERSION},
	{"version junk", "GET / JUNK/1.0\r\n\r\n", HP_HTTP_E_VERSION},
	{"h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", HP_HTTP_E_VERSION},
	{"target relative", "GET invalid/path HTTP/1.0\r\n\r\n", HP_HTTP_E_TARGET},
	{"target star get", "GET * HTTP/1.1\r\n" H11 "\r\n", HP_HTTP_E_TARGET},
	{"target star options", "OPTIONS * HTTP/1.1\r\n" H11 "\r\n", HP_HTTP_E_NONE},
	{"target absolute",
	 "GET http://a.example:8080/x?y HTTP/1.1\r\nHost: a.example:8080\r\n\r\n", HP_HTTP_E_NONE},
	{"target absolute, another Host", "GET http://a.example:8080/x?y HTTP/1.1\r\n" H11 "\r\n",
	 HP_HTTP_E_HOST_MISMATCH},
	/* tunnels, as the dataplane's http.tunnels asks: websocket only by default */
	{"upgrade h2c, websocket only",
	 "GET / HTTP/1.1\r\n" H11 "Connection: Upgrade, HTTP2-Settings\r\n"
	 "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
	 HP_HTTP_E_TUNNEL_REFUSED, HP_HTTP_F_REFUSE_CONNECT | HP_HTTP_F_REFUSE_UPGRADE_NOT_WS},
	{"upgrade websocket and h2c, websocket only",
	 "GET / HTTP/1.1\r\n" H11 "Upgrade: websocket, h2c\r\n\r\n", HP_HTTP_E_TUNNEL_REFUSED,
	 HP_HTTP_F_REFUSE_UPGRADE_NOT_WS},
	{"upgrade twice, one h2c, websocket only",
	 "GET / HTTP/1.1\r\n" H11 "Upgrade: WebSocket\r\nUpgrade: h2c\r\n\r\n",
	 HP_HTTP_E_TUNNEL_REFUSED, HP_HTTP_F_REFUSE_UPGRADE_NOT_WS},
	{"upgrade empty, websocket only", "GET / HTTP/1.1\r\n" H11 "Upgrade:\r\n\r\n",
	 HP_HTTP_E_TUNNEL_REFUSED, HP_HTTP_F_REFUSE_UPGRADE_NOT_WS},
	{"upgrade websocket, websocket only",
	 "GET / HTTP/1.1\r\n" H11 "Upgrade: WebSocket \r\n\r\n", HP_HTTP_E_NONE,
	 HP_HTTP_F_REFUSE_CONNECT | HP_HTTP_F_REFUSE_UPGRADE_NOT_WS},
	{"upgrade websocket, none", "GET / HTTP/1.1\r\n" H11 "Upgrade: websocket\r\n\r\n",
	 HP_HTTP_E_TUNNEL_REFUSED, HP_HTTP_F_REFUSE_UPGRADE},
	{"connect refused", "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n",
	 HP_HTTP_E_TUNNEL_REFUSED, HP_HTTP_F_REFUSE_CONNECT},
	{"upgrade h2c, no flags", "GET / HTTP/1.1\r\n" H11 "Upgrade: h2c\r\n\r\n", HP_HTTP_E_NONE},
	{"target userinfo", "GET http://u:p@a.example/ HTTP/1.1\r\n" H11 "\r\n",
	 HP_HTTP_E_HOST_INVALID},
	{"target bad port", "GET http://a.example:XXX/ HTTP/1.0\r\n\r\n", HP_HTTP_E_HOST_INVALID},
	{"target empty authority", "GET http:///x HTTP/1.0\r\n\r\n", HP_HTTP_E_HOST_INVALID},
	{"connect no port", "CONNECT a.example HTTP/1.1\r\n" H11 "\r\n", HP_HTTP_E_HOST_INVALID},
	{"connect origin", "CONNECT / HTTP/1.1\r\n" H11 "\r\n", HP_HTTP_E_HOST_INVALID},
	{"connect body", "CONNECT a.example:443 HTTP/1.1\r\n" H11 "Content-Length: 2\r\n\r\nab",
	 HP_HTTP_E_CONNECT_BODY},
	{"field no colon", "GET / HTTP/1.1\r\n" H11 "User-Agent Mozilla\r\n\r\n",
	 HP_HTTP_E_HEADER_NAME},
	{"field empty name", "GET / HTTP/1.1\r\n" H11 ": x\r\n\r\n", HP_HTTP_E_HEADER_NAME},
	{"field name space", "GET / HTTP/1.1\r\n" H11 "A B: x\r\n\r\n", HP_HTTP_E_HEADER_NAME},
	{"field name at", "GET / HTTP/1.1\r\n" H11 "A@B: x\r\n\r\n", HP_HTTP_E_HEADER_NAME},
	{"leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\n" H11 "\r\n", HP_HTTP_E_NONE},
	{"upgrade pipelined",
	 "GET / HTTP/1.1\r\n" H11 "Upgrade: websocket\r\n"
	 "Connection: Upgrade\r\n\r\nGET / HTTP/1.1\r\n" H11 "\r\n",
	 HP_HTTP_E_DATA_BEFORE_TUNNEL},
	{"connect pipelined",
	 "CONNECT a.example:443 HTTP/1.1\r\n" H11 "\r\nGET / HTTP/1.1\r\n" H11 "\r\n",
	 HP_HTTP_E_DATA_BEFORE_TUNNEL},
};

static void
test_error_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *ec = &err_cases[i];
		size_t n = strlen(ec->in);
		struct tc *t;

		t = run_req_all_splits(ec->in, n, NULL, ec->flags);
		if (t->rec->err[HP_HTTP_DIR_REQUEST] != ec->err) {
			fprintf(stderr, "case \"%s\": expected %s, got %s\n%s", ec->name,
				hp_http_err_name(ec->err),
				hp_http_err_name(t->rec->err[HP_HTTP_DIR_REQUEST]), t->rec->log);
			fail();
		}
		if (ec->err != HP_HTTP_E_NONE) {
			/* reported once, the direction stays dead, later bytes are ignored */
			assert_int_equal(t->rec->n_err[HP_HTTP_DIR_REQUEST], 1);
			assert_int_equal(req(t, "GET / HTTP/1.1\r\n" H11 "\r\n"), HP_HTTP_S_ERROR);
			assert_int_equal(hp_http_state(t->c, HP_HTTP_DIR_REQUEST), HP_HTTP_S_ERROR);
			assert_int_equal(hp_http_error(t->c, HP_HTTP_DIR_REQUEST), ec->err);
			assert_int_equal(hp_http_eof(t->c, HP_HTTP_DIR_REQUEST), HP_HTTP_S_ERROR);
			assert_int_equal(t->rec->n_err[HP_HTTP_DIR_REQUEST], 1);
		} else {
			assert_int_equal(t->rec->n_complete, t->rec->n_req);
			assert_true(t->rec->n_req >= 1);
		}
		tc_free(t);
	}
}

/* NUL bytes (strlen cannot measure these inputs): request line and field value. */
static void
test_nul_cases(void **state)
{
	static const char a[] = "GET /?p=%20\0%21 HTTP/1.0\r\n\r\n";
	static const char b[] = "GET / HTTP/1.0\r\nHeader-With-NUL: BEFORE\0AFTER\r\n\r\n";
	struct tc *t;

	(void)state;
	t = run_req_all_splits(a, sizeof(a) - 1, NULL, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_CTL_CHAR);
	assert_int_equal(hp_http_err_reason(t->rec->err[0]), HP_HTTP_R_MALFORMED);
	tc_free(t);
	t = run_req_all_splits(b, sizeof(b) - 1, NULL, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_CTL_CHAR);
	tc_free(t);
}

static void
test_simple_post(void **state)
{
	static const char in[] =
		"POST /hooks/stripe?x=1 HTTP/1.1\r\nHost: hooks.example.com\r\n"
		"Content-Type: application/json\r\nStripe-Signature:  t=1,v1=ab \t\r\n"
		"Content-Length: 13\r\n\r\n{\"id\":\"evt\"}\n";
	struct tc *t;

	(void)state;
	t = run_req_all_splits(in, sizeof(in) - 1, NULL, 0);
	assert_int_equal(t->rec->n_req, 1);
	assert_int_equal(t->rec->n_complete, 1);
	assert_string_equal(t->rec->req[0].method, "POST");
	assert_string_equal(t->rec->req[0].target, "/hooks/stripe?x=1");
	assert_string_equal(t->rec->req[0].host, "hooks.example.com");
	assert_int_equal(t->rec->req[0].version, 11);
	assert_int_equal(t->rec->req[0].body, HP_HTTP_BODY_LENGTH);
	assert_int_equal(t->rec->req[0].content_length, 13);
	assert_int_equal(t->rec->req[0].n_headers, 4);
	assert_int_equal(t->rec->req[0].body_len, 13);
	assert_memory_equal(t->rec->body, "{\"id\":\"evt\"}\n", 13);
	assert_true(t->rec->req[0].flags & HP_HTTP_REQ_KEEP_ALIVE);
	assert_false(t->rec->req[0].flags & HP_HTTP_REQ_BODY_TRUNCATED);
	assert_int_equal(hp_http_state(t->c, HP_HTTP_DIR_REQUEST), HP_HTTP_S_ACTIVE);
	tc_free(t);
}

static enum hp_http_method last_method;

static void
cb_method(void *ctx, const struct hp_http_request *q)
{
	(void)ctx;
	last_method = q->method_id;
}

static void
test_methods(void **state)
{
	static const struct hp_http_callbacks cb = {.on_request_headers = cb_method};
	static const struct {
		const char *line;
		enum hp_http_method id;
	} m[] = {
		{"GET / HTTP/1.0\r\n\r\n", HP_HTTP_M_GET},
		{"HEAD / HTTP/1.0\r\n\r\n", HP_HTTP_M_HEAD},
		{"POST / HTTP/1.0\r\n\r\n", HP_HTTP_M_POST},
		{"PUT / HTTP/1.0\r\n\r\n", HP_HTTP_M_PUT},
		{"DELETE / HTTP/1.0\r\n\r\n", HP_HTTP_M_DELETE},
		{"PATCH / HTTP/1.0\r\n\r\n", HP_HTTP_M_PATCH},
		{"OPTIONS * HTTP/1.0\r\n\r\n", HP_HTTP_M_OPTIONS},
		{"CONNECT a:1 HTTP/1.0\r\n\r\n", HP_HTTP_M_CONNECT},
		{"TRACE / HTTP/1.0\r\n\r\n", HP_HTTP_M_TRACE},
		{"get / HTTP/1.0\r\n\r\n", HP_HTTP_M_OTHER}, /* methods are case-sensitive */
		{"PROPFIND / HTTP/1.0\r\n\r\n", HP_HTTP_M_OTHER},
		{"POSTS / HTTP/1.0\r\n\r\n", HP_HTTP_M_OTHER},
	};
	uint8_t hdr[256];
	struct hp_http_header fields[4];
	struct hp_http_cfg cfg = {
		.limits = {.max_line = 64, .max_headers = 4, .max_header_bytes = 256},
		.hdr_buf = hdr,
		.fields = fields,
		.cb = &cb,
	};
	struct hp_http_conn *c = malloc(hp_http_conn_size());
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		last_method = (enum hp_http_method) - 1;
		assert_int_equal(hp_http_init(c, &cfg), 0);
		hp_http_feed_request(c, (const uint8_t *)m[i].line, strlen(m[i].line));
		assert_int_equal(last_method, m[i].id);
	}
	free(c);
}

/* find_header and the views, checked from inside the callback */
static int hdr_checked;

static void
cb_headers_views(void *ctx, const struct hp_http_request *q)
{
	const struct hp_http_header *h;

	(void)ctx;
	h = hp_http_find_header(q, "stripe-signature", 16);
	assert_non_null(h);
	assert_int_equal(h->value.len, 9);
	assert_memory_equal(h->value.p, "t=1,v1=ab", 9);
	assert_memory_equal(h->name.p, "Stripe-Signature", 16);
	assert_null(hp_http_find_header(q, "x-missing", 9));
	h = hp_http_find_header(q, "X-EMPTY", 7);
	assert_non_null(h);
	assert_int_equal(h->value.len, 0);
	assert_int_equal(q->n_headers, 4);
	assert_memory_equal(q->host.p, "h.example", 9);
	hdr_checked++;
}

static void
test_views(void **state)
{
	static const struct hp_http_callbacks cb = {.on_request_headers = cb_headers_views};
	static const char in[] = "POST / HTTP/1.1\r\nHost: h.example\r\n"
				 "Stripe-Signature:  t=1,v1=ab \t\r\nX-Empty:   \r\n"
				 "content-length: 2\r\n\r\nok";
	uint8_t hdr[512], rl[64], copy[16];
	struct hp_http_header fields[8];
	struct hp_http_cfg cfg = {
		.limits = {.max_line = 64,
			   .max_headers = 8,
			   .max_header_bytes = 512,
			   .body_copy_max = 16,
			   .max_outstanding = 4},
		.hdr_buf = hdr,
		.fields = fields,
		.resp_line = rl,
		.body_copy = copy,
		.cb = &cb,
	};
	struct hp_http_conn *c = malloc(hp_http_conn_size());
	size_t i;

	(void)state;
	hdr_checked = 0;
	assert_int_equal(hp_http_init(c, &cfg), 0);
	assert_int_equal(hp_http_feed_request(c, (const uint8_t *)in, sizeof(in) - 1),
			 HP_HTTP_S_ACTIVE);
	assert_int_equal(hp_http_init(c, &cfg), 0);
	for (i = 0; i < sizeof(in) - 1; i++)
		hp_http_feed_request(c, (const uint8_t *)in + i, 1);
	assert_int_equal(hdr_checked, 2);
	free(c);
}

static void
test_init_validation(void **state)
{
	uint8_t hdr[256], rl[64], copy[16];
	struct hp_http_header fields[8];
	struct hp_http_cfg ok = {
		.limits = {.max_line = 64,
			   .max_headers = 8,
			   .max_header_bytes = 256,
			   .body_copy_max = 16,
			   .max_outstanding = 4},
		.hdr_buf = hdr,
		.fields = fields,
		.resp_line = rl,
		.body_copy = copy,
	};
	struct hp_http_cfg bad;
	struct hp_http_conn *c = malloc(hp_http_conn_size());

	(void)state;
	assert_true(hp_http_conn_size() > 0 && hp_http_conn_size() < 2048);
	assert_int_equal(hp_http_init(c, &ok), 0);
	assert_int_equal(hp_http_init(NULL, &ok), -EINVAL);
	assert_int_equal(hp_http_init(c, NULL), -EINVAL);
	bad = ok, bad.limits.max_line = 15;
	assert_int_equal(hp_http_init(c, &bad), -EINVAL);
	bad = ok, bad.limits.max_headers = 0;
	assert_int_equal(hp_http_init(c, &bad), -EINVAL);
	bad = ok, bad.limits.max_header_bytes = 8;
	assert_int_equal(hp_http_init(c, &bad), -EINVAL);
	bad = ok, bad.limits.max_outstanding = HP_HTTP_MAX_OUTSTANDING + 1;
	assert_int_equal(hp_http_init(c, &bad), -EINVAL);
	bad = ok, bad.hdr_buf = NULL;
	assert_int_equal(hp_http_init(c, &bad), -EINVAL);
	bad = ok, bad.fields = NULL;
	assert_int_equal(hp_http_init(c, &bad), -EINVAL);
	bad = ok, bad.resp_line = NULL;
	assert_int_equal(hp_http_init(c, &bad), -EINVAL);
	bad.limits.max_outstanding = 0; /* responses not parsed: no line buffer needed */
	assert_int_equal(hp_http_init(c, &bad), 0);
	assert_int_equal(hp_http_state(c, HP_HTTP_DIR_RESPONSE), HP_HTTP_S_CLOSED);
	bad = ok, bad.body_copy = NULL;
	assert_int_equal(hp_http_init(c, &bad), -EINVAL);
	bad.limits.body_copy_max = 0;
	assert_int_equal(hp_http_init(c, &bad), 0);
	bad = ok, bad.flags = 0x80;
	assert_int_equal(hp_http_init(c, &bad), -EINVAL);
	/* no callbacks at all is allowed */
	assert_int_equal(hp_http_init(c, &ok), 0);
	assert_int_equal(hp_http_feed_request(c, (const uint8_t *)"GET / HTTP/1.0\r\n\r\n", 18),
			 HP_HTTP_S_ACTIVE);
	free(c);
}

/* ---- limits ---- */

static void
test_limit_line(void **state)
{
	struct hp_http_limits lim = test_limits;
	char in[512];
	struct tc *t;
	size_t n;

	(void)state;
	lim.max_line = 64;
	/* request line of exactly 64 bytes with its CRLF: accepted; 65: refused */
	n = (size_t)snprintf(in, sizeof(in), "GET /%0*d HTTP/1.0\r\n\r\n", 64 - 16, 0);
	t = run_req_all_splits(in, n, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_NONE);
	assert_int_equal(t->rec->n_complete, 1);
	tc_free(t);
	n = (size_t)snprintf(in, sizeof(in), "GET /%0*d HTTP/1.0\r\n\r\n", 64 - 15, 0);
	t = run_req_all_splits(in, n, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_LINE_TOO_LONG);
	assert_int_equal(hp_http_err_reason(t->rec->err[0]), HP_HTTP_R_LINE_TOO_LONG);
	tc_free(t);
	/* a header line */
	n = (size_t)snprintf(in, sizeof(in), "GET / HTTP/1.0\r\nX: %0*d\r\n\r\n", 64 - 5, 0);
	t = run_req_all_splits(in, n, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_NONE);
	tc_free(t);
	n = (size_t)snprintf(in, sizeof(in), "GET / HTTP/1.0\r\nX: %0*d\r\n\r\n", 64 - 4, 0);
	t = run_req_all_splits(in, n, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_LINE_TOO_LONG);
	tc_free(t);
	/* a line that never ends is refused as soon as it is too long (no buffering) */
	t = tc_new(&lim, 0);
	memset(in, 'a', 65);
	assert_int_equal(feed_dir(t, 0, "GET /", 5, 0), HP_HTTP_S_ACTIVE);
	assert_int_equal(feed_dir(t, 0, in, 59, 0), HP_HTTP_S_ACTIVE);
	assert_int_equal(feed_dir(t, 0, in, 1, 0), HP_HTTP_S_ERROR);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_LINE_TOO_LONG);
	tc_free(t);
	/* a chunk-size line (extensions make it long) */
	n = (size_t)snprintf(in, sizeof(in),
			     "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: "
			     "chunked\r\n\r\n0;%0*d\r\n\r\n",
			     64 - 4, 0);
	t = run_req_all_splits(in, n, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_TE_HTTP10);
	tc_free(t);
	n = (size_t)snprintf(in, sizeof(in),
			     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
			     "chunked\r\n\r\n0;a%0*d\r\n\r\n",
			     64 - 5, 0);
	t = run_req_all_splits(in, n, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_NONE);
	tc_free(t);
	n = (size_t)snprintf(in, sizeof(in),
			     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
			     "chunked\r\n\r\n0;a%0*d\r\n\r\n",
			     64 - 4, 0);
	t = run_req_all_splits(in, n, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_LINE_TOO_LONG);
	tc_free(t);
}

static void
test_limit_headers(void **state)
{
	struct hp_http_limits lim = test_limits;
	char in[2048];
	struct tc *t;
	size_t n;
	int i;

	(void)state;
	lim.max_headers = 5;
	n = (size_t)snprintf(in, sizeof(in), "GET / HTTP/1.1\r\n" H11);
	for (i = 0; i < 4; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "X-%d: v\r\n", i);
	memcpy(in + n, "\r\n", 3);
	t = run_req_all_splits(in, n + 2, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_NONE);
	assert_int_equal(t->rec->req[0].n_headers, 5);
	tc_free(t);
	n += (size_t)snprintf(in + n, sizeof(in) - n, "X-5: v\r\n\r\n");
	t = run_req_all_splits(in, n, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_TOO_MANY_HEADERS);
	assert_int_equal(hp_http_err_reason(t->rec->err[0]), HP_HTTP_R_TOO_MANY_HEADERS);
	tc_free(t);
	/* trailers count with the headers */
	n = (size_t)snprintf(in, sizeof(in),
			     "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked"
			     "\r\nA: 1\r\nB: 1\r\n\r\n0\r\nT1: x\r\nT2: y\r\n\r\n");
	t = run_req_all_splits(in, n, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_TOO_MANY_HEADERS);
	assert_true(t->rec->err_had_req[0]);
	tc_free(t);
}

static void
test_limit_header_bytes(void **state)
{
	struct hp_http_limits lim = test_limits;
	char in[2048];
	struct tc *t;
	size_t n;

	(void)state;
	lim.max_header_bytes = 128;
	lim.max_line = 100;
	/* whole header section = 128 bytes: accepted */
	n = (size_t)snprintf(in, sizeof(in), "GET / HTTP/1.1\r\n" H11 "X: %0*d\r\n\r\n",
			     128 - 16 - 17 - 5 - 2, 0);
	assert_int_equal(n, 128);
	t = run_req_all_splits(in, n, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_NONE);
	tc_free(t);
	n = (size_t)snprintf(in, sizeof(in), "GET / HTTP/1.1\r\n" H11 "X: %0*d\r\n\r\n",
			     128 - 16 - 17 - 5 - 1, 0);
	t = run_req_all_splits(in, n, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_HEADERS_TOO_LARGE);
	assert_int_equal(hp_http_err_reason(t->rec->err[0]), HP_HTTP_R_HEADERS_TOO_LARGE);
	tc_free(t);
	/* a line too long that also overflows the section: the nearer limit wins, whatever the
	 * split (here the section: 95 bytes left, line allows 100) */
	n = (size_t)snprintf(in, sizeof(in), "GET / HTTP/1.1\r\n" H11 "X: %0*d\r\n\r\n", 150, 0);
	t = run_req_all_splits(in, n, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_HEADERS_TOO_LARGE);
	tc_free(t);
	/* trailers count too */
	n = (size_t)snprintf(in, sizeof(in),
			     "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked"
			     "\r\n\r\n0\r\nT: %0*d\r\n\r\n",
			     60, 0);
	t = run_req_all_splits(in, n, &lim, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_HEADERS_TOO_LARGE);
	tc_free(t);
}

static void
test_limit_body_copy(void **state)
{
	struct hp_http_limits lim = test_limits;
	static const char in[] = "POST / HTTP/1.1\r\n" H11 "Content-Length: 10\r\n\r\n0123456789"
				 "POST / HTTP/1.1\r\n" H11 "Content-Length: 4\r\n\r\nabcd";
	struct tc *t;

	(void)state;
	lim.body_copy_max = 8;
	t = run_req_all_splits(in, sizeof(in) - 1, &lim, 0);
	assert_int_equal(t->rec->n_complete, 2);
	assert_true(t->rec->req[0].flags & HP_HTTP_REQ_BODY_TRUNCATED);
	assert_int_equal(t->rec->req[0].body_len, 10);
	assert_false(t->rec->req[1].flags & HP_HTTP_REQ_BODY_TRUNCATED);
	tc_free(t);
	lim.body_copy_max = 0;
	t = run_req_all_splits(in, sizeof(in) - 1, &lim, 0);
	assert_int_equal(t->rec->n_complete, 2);
	assert_true(t->rec->req[1].flags & HP_HTTP_REQ_BODY_TRUNCATED);
	assert_int_equal(t->rec->req[1].body_len, 4);
	tc_free(t);
}

static void
test_limit_outstanding(void **state)
{
	struct hp_http_limits lim = test_limits;
	static const char one[] = "GET / HTTP/1.1\r\n" H11 "\r\n";
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	struct tc *t;
	int i;

	(void)state;
	lim.max_outstanding = 3;
	t = tc_new(&lim, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(req(t, one), HP_HTTP_S_ACTIVE);
	assert_int_equal(req(t, one), HP_HTTP_S_ERROR);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_TOO_MANY_PIPELINED);
	assert_int_equal(hp_http_err_reason(t->rec->err[0]), HP_HTTP_R_TOO_MANY_PIPELINED);
	/* the responses of the three still pair */
	for (i = 0; i < 3; i++)
		resp(t, ok);
	assert_int_equal(t->rec->n_resp, 3);
	assert_int_equal(t->rec->resp[2].req_seq, 2);
	assert_int_equal(t->rec->err[1], HP_HTTP_E_NONE);
	tc_free(t);

	/* answered as they come: no limit reached */
	t = tc_new(&lim, 0);
	for (i = 0; i < 10; i++) {
		assert_int_equal(req(t, one), HP_HTTP_S_ACTIVE);
		assert_int_equal(resp(t, ok), HP_HTTP_S_ACTIVE);
	}
	assert_int_equal(t->rec->n_resp, 10);
	tc_free(t);

	/* responses not tracked (max_outstanding 0): no bound, no pairing */
	lim.max_outstanding = 0;
	t = tc_new(&lim, 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(req(t, one), HP_HTTP_S_ACTIVE);
	assert_int_equal(resp(t, ok), HP_HTTP_S_CLOSED);
	assert_int_equal(t->rec->n_resp, 0);
	tc_free(t);

	/* a dead response direction stops pairing: the bound no longer applies */
	lim.max_outstanding = 2;
	t = tc_new(&lim, 0);
	assert_int_equal(resp(t, "garbage\r\n"), HP_HTTP_S_ERROR);
	for (i = 0; i < 10; i++)
		assert_int_equal(req(t, one), HP_HTTP_S_ACTIVE);
	tc_free(t);
}

/* ---- chunked ---- */

static void
test_chunked_ext_trailers(void **state)
{
	static const char in[] = "POST /c HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
				 "5;name=value;q=\"a b\\\"c\"\r\nhello\r\n"
				 "1A\r\n, world of chunked bodies!\r\n"
				 "000;x\r\nX-Checksum: abc\r\nX-Other:  z \r\n\r\n"
				 "GET /next HTTP/1.1\r\n" H11 "\r\n";
	struct tc *t;

	(void)state;
	/* every split point, so every chunk-size line is cut at every byte */
	t = run_req_all_splits(in, sizeof(in) - 1, NULL, 0);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_NONE);
	assert_int_equal(t->rec->n_req, 2);
	assert_int_equal(t->rec->n_complete, 2);
	assert_int_equal(t->rec->req[0].body, HP_HTTP_BODY_CHUNKED);
	assert_int_equal(t->rec->req[0].body_len, 5 + 26);
	assert_int_equal(t->rec->req[0].n_trailers, 2);
	assert_string_equal(t->rec->req[0].trailer0, "X-Checksum=abc");
	assert_string_equal(t->rec->req[1].target, "/next");
	tc_free(t);

	/* the de-chunked body is what was sent */
	t = tc_new(NULL, 0);
	req(t, "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
	       "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
	assert_int_equal(t->rec->n_complete, 1);
	assert_int_equal(t->rec->req[0].body_len, 5);
	tc_free(t);
	t = run_req_all_splits("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
			       "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
			       strlen("POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
				      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"),
			       NULL, 0);
	assert_memory_equal(t->rec->body, "abcde", 5);
	tc_free(t);
}

/* ---- pipelining, responses ---- */

static void
test_pipelined_posts(void **state)
{
	static const char in[] = "POST /a HTTP/1.1\r\n" H11 "Content-Length: 3\r\n\r\nAAA"
				 "POST /b HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n"
				 "2\r\nBB\r\n0\r\n\r\n"
				 "POST /c HTTP/1.1\r\n" H11 "Content-Length: 0\r\n\r\n"
				 "POST /d HTTP/1.1\r\n" H11 "Content-Length: 4\r\n\r\nDDDD";
	static const char out[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 201 "
				  "Created\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
				  "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 500 Oops\r\n"
				  "Content-Length: 1\r\n\r\n!";
	struct tc *t;
	size_t step;

	(void)state;
	t = run_req_all_splits(in, sizeof(in) - 1, NULL, 0);
	assert_int_equal(t->rec->n_req, 4);
	assert_int_equal(t->rec->n_complete, 4);
	assert_string_equal(t->rec->req[1].target, "/b");
	assert_int_equal(t->rec->req[1].body_len, 2);
	assert_int_equal(t->rec->req[2].body_len, 0);
	assert_int_equal(t->rec->req[3].body_len, 4);
	assert_int_equal(t->rec->body_total, 9);
	for (step = 0; step < 4; step++) {
		struct tc *u = tc_new(NULL, 0);

		feed_dir(u, 0, in, sizeof(in) - 1, step);
		feed_dir(u, 1, out, sizeof(out) - 1, step);
		assert_int_equal(u->rec->n_resp, 4);
		assert_int_equal(u->rec->resp[0].req_seq, 0);
		assert_int_equal(u->rec->resp[1].req_seq, 1);
		assert_int_equal(u->rec->resp[1].body, HP_HTTP_BODY_CHUNKED);
		assert_int_equal(u->rec->resp[2].status, 204);
		assert_int_equal(u->rec->resp[3].req_seq, 3);
		assert_int_equal(u->rec->resp[3].status, 500);
		assert_int_equal(u->rec->err[1], HP_HTTP_E_NONE);
		assert_int_equal(hp_http_eof(u->c, HP_HTTP_DIR_RESPONSE), HP_HTTP_S_CLOSED);
		tc_free(u);
	}
	tc_free(t);
}

static void
test_expect_continue(void **state)
{
	struct tc *t = tc_new(NULL, 0);

	(void)state;
	req(t, "POST /up HTTP/1.1\r\n" H11 "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n");
	assert_int_equal(t->rec->n_req, 1);
	assert_int_equal(t->rec->n_complete, 0);
	resp(t, "HTTP/1.1 100 Continue\r\n\r\n");
	assert_int_equal(t->rec->n_resp, 1);
	assert_int_equal(t->rec->resp[0].status, 100);
	assert_int_equal(t->rec->resp[0].req_seq, 0);
	assert_true(t->rec->resp[0].flags & HP_HTTP_RESP_INTERIM);
	req(t, "hello");
	assert_int_equal(t->rec->n_complete, 1);
	assert_true(t->rec->req[0].flags & HP_HTTP_REQ_EXPECT_CONTINUE);
	resp(t, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n"
		"Content-Length: 0\r\n\r\n");
	assert_int_equal(t->rec->n_resp, 3);
	assert_int_equal(t->rec->resp[2].status, 200);
	assert_int_equal(t->rec->resp[2].req_seq, 0);
	assert_false(t->rec->resp[2].flags & HP_HTTP_RESP_INTERIM);
	/* a final status before the body does not cancel the body: the server must read it or
	 * close, so the next bytes are still this request's body */
	req(t, "POST /x HTTP/1.1\r\n" H11 "Content-Length: 4\r\nExpect: 100-continue\r\n\r\n");
	resp(t, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
	req(t, "GET / HTTP/1.1\r\n");
	assert_int_equal(t->rec->n_req, 2);
	assert_int_equal(t->rec->n_complete, 2);
	assert_int_equal(t->rec->req[1].body_len, 4);
	tc_free(t);
}

static void
test_no_body_responses(void **state)
{
	struct tc *t = tc_new(NULL, 0);

	(void)state;
	req(t, "HEAD / HTTP/1.1\r\n" H11 "\r\nGET /304 HTTP/1.1\r\n" H11
	       "\r\nGET /204 HTTP/1.1\r\n" H11 "\r\nGET /last HTTP/1.1\r\n" H11 "\r\n");
	assert_int_equal(t->rec->n_complete, 4);
	/* HEAD: Content-Length describes the GET body, none follows; 304 and 204 likewise */
	resp(t,
	     "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
	     "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"
	     "HTTP/1.1 204 No Content\r\n\r\n"
	     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n");
	assert_int_equal(t->rec->n_resp, 4);
	assert_int_equal(t->rec->resp[0].body, HP_HTTP_BODY_NONE);
	assert_int_equal(t->rec->resp[1].body, HP_HTTP_BODY_NONE);
	assert_int_equal(t->rec->resp[1].status, 304);
	assert_int_equal(t->rec->resp[2].status, 204);
	assert_int_equal(t->rec->resp[3].req_seq, 3);
	assert_int_equal(t->rec->err[1], HP_HTTP_E_NONE);
	/* nothing outstanding: more response bytes are unsolicited */
	assert_int_equal(resp(t, "HTTP/1.1 200 OK\r\n"), HP_HTTP_S_ERROR);
	assert_int_equal(t->rec->err[1], HP_HTTP_E_UNSOLICITED);
	tc_free(t);

	/* close-delimited response: complete at eof */
	t = tc_new(NULL, 0);
	req(t, "GET / HTTP/1.0\r\n\r\n");
	resp(t, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome bytes");
	assert_int_equal(t->rec->resp[0].body, HP_HTTP_BODY_CLOSE);
	assert_int_equal(hp_http_eof(t->c, HP_HTTP_DIR_RESPONSE), HP_HTTP_S_CLOSED);
	assert_int_equal(t->rec->n_err[1], 0);
	tc_free(t);

	/* response framing errors: only the response direction dies */
	t = tc_new(NULL, 0);
	req(t, "GET / HTTP/1.1\r\n" H11 "\r\n");
	assert_int_equal(resp(t, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: "
				 "chunked\r\n\r\n"),
			 HP_HTTP_S_ERROR);
	assert_int_equal(t->rec->err[1], HP_HTTP_E_TE_AND_CL);
	assert_int_equal(req(t, "GET / HTTP/1.1\r\n" H11 "\r\n"), HP_HTTP_S_ACTIVE);
	assert_int_equal(t->rec->n_complete, 2);
	tc_free(t);

	t = tc_new(NULL, 0);
	req(t, "GET / HTTP/1.1\r\n" H11 "\r\n");
	resp(t, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"); /* no reason phrase: accepted */
	assert_int_equal(t->rec->n_resp, 1);
	req(t, "GET / HTTP/1.1\r\n" H11 "\r\n");
	assert_int_equal(resp(t, "HTTP/1.1 200ok\r\n\r\n"), HP_HTTP_S_ERROR);
	assert_int_equal(t->rec->err[1], HP_HTTP_E_STATUS_LINE);
	tc_free(t);
}

static void
test_keep_alive(void **state)
{
	struct tc *t = tc_new(NULL, 0);

	(void)state;
	req(t, "GET /1 HTTP/1.1\r\n" H11 "\r\n"
	       "GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
	       "GET /3 HTTP/1.1\r\n" H11 "Connection: Keep-Alive, Close\r\n\r\n"
	       "GET /4 HTTP/1.0\r\n\r\n");
	assert_int_equal(t->rec->n_complete, 4);
	assert_true(t->rec->req[0].flags & HP_HTTP_REQ_KEEP_ALIVE);
	assert_true(t->rec->req[1].flags & HP_HTTP_REQ_KEEP_ALIVE);
	assert_false(t->rec->req[2].flags & HP_HTTP_REQ_KEEP_ALIVE);
	assert_false(t->rec->req[2].flags & HP_HTTP_REQ_AFTER_CLOSE);
	/* a request after one that asked to close is still parsed, and flagged */
	assert_false(t->rec->req[3].flags & HP_HTTP_REQ_KEEP_ALIVE);
	assert_true(t->rec->req[3].flags & HP_HTTP_REQ_AFTER_CLOSE);
	tc_free(t);
}

static void
test_connect_upgrade(void **state)
{
	struct tc *t = tc_new(NULL, 0);

	(void)state;
	/* CONNECT refused: HTTP again */
	assert_int_equal(req(t, "CONNECT a.example:443 HTTP/1.1\r\n" H11 "\r\n"), HP_HTTP_S_WAIT);
	assert_string_equal(t->rec->req[0].host, "a.example:443");
	resp(t, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 2\r\n\r\nno");
	assert_int_equal(hp_http_state(t->c, HP_HTTP_DIR_REQUEST), HP_HTTP_S_ACTIVE);
	assert_int_equal(req(t, "CONNECT a.example:443 HTTP/1.1\r\n" H11 "\r\n"), HP_HTTP_S_WAIT);
	/* CONNECT accepted: a tunnel, bytes ignored both ways */
	resp(t, "HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x01");
	assert_true(t->rec->resp[1].flags & HP_HTTP_RESP_TUNNEL);
	assert_int_equal(hp_http_state(t->c, HP_HTTP_DIR_RESPONSE), HP_HTTP_S_TUNNEL);
	assert_int_equal(req(t, "\x16\x03\x01garbage"), HP_HTTP_S_TUNNEL);
	assert_int_equal(hp_http_gap_request(t->c, 10), HP_HTTP_S_TUNNEL);
	assert_int_equal(hp_http_eof(t->c, HP_HTTP_DIR_REQUEST), HP_HTTP_S_TUNNEL);
	assert_int_equal(t->rec->n_err[0] + t->rec->n_err[1], 0);
	tc_free(t);

	/* Upgrade: 101 switches, anything else keeps HTTP */
	t = tc_new(NULL, 0);
	req(t, "GET /ws HTTP/1.1\r\n" H11 "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
	assert_int_equal(hp_http_state(t->c, HP_HTTP_DIR_REQUEST), HP_HTTP_S_WAIT);
	resp(t, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(hp_http_state(t->c, HP_HTTP_DIR_REQUEST), HP_HTTP_S_ACTIVE);
	req(t, "GET /ws HTTP/1.1\r\n" H11 "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
	resp(t, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00");
	assert_int_equal(hp_http_state(t->c, HP_HTTP_DIR_REQUEST), HP_HTTP_S_TUNNEL);
	assert_int_equal(req(t, "\x81\x80zzzz"), HP_HTTP_S_TUNNEL);
	tc_free(t);

	/* 101 without Upgrade */
	t = tc_new(NULL, 0);
	req(t, "GET / HTTP/1.1\r\n" H11 "\r\n");
	assert_int_equal(resp(t, "HTTP/1.1 101 Switching Protocols\r\n\r\n"), HP_HTTP_S_ERROR);
	assert_int_equal(t->rec->err[1], HP_HTTP_E_UNEXPECTED_101);
	tc_free(t);
}

static void
test_host_forms(void **state)
{
	struct tc *t = tc_new(NULL, 0);

	(void)state;
	req(t, "GET http://A.example:80/x HTTP/1.1\r\nHost: a.EXAMPLE:80\r\n\r\n"
	       "GET http://[::1]:8080/ HTTP/1.0\r\n\r\n");
	assert_int_equal(t->rec->n_complete, 2);
	assert_string_equal(t->rec->req[0].host, "A.example:80");
	assert_true(t->rec->req[0].flags & HP_HTTP_REQ_HOST_FROM_TARGET);
	assert_string_equal(t->rec->req[1].host, "[::1]:8080");
	tc_free(t);
	/* RFC 9112 §3.2.2: the target's authority wins; a server that reads Host would route
	 * elsewhere than hookpath does: refused */
	t = tc_new(NULL, 0);
	assert_int_equal(req(t, "GET http://b.example/x HTTP/1.1\r\nHost: c.example\r\n\r\n"),
			 HP_HTTP_S_ERROR);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_HOST_MISMATCH);
	assert_int_equal(hp_http_err_reason(HP_HTTP_E_HOST_MISMATCH), HP_HTTP_R_SMUGGLING);
	tc_free(t);
}

/* ---- gaps and eof ---- */

static void
test_gaps(void **state)
{
	struct tc *t = tc_new(NULL, 0);

	(void)state;
	/* inside a Content-Length body: counted, flagged, framing kept */
	req(t, "POST / HTTP/1.1\r\n" H11 "Content-Length: 10\r\n\r\nab");
	assert_int_equal(hp_http_gap_request(t->c, 5), HP_HTTP_S_ACTIVE);
	req(t, "xyz");
	assert_int_equal(t->rec->n_complete, 1);
	assert_int_equal(t->rec->req[0].body_len, 5);
	assert_int_equal(t->rec->req[0].body_gap, 5);
	assert_true(t->rec->req[0].flags & HP_HTTP_REQ_BODY_GAP);
	assert_true(t->rec->req[0].flags & HP_HTTP_REQ_BODY_TRUNCATED);
	/* a gap that ends the body exactly completes the request */
	req(t, "POST / HTTP/1.1\r\n" H11 "Content-Length: 4\r\n\r\n");
	assert_int_equal(hp_http_gap_request(t->c, 4), HP_HTTP_S_ACTIVE);
	assert_int_equal(t->rec->n_complete, 2);
	/* inside chunk data */
	req(t, "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n8\r\nab");
	assert_int_equal(hp_http_gap_request(t->c, 6), HP_HTTP_S_ACTIVE);
	req(t, "\r\n0\r\n\r\n");
	assert_int_equal(t->rec->n_complete, 3);
	assert_int_equal(t->rec->req[2].body_gap, 6);
	/* past the end of the body: framing lost */
	req(t, "POST / HTTP/1.1\r\n" H11 "Content-Length: 4\r\n\r\n");
	assert_int_equal(hp_http_gap_request(t->c, 5), HP_HTTP_S_ERROR);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_GAP);
	assert_int_equal(hp_http_err_reason(t->rec->err[0]), HP_HTTP_R_GAP);
	assert_true(t->rec->err_had_req[0]);
	tc_free(t);

	/* in headers, in a chunk-size line, between requests: unparseable */
	t = tc_new(NULL, 0);
	req(t, "POST / HTTP/1.1\r\n" H11);
	assert_int_equal(hp_http_gap_request(t->c, 3), HP_HTTP_S_ERROR);
	assert_false(t->rec->err_had_req[0]);
	tc_free(t);
	t = tc_new(NULL, 0);
	req(t, "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n1");
	assert_int_equal(hp_http_gap_request(t->c, 1), HP_HTTP_S_ERROR);
	tc_free(t);
	t = tc_new(NULL, 0);
	req(t, "GET / HTTP/1.1\r\n" H11 "\r\n");
	assert_int_equal(hp_http_gap_request(t->c, 0), HP_HTTP_S_ACTIVE);
	assert_int_equal(hp_http_gap_request(t->c, 1), HP_HTTP_S_ERROR);
	tc_free(t);

	/* response side: in a close-delimited body, fine; in a status line, not */
	t = tc_new(NULL, 0);
	req(t, "GET / HTTP/1.1\r\n" H11 "\r\nGET / HTTP/1.1\r\n" H11 "\r\n");
	resp(t, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12");
	assert_int_equal(hp_http_gap_response(t->c, 8), HP_HTTP_S_ACTIVE);
	resp(t, "HTTP/1.1 200 OK\r\n\r\nabc");
	assert_int_equal(hp_http_gap_response(t->c, 1000), HP_HTTP_S_ACTIVE);
	assert_int_equal(t->rec->n_resp, 2);
	assert_int_equal(hp_http_eof(t->c, HP_HTTP_DIR_RESPONSE), HP_HTTP_S_CLOSED);
	tc_free(t);
	t = tc_new(NULL, 0);
	req(t, "GET / HTTP/1.1\r\n" H11 "\r\n");
	resp(t, "HTTP/1.1 2");
	assert_int_equal(hp_http_gap_response(t->c, 1), HP_HTTP_S_ERROR);
	assert_int_equal(t->rec->err[1], HP_HTTP_E_GAP);
	tc_free(t);
}

static void
test_eof(void **state)
{
	struct tc *t = tc_new(NULL, 0);

	(void)state;
	req(t, "GET / HTTP/1.1\r\n" H11 "\r\n");
	assert_int_equal(hp_http_eof(t->c, HP_HTTP_DIR_REQUEST), HP_HTTP_S_CLOSED);
	assert_int_equal(req(t, "GET"), HP_HTTP_S_CLOSED);
	assert_int_equal(t->rec->n_err[0], 0);
	tc_free(t);
	t = tc_new(NULL, 0);
	req(t, "GET / HT");
	assert_int_equal(hp_http_eof(t->c, HP_HTTP_DIR_REQUEST), HP_HTTP_S_ERROR);
	assert_int_equal(t->rec->err[0], HP_HTTP_E_EOF);
	assert_int_equal(hp_http_err_reason(HP_HTTP_E_EOF), HP_HTTP_R_INCOMPLETE);
	tc_free(t);
	t = tc_new(NULL, 0);
	req(t, "POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\n\r\nab");
	assert_int_equal(hp_http_eof(t->c, HP_HTTP_DIR_REQUEST), HP_HTTP_S_ERROR);
	assert_true(t->rec->err_had_req[0]);
	resp(t, "HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\n\r\nab");
	assert_int_equal(hp_http_eof(t->c, HP_HTTP_DIR_RESPONSE), HP_HTTP_S_ERROR);
	assert_int_equal(t->rec->err[1], HP_HTTP_E_EOF);
	tc_free(t);
	t = tc_new(NULL, 0);
	req(t, "\r\n\r\n"); /* only empty lines: nothing in progress */
	assert_int_equal(hp_http_eof(t->c, HP_HTTP_DIR_REQUEST), HP_HTTP_S_CLOSED);
	tc_free(t);
}

/* ---- names and docs ---- */

static void
test_names_and_docs(void **state)
{
	size_t len;
	uint8_t *doc = read_file(SRC("docs/HTTP.md"), &len);
	char *text;
	int i, j;

	(void)state;
	assert_non_null(doc);
	text = (char *)doc;
	text[len] = '\0';
	for (i = 0; i < HP_HTTP_R_COUNT; i++) {
		const char *n = hp_http_reason_name((enum hp_http_reason)i);
		char quoted[64];

		assert_string_not_equal(n, "unknown");
		for (j = 0; n[j]; j++)
			assert_true((n[j] >= 'a' && n[j] <= 'z') || n[j] == '_');
		for (j = 0; j < i; j++)
			assert_string_not_equal(n, hp_http_reason_name((enum hp_http_reason)j));
		snprintf(quoted, sizeof(quoted), "`%s`", n);
		if (strstr(text, quoted) == NULL) {
			fprintf(stderr, "docs/HTTP.md does not name reason %s\n", quoted);
			fail();
		}
	}
	for (i = 1; i < HP_HTTP_E_COUNT; i++) {
		const char *n = hp_http_err_name((enum hp_http_err)i);
		enum hp_http_reason r = hp_http_err_reason((enum hp_http_err)i);
		char quoted[64];

		assert_string_not_equal(n, "unknown");
		assert_true(r != HP_HTTP_R_OK && r != HP_HTTP_R_BODY_TRUNCATED &&
			    r != HP_HTTP_R_BODY_GAP);
		for (j = 1; j < i; j++)
			assert_string_not_equal(n, hp_http_err_name((enum hp_http_err)j));
		snprintf(quoted, sizeof(quoted), "`%s`", n);
		if (strstr(text, quoted) == NULL) {
			fprintf(stderr, "docs/HTTP.md does not name error %s\n", quoted);
			fail();
		}
	}
	assert_string_equal(hp_http_err_name(HP_HTTP_E_COUNT), "unknown");
	assert_string_equal(hp_http_reason_name(HP_HTTP_R_COUNT), "unknown");
	assert_string_equal(hp_http_state_name(HP_HTTP_S_WAIT), "wait");
	free(doc);
}

/* Each byte value at each place of a span 1 to 40 bytes long, handed to check. */
static void
every_byte(void (*check)(uint32_t len, uint32_t k, uint8_t b))
{
	for (uint32_t len = 1; len <= 40; len++)
		for (uint32_t k = 0; k < len; k++)
			for (unsigned int b = 0; b < 256; b++)
				check(len, k, (uint8_t)b);
}

/* A field name's common bytes (letters, digits, '-') are skipped 16 at a time, the rest by the
 * token table: whatever the name's length and wherever another byte falls, the name must end at
 * the first byte that is not a token character, and only a colon there is a field. */
static void
check_name(uint32_t len, uint32_t k, uint8_t b)
{
	static const char tchar_mix[] = "Ab-9zZ0_x!~";
	uint8_t line[64];
	struct hp_http_header h;
	enum hp_http_err e;
	uint32_t n, j;

	for (j = 0; j < len; j++)
		line[j] = (uint8_t)tchar_mix[(j * 7 + len) % 11];
	line[k] = b;
	memcpy(line + len, ": v", 3);
	n = len + 3;
	for (j = 0; j < n && (http_cc[line[j]] & HC_TCHAR); j++)
		;
	memset(&h, 0, sizeof(h));
	e = http_parse_field(line, n, &h);
	if (j > 0 && line[j] == ':') {
		if (e != HP_HTTP_E_NONE || h.name.len != j || h.name.p != line)
			fail_msg("len %u, 0x%02x at %u: error %d, name %u, want %u", len, b, k, e,
				 h.name.len, j);
	} else if (e == HP_HTTP_E_NONE) {
		fail_msg("len %u, 0x%02x at %u: accepted", len, b, k);
	}
}

static void
test_field_name_every_byte(void **state)
{
	(void)state;
	every_byte(check_name);
}

/* The same for field values (16 bytes a step, then 8, then the table) and for a Host's
 * reg-name (letters, digits, '-' and '.' 16 at a time): every byte value at every place of
 * values and hosts 1 to 40 long, against the table and the authority grammar read byte by
 * byte (RFC 3986 reg-name with %XX, an optional port of at most 5 digits up to 65535). */
static bool
authority_ref(const uint8_t *p, uint32_t n)
{
	uint32_t i = 0, port = 0, digits = 0;

	while (i < n && (http_cc[p[i]] & HC_HOST)) {
		if (p[i] == '%' &&
		    (i + 2 >= n || !(http_cc[p[i + 1]] & HC_HEX) || !(http_cc[p[i + 2]] & HC_HEX)))
			return false;
		i++;
	}
	if (i == 0 || (i < n && p[i] != ':'))
		return false;
	for (i++; i < n; i++, digits++) {
		if (p[i] < '0' || p[i] > '9' || digits == 5)
			return false;
		port = port * 10 + (uint32_t)(p[i] - '0');
	}
	return port <= 65535;
}

/* One value after a name of name_len bytes (the value's last bytes are checked by a step that
 * reaches back into the name: short and long names give it more or less room). The error must
 * name the first bad byte's kind (bare CR, control character). */
static void
check_value_after(uint32_t name_len, uint32_t len, uint32_t k, uint8_t b)
{
	uint8_t line[96];
	struct hp_http_header h;
	enum hp_http_err e, want = HP_HTTP_E_NONE;

	for (uint32_t j = 0; j < name_len; j++)
		line[j] = (uint8_t) "X-Sig"[j % 5];
	line[name_len] = ':';
	for (uint32_t j = 0; j < len; j++)
		line[name_len + 1 + j] = (uint8_t) "v1=~ Az,"[(j + len) % 8];
	line[name_len + 1 + k] = b;
	for (uint32_t j = 0; j < len && want == HP_HTTP_E_NONE; j++)
		if (!(http_cc[line[name_len + 1 + j]] & HC_FVAL))
			want = http_bad_byte(line[name_len + 1 + j], HP_HTTP_E_CTL_CHAR);
	e = http_parse_field(line, name_len + 1 + len, &h);
	if (e != want)
		fail_msg("name %u, value len %u, 0x%02x at %u: error %d, want %d", name_len, len, b,
			 k, e, want);
}

static void
check_value_and_host(uint32_t len, uint32_t k, uint8_t b)
{
	static const char host_mix[] = "ab-.9Z0xq.-";
	uint8_t line[64];
	bool ok;

	check_value_after(1, len, k, b);
	check_value_after(7, len, k, b);
	check_value_after(20, len, k, b);

	for (uint32_t j = 0; j < len; j++)
		line[j] = (uint8_t)host_mix[(j * 3 + len) % 11];
	line[k] = b;
	ok = http_check_authority(line, len, false) == HP_HTTP_E_NONE;
	if (line[0] != '[' && ok != authority_ref(line, len))
		fail_msg("host len %u, 0x%02x at %u: %s", len, b, k, ok ? "accepted" : "refused");
}

static void
test_value_and_host_every_byte(void **state)
{
	(void)state;
	every_byte(check_value_and_host);
}

/* The request-target (16 bytes a step, then the table) and the status line (the whole line
 * checked 16 bytes a step, or by two overlapping 8-byte loads below 16, before the table
 * decides): every byte value at every place of targets and reason phrases 1 to 40 long, against
 * the tables read byte by byte. */
static void
check_target_and_status(uint32_t len, uint32_t k, uint8_t b)
{
	uint8_t line[96];
	struct hp_http_request r;
	uint16_t status = 0, version = 0;
	enum hp_http_err e, want = HP_HTTP_E_NONE;
	uint32_t j, n;

	memcpy(line, "GET /", 5);
	for (j = 1; j < len; j++)
		line[4 + j] = (uint8_t) "a/b~%2F?x=1&;:@!$"[(j * 5 + len) % 17];
	if (k > 0)
		line[4 + k] = b;
	memcpy(line + 4 + len, " HTTP/1.1", 9);
	n = 4 + len + 9;
	for (j = 4; j < 4 + len && (http_cc[line[j]] & HC_TARGET); j++)
		;
	if (j < 4 + len)
		want = line[j] == ' ' ? HP_HTTP_E_VERSION
				      : http_bad_byte(line[j], HP_HTTP_E_TARGET);
	memset(&r, 0, sizeof(r));
	e = http_parse_request_line(line, n, &r);
	if (want == HP_HTTP_E_NONE ? e != HP_HTTP_E_NONE || r.target.len != len
				   : e == HP_HTTP_E_NONE)
		fail_msg("target len %u, 0x%02x at %u: error %d, want %d", len, b, k, e, want);
	if (want != HP_HTTP_E_NONE && line[j] != ' ' && e != want)
		fail_msg("target len %u, 0x%02x at %u: error %d, want %d", len, b, k, e, want);

	memcpy(line, "HTTP/1.1 200 ", 13);
	for (j = 0; j < len; j++)
		line[13 + j] = (uint8_t) "OK Accepted-~"[(j * 3 + len) % 13];
	line[13 + k] = b;
	want = HP_HTTP_E_NONE;
	for (j = 0; j < len && want == HP_HTTP_E_NONE; j++)
		if (!(http_cc[line[13 + j]] & HC_FVAL))
			want = http_bad_byte(line[13 + j], HP_HTTP_E_STATUS_LINE);
	e = http_parse_status_line(line, 13 + len, &status, &version);
	if (e != want || (e == HP_HTTP_E_NONE && (status != 200 || version != 11)))
		fail_msg("reason len %u, 0x%02x at %u: error %d, want %d", len, b, k, e, want);
	/* short status lines: the whole line in one overlapping pair of loads */
	if (len <= 4) {
		memcpy(line, "HTTP/1.1 204", 12);
		line[k] = b;
		e = http_parse_status_line(line, 12, &status, &version);
		for (j = 0; j < 12 && (http_cc[line[j]] & HC_FVAL); j++)
			;
		if (j < 12 && e != http_bad_byte(line[j], HP_HTTP_E_STATUS_LINE))
			fail_msg("status line, 0x%02x at %u: error %d", b, k, e);
	}
}

/* Content-Length: a comma anywhere is "multiple" whatever comes before it, any other non-digit
 * or a value above 2^62 is invalid, whatever the length (values of up to 18 digits take a
 * loop without the bound): every byte at every place of values 1 to 40 long, and the bound's
 * neighbours, against the rule read byte by byte. */
static enum hp_http_err
cl_ref(const uint8_t *p, uint32_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0)
		return HP_HTTP_E_CL_INVALID;
	for (uint32_t i = 0; i < n; i++)
		if (p[i] == ',')
			return HP_HTTP_E_CL_MULTIPLE;
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return HP_HTTP_E_CL_INVALID;
		if (x > ((1ull << 62) - (uint64_t)(p[i] - '0')) / 10)
			return HP_HTTP_E_CL_INVALID;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	*out = x;
	return HP_HTTP_E_NONE;
}

static void
check_cl(uint32_t len, uint32_t k, uint8_t b)
{
	uint8_t v[48];
	struct hp_http_span sp = {.p = v, .len = len};
	uint64_t got = 0, want = 0;
	enum hp_http_err e, w;

	for (uint32_t j = 0; j < len; j++)
		v[j] = (uint8_t)('0' + (j * 7 + len) % 10);
	v[k] = b;
	e = http_parse_content_length(&sp, &got);
	w = cl_ref(v, len, &want);
	if (e != w || (e == HP_HTTP_E_NONE && got != want))
		fail_msg("content-length len %u, 0x%02x at %u: error %d, want %d", len, b, k, e, w);
}

static void
test_content_length_every_byte(void **state)
{
	static const char *const edge[] = {"4611686018427387904",
					   "4611686018427387905",
					   "04611686018427387904",
					   "999999999999999999",
					   "1000000000000000000",
					   "9999999999999999999",
					   "000000000000000000000000000000001",
					   "1,",
					   ",1"};

	(void)state;
	every_byte(check_cl);
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		struct hp_http_span sp = {.p = (const uint8_t *)edge[i],
					  .len = (uint32_t)strlen(edge[i])};
		uint64_t got = 0, want = 0;
		enum hp_http_err e = http_parse_content_length(&sp, &got);

		assert_int_equal(e, cl_ref(sp.p, sp.len, &want));
		if (e == HP_HTTP_E_NONE)
			assert_true(got == want);
	}
}

static void
test_target_and_status_every_byte(void **state)
{
	(void)state;
	every_byte(check_target_and_status);
}

/* http_name_eq (16 bytes a step from 8 bytes on): equal in any case, and not equal once any
 * one byte differs, a non-letter's 0x20 bit included ('-' against CR). */
static void
test_name_eq_every_byte(void **state)
{
	static const char *const names[] = {"content-length",
					    "transfer-encoding",
					    "connection",
					    "100-continue",
					    "keep-alive",
					    "websocket",
					    "x-a-very-long-header-name-32-by",
					    "host"};
	uint8_t b[64];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint32_t n = (uint32_t)strlen(names[i]);
		struct hp_http_span sp = {.p = b, .len = n};

		for (uint32_t k = 0; k < n; k++) {
			memcpy(b, names[i], n);
			if (b[k] >= 'a' && b[k] <= 'z')
				b[k] = (uint8_t)(b[k] - 32);
			assert_true(http_name_eq(&sp, names[i], n));
			b[k] ^= 0x01;
			assert_false(http_name_eq(&sp, names[i], n));
			b[k] ^= 0x01;
			if (!(b[k] >= 'A' && b[k] <= 'Z')) {
				b[k] ^= 0x20;
				assert_false(http_name_eq(&sp, names[i], n));
			}
		}
		sp.len = n - 1;
		assert_false(http_name_eq(&sp, names[i], n));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_t_format),
		cmocka_unit_test(test_libhtp_corpus),
		cmocka_unit_test(test_error_cases),
		cmocka_unit_test(test_nul_cases),
		cmocka_unit_test(test_simple_post),
		cmocka_unit_test(test_views),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_init_validation),
		cmocka_unit_test(test_limit_line),
		cmocka_unit_test(test_limit_headers),
		cmocka_unit_test(test_limit_header_bytes),
		cmocka_unit_test(test_limit_body_copy),
		cmocka_unit_test(test_limit_outstanding),
		cmocka_unit_test(test_chunked_ext_trailers),
		cmocka_unit_test(test_pipelined_posts),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_no_body_responses),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_connect_upgrade),
		cmocka_unit_test(test_host_forms),
		cmocka_unit_test(test_gaps),
		cmocka_unit_test(test_eof),
		cmocka_unit_test(test_field_name_every_byte),
		cmocka_unit_test(test_value_and_host_every_byte),
		cmocka_unit_test(test_target_and_status_every_byte),
		cmocka_unit_test(test_content_length_every_byte),
		cmocka_unit_test(test_name_eq_every_byte),
		cmocka_unit_test(test_names_and_docs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
