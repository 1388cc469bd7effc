/* SPDX-License-Identifier: BSD-3-Clause
 * Incremental HTTP/1.1 parser: the per-direction state machine (contract in http_parse.h,
 * rules in docs/HTTP.md).
 *
 * Shape: each feed runs a loop over the bytes with one case per state; every case consumes as
 * many bytes as it can at once. Lines (start line, fields, trailers) are found with memchr and
 * copied once into the connection's buffer (requests: hdr_buf, kept until the request
 * completes; responses: resp_line, only when a line spans segments), then checked whole by
 * http_field.c. Bodies are passed on by pointer, never copied except into body_copy. Only the
 * chunk-size line is walked byte by byte (it is a few bytes long).
 *
 * Split independence: every error is decided by a prefix of the direction's bytes, the same
 * way whatever the split. Size limits fire at the first byte that cannot fit (line or section,
 * whichever limit is nearer: the gap between the two does not change within a line); the
 * content of a line is judged only once the line is complete.
 */
#include <errno.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "http_priv.h"

#define REQ  HP_HTTP_DIR_REQUEST
#define RESP HP_HTTP_DIR_RESPONSE

/* Chunk-size line sub-states (http_dir.cs), RFC 9112 §7.1:
 *   chunk-size [ chunk-ext ] CRLF
 *   chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), ext-val = token / quoted */
enum {
	CS_START = 0, /* first hex digit */
	CS_SIZE,      /* more hex digits */
	CS_SIZE_WS,   /* BWS after the size: only ';' may follow */
	CS_EXT_PRE,   /* after ';' */
	CS_EXT_NAME,
	CS_EXT_NAME_WS,
	CS_EXT_VAL_PRE, /* after '=' */
	CS_EXT_TOKEN,
	CS_EXT_QUOTED,
	CS_EXT_QESC,
	CS_EXT_AFTER_Q, /* after the closing quote */
	CS_EXT_VAL_WS,  /* BWS after a value: only ';' may follow */
	CS_LF,          /* CR seen */
};

#define CHUNK_SIZE_MAX_SHIFTABLE (1ull << 56) /* sizes stay below 2^60 */

static const struct hp_http_callbacks no_callbacks;

size_t
hp_http_conn_size(void)
{
	return sizeof(struct hp_http_conn);
}

/* ---- direction bookkeeping ---- */

static void
reset_message(struct http_dir *d)
{
	d->ps = PS_LINE;
	d->cs = CS_START;
	d->mf = 0;
	d->buf_len = 0;
	d->line_start = 0;
	d->sect = 0;
	d->n_fields = 0;
	d->chunk_line = 0;
	d->remaining = 0;
	d->cl = 0;
}

static void
reset_request(struct hp_http_conn *c)
{
	reset_message(&c->d[REQ]);
	memset(&c->req, 0, sizeof(c->req));
	c->req.body_copy = c->body_copy;
	c->host_field.p = NULL;
	c->host_field.len = 0;
	c->req_line_seen = false;
}

/* Pairing stops for good when the response direction is no longer parsed. */
static void
stop_pairing(struct hp_http_conn *c)
{
	c->pairing = false;
	c->out_count = 0;
}

static bool
req_has_headers(const struct hp_http_conn *c)
{
	switch (c->d[REQ].ps) {
	case PS_BODY_LEN:
	case PS_CHUNK_LINE:
	case PS_CHUNK_DATA:
	case PS_CHUNK_CR:
	case PS_CHUNK_LF:
	case PS_TRAILERS:
		return true;
	default:
		return false;
	}
}

static void
fail(struct hp_http_conn *c, int dir, enum hp_http_err err)
{
	const struct hp_http_request *req = NULL;

	if (dir == REQ && req_has_headers(c))
		req = &c->req;
	c->d[dir].ps = PS_ERROR;
	c->d[dir].err = (uint16_t)err;
	if (dir == RESP)
		stop_pairing(c);
	if (c->cb->on_error != NULL)
		c->cb->on_error(c->ctx, (enum hp_http_dir)dir, err, req);
}

static enum hp_http_state
dir_state(const struct http_dir *d)
{
	switch (d->ps) {
	case PS_WAIT:
		return HP_HTTP_S_WAIT;
	case PS_TUNNEL:
		return HP_HTTP_S_TUNNEL;
	case PS_ERROR:
		return HP_HTTP_S_ERROR;
	case PS_CLOSED:
		return HP_HTTP_S_CLOSED;
	default:
		return HP_HTTP_S_ACTIVE;
	}
}

int
hp_http_init(struct hp_http_conn *c, const struct hp_http_cfg *cfg)
{
	const struct hp_http_limits *l;

	if (c == NULL || cfg == NULL)
		return -EINVAL;
	l = &cfg->limits;
	if (l->max_line < 16 || l->max_line > (1u << 20) || l->max_headers < 1 ||
	    l->max_headers > (1u << 16) || l->max_header_bytes < 16 ||
	    l->max_header_bytes > (1u << 24) || l->body_copy_max > (1u << 30) ||
	    l->max_outstanding > HP_HTTP_MAX_OUTSTANDING)
		return -EINVAL;
	if (cfg->hdr_buf == NULL || cfg->fields == NULL ||
	    (l->max_outstanding > 0 && cfg->resp_line == NULL) ||
	    (l->body_copy_max > 0 && cfg->body_copy == NULL))
		return -EINVAL;
	if ((cfg->flags &
	     ~(HP_HTTP_F_ALLOW_BARE_LF | HP_HTTP_F_ALLOW_NO_HOST | HP_HTTP_F_REFUSE_CONNECT |
	       HP_HTTP_F_REFUSE_UPGRADE | HP_HTTP_F_REFUSE_UPGRADE_NOT_WS)) != 0)
		return -EINVAL;

	memset(c, 0, sizeof(*c));
	c->lim = *l;
	c->flags = cfg->flags;
	c->hdr_buf = cfg->hdr_buf;
	c->fields = cfg->fields;
	c->resp_line = cfg->resp_line;
	c->body_copy = cfg->body_copy;
	c->cb = cfg->cb != NULL ? cfg->cb : &no_callbacks;
	c->ctx = cfg->ctx;
	reset_request(c);
	reset_message(&c->d[RESP]);
	c->pairing = l->max_outstanding > 0;
	if (!c->pairing)
		c->d[RESP].ps = PS_CLOSED;
	return 0;
}

/* ---- lines ---- */

/* The first LF in p[0..n), NULL if none: 16 bytes per compare inline (a field line is a few
 * dozen bytes: most are found in the first two or three compares, without a call), the tail
 * by memchr. */
static inline const uint8_t *
find_lf(const uint8_t *p, size_t n)
{
#ifdef __SSE2__
	const __m128i lf = _mm_set1_epi8('\n');

	for (; n >= 16; p += 16, n -= 16) {
		unsigned int m = (unsigned int)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), lf));

		if (m != 0)
			return p + __builtin_ctz(m);
	}
#endif
	return n != 0 ? memchr(p, '\n', n) : NULL;
}

/* memcpy of one line, inline for the 8 to 256 bytes header lines have: 16-byte moves from the
 * start, the last one ending at k (overlapping the one before), never outside s[0..k) or
 * d[0..k); 8-byte moves from both ends below 16. */
static inline void
copy_line(uint8_t *d, const uint8_t *s, size_t k)
{
#ifdef __SSE2__
	if (k >= 16 && k <= 256) {
		size_t i;

		for (i = 0; i + 16 < k; i += 16)
			_mm_storeu_si128((__m128i *)(void *)(d + i),
					 _mm_loadu_si128((const __m128i *)(const void *)(s + i)));
		_mm_storeu_si128((__m128i *)(void *)(d + k - 16),
				 _mm_loadu_si128((const __m128i *)(const void *)(s + k - 16)));
		return;
	}
#endif
	if (k >= 8 && k < 16) {
		uint64_t a, b;

		memcpy(&a, s, 8);
		memcpy(&b, s + k - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + k - 8, &b, 8);
		return;
	}
	memcpy(d, s, k);
}

/* Take the bytes of the current line from p[0..n). Returns 1 with *line and *len (len excludes the
 * LF) when the line is complete, 0 when all n bytes were taken and more are needed, or a
 * negative error code (-enum hp_http_err) when a size limit is exceeded. *used: bytes taken.
 * Requests copy every line into hdr_buf (the views need them); responses copy only lines that
 * span segments. *cr: the byte before the LF is a CR, read from where it came from rather than
 * from the copy just written (a byte load inside a wider store in flight waits for it). */
static inline int
take_line(struct hp_http_conn *c, const int dir, const uint8_t *p, size_t n, size_t *used,
	  const uint8_t **line, uint32_t *len, bool *cr)
{
	struct http_dir *d = &c->d[dir];
	uint8_t *buf = dir == REQ ? c->hdr_buf : c->resp_line;
	uint32_t part = d->buf_len - d->line_start;
	uint32_t room_line = c->lim.max_line - part;
	uint32_t room_sect = c->lim.max_header_bytes - d->sect;
	uint32_t w = room_line < room_sect ? room_line : room_sect;
	const uint8_t *lf = find_lf(p, n < w ? n : w);
	size_t k;

	if (lf == NULL) {
		if (n > w)
			return room_line <= room_sect ? -HP_HTTP_E_LINE_TOO_LONG
						      : -HP_HTTP_E_HEADERS_TOO_LARGE;
		memcpy(buf + d->buf_len, p, n);
		d->buf_len += (uint32_t)n;
		d->sect += (uint32_t)n;
		*used = n;
		return 0;
	}
	k = (size_t)(lf - p) + 1;
	d->sect += (uint32_t)k;
	*used = k;
	*len = part + (uint32_t)k - 1;
	*cr = k >= 2 ? p[k - 2] == '\r' : part > 0 && buf[d->buf_len - 1] == '\r';
	if (dir == RESP && part == 0) {
		*line = p;
		return 1;
	}
	copy_line(buf + d->buf_len, p, k);
	d->buf_len += (uint32_t)k;
	*line = buf + d->line_start;
	return 1;
}

/* Strip the CR of a complete line (cr: its last byte is one); HP_HTTP_E_BARE_LF if there is none
 * and that is refused. */
static inline enum hp_http_err
line_end(const struct hp_http_conn *c, const int dir, bool cr, uint32_t *len)
{
	if (cr) {
		(*len)--;
		return HP_HTTP_E_NONE;
	}
	if (dir == RESP || (c->flags & HP_HTTP_F_ALLOW_BARE_LF))
		return HP_HTTP_E_NONE;
	return HP_HTTP_E_BARE_LF;
}

/* ---- outstanding requests ---- */

static uint32_t
out_index(const struct hp_http_conn *c, uint32_t i)
{
	return (c->out_head + i) % HP_HTTP_MAX_OUTSTANDING;
}

/* Is the request just parsed (the newest pushed) still without a final response? */
static bool
req_unanswered(const struct hp_http_conn *c)
{
	return c->pairing && c->out_count > 0 &&
	       c->out_seq[out_index(c, c->out_count - 1u)] == c->req.seq;
}

/* ---- request side ---- */

static void
deliver_body(struct hp_http_conn *c, const uint8_t *p, size_t n)
{
	struct hp_http_request *r = &c->req;

	if (!(r->flags & HP_HTTP_REQ_BODY_TRUNCATED)) {
		size_t room = c->lim.body_copy_max - r->body_copy_len;
		size_t k = n < room ? n : room;

		if (k > 0) {
			memcpy(c->body_copy + r->body_copy_len, p, k);
			r->body_copy_len += (uint32_t)k;
		}
		if (k < n)
			r->flags |= HP_HTTP_REQ_BODY_TRUNCATED;
	}
	r->body_len += n;
	if (c->cb->on_request_body != NULL)
		c->cb->on_request_body(c->ctx, r, p, n);
}

static void
complete_request(struct hp_http_conn *c)
{
	bool wait =
		(c->req.method_id == HP_HTTP_M_CONNECT || (c->req.flags & HP_HTTP_REQ_UPGRADE)) &&
		(!c->pairing || req_unanswered(c));

	if (c->cb->on_request_complete != NULL)
		c->cb->on_request_complete(c->ctx, &c->req);
	reset_request(c);
	if (wait)
		c->d[REQ].ps = PS_WAIT;
}

/* Semantics of one request header field line (syntax already checked). */
static enum hp_http_err
req_field(struct hp_http_conn *c, const struct hp_http_header *h)
{
	struct http_dir *d = &c->d[REQ];
	enum hp_http_err e;

	switch (h->name.len) {
	case 4:
		if (http_name_eq(&h->name, "host", 4)) {
			if (d->mf & MF_HOST)
				return HP_HTTP_E_HOST_MULTIPLE;
			d->mf |= MF_HOST;
			if (h->value.len > 0) {
				e = http_check_authority(h->value.p, h->value.len, false);
				if (e != HP_HTTP_E_NONE)
					return e;
			}
			c->host_field = h->value;
		}
		break;
	case 6:
		if (http_name_eq(&h->name, "expect", 6) &&
		    http_name_eq(&h->value, "100-continue", 12))
			d->mf |= MF_EXPECT;
		break;
	case 7:
		if (http_name_eq(&h->name, "upgrade", 7)) {
			d->mf |= MF_UPGRADE;
			if (!http_list_only(&h->value, "websocket", 9))
				d->mf |= MF_UPGRADE_NOT_WS;
		}
		break;
	case 10:
		if (http_name_eq(&h->name, "connection", 10)) {
			if (http_list_has(&h->value, "close", 5))
				d->mf |= MF_CLOSE;
			if (http_list_has(&h->value, "keep-alive", 10))
				d->mf |= MF_KEEP_ALIVE;
		}
		break;
	case 14:
		if (http_name_eq(&h->name, "content-length", 14)) {
			if (d->mf & MF_CL)
				return HP_HTTP_E_CL_MULTIPLE;
			d->mf |= MF_CL;
			return http_parse_content_length(&h->value, &d->cl);
		}
		break;
	case 17:
		if (http_name_eq(&h->name, "transfer-encoding", 17)) {
			/* a second field line makes the list "chunked, chunked" */
			if ((d->mf & MF_TE) || !http_te_is_chunked(&h->value))
				return HP_HTTP_E_TE_NOT_CHUNKED;
			d->mf |= MF_TE;
		}
		break;
	}
	return HP_HTTP_E_NONE;
}

/* Fields that must not be in trailers (RFC 9110 §6.5.1): framing and routing. */
static bool
trailer_forbidden(const struct hp_http_header *h)
{
	return http_name_eq(&h->name, "content-length", 14) ||
	       http_name_eq(&h->name, "transfer-encoding", 17) || http_name_eq(&h->name, "host", 4);
}

/* Empty line after the request's fields: decide the framing, announce the request. */
static enum hp_http_err
req_headers_done(struct hp_http_conn *c)
{
	struct http_dir *d = &c->d[REQ];
	struct hp_http_request *r = &c->req;
	uint32_t i;

	if (d->mf & MF_TE) {
		if (d->mf & MF_CL)
			return HP_HTTP_E_TE_AND_CL;
		if (r->version == 10)
			return HP_HTTP_E_TE_HTTP10;
	}
	if (r->version == 11 && !(d->mf & MF_HOST) && !(c->flags & HP_HTTP_F_ALLOW_NO_HOST))
		return HP_HTTP_E_HOST_MISSING;
	if (r->method_id == HP_HTTP_M_CONNECT && ((d->mf & MF_TE) || d->cl > 0))
		return HP_HTTP_E_CONNECT_BODY;
	/* a tunnel carries what the parser cannot read (HTTP/2 after "Upgrade: h2c", anything
	 * after CONNECT): refused where the caller says so */
	if ((r->method_id == HP_HTTP_M_CONNECT && (c->flags & HP_HTTP_F_REFUSE_CONNECT)) ||
	    ((d->mf & MF_UPGRADE) && (c->flags & HP_HTTP_F_REFUSE_UPGRADE)) ||
	    ((d->mf & MF_UPGRADE_NOT_WS) && (c->flags & HP_HTTP_F_REFUSE_UPGRADE_NOT_WS)))
		return HP_HTTP_E_TUNNEL_REFUSED;
	if (c->pairing && c->out_count >= c->lim.max_outstanding)
		return HP_HTTP_E_TOO_MANY_PIPELINED;

	if (r->flags & HP_HTTP_REQ_HOST_FROM_TARGET) {
		/* RFC 9112 §3.2.2: the target's authority wins; a server that reads Host instead
		 * routes the request elsewhere than the inspector does: refused */
		if ((d->mf & MF_HOST) && !http_span_ieq(&r->host, &c->host_field))
			return HP_HTTP_E_HOST_MISMATCH;
	} else if (r->method_id != HP_HTTP_M_CONNECT) {
		r->host = c->host_field;
	}
	if (r->version == 11 ? !(d->mf & MF_CLOSE)
			     : (d->mf & (MF_KEEP_ALIVE | MF_CLOSE)) == MF_KEEP_ALIVE)
		r->flags |= HP_HTTP_REQ_KEEP_ALIVE;
	if (c->prev_close)
		r->flags |= HP_HTTP_REQ_AFTER_CLOSE;
	if (!(r->flags & HP_HTTP_REQ_KEEP_ALIVE))
		c->prev_close = true;
	if (d->mf & MF_EXPECT)
		r->flags |= HP_HTTP_REQ_EXPECT_CONTINUE;
	if (d->mf & MF_UPGRADE)
		r->flags |= HP_HTTP_REQ_UPGRADE;
	if (d->mf & MF_TE) {
		r->body = HP_HTTP_BODY_CHUNKED;
	} else if (d->mf & MF_CL) {
		r->body = HP_HTTP_BODY_LENGTH;
		r->content_length = d->cl;
	}
	r->headers = c->fields;
	r->n_headers = d->n_fields;
	r->head = c->hdr_buf;
	r->head_len = d->buf_len;
	r->trailers = c->fields + d->n_fields;
	r->seq = c->next_seq++;

	if (c->pairing) {
		uint8_t f = 0;

		if (r->method_id == HP_HTTP_M_HEAD)
			f |= OUT_HEAD;
		if (r->method_id == HP_HTTP_M_CONNECT)
			f |= OUT_CONNECT;
		if (r->flags & HP_HTTP_REQ_UPGRADE)
			f |= OUT_UPGRADE;
		i = out_index(c, c->out_count++);
		c->out_seq[i] = r->seq;
		c->out_flags[i] = f;
	}

	switch (r->body) {
	case HP_HTTP_BODY_CHUNKED:
		d->ps = PS_CHUNK_LINE;
		d->cs = CS_START;
		d->chunk_line = 0;
		break;
	case HP_HTTP_BODY_LENGTH:
		d->ps = PS_BODY_LEN;
		d->remaining = d->cl;
		break;
	default:
		d->ps = PS_BODY_LEN;
		d->remaining = 0;
		break;
	}
	if (c->cb->on_request_headers != NULL)
		c->cb->on_request_headers(c->ctx, r);
	if (d->ps == PS_BODY_LEN && d->remaining == 0)
		complete_request(c);
	return HP_HTTP_E_NONE;
}

/* ---- response side ---- */

static void
complete_response(struct hp_http_conn *c)
{
	reset_message(&c->d[RESP]);
}

static void
enter_tunnel(struct hp_http_conn *c)
{
	if (c->d[REQ].ps != PS_ERROR && c->d[REQ].ps != PS_CLOSED)
		c->d[REQ].ps = PS_TUNNEL;
	c->d[RESP].ps = PS_TUNNEL;
	stop_pairing(c);
}

/* Empty line after a response's fields: pair it, decide its framing. */
static enum hp_http_err
resp_headers_done(struct hp_http_conn *c)
{
	struct http_dir *d = &c->d[RESP];
	struct hp_http_response *s = &c->resp;
	uint32_t i = out_index(c, 0);
	uint8_t f = c->out_flags[i];
	bool tunnel = false;

	if (d->mf & MF_TE) {
		if (d->mf & MF_CL)
			return HP_HTTP_E_TE_AND_CL;
		if (s->version == 10)
			return HP_HTTP_E_TE_HTTP10;
	}
	s->req_seq = c->out_seq[i];
	s->flags = 0;
	s->body = HP_HTTP_BODY_NONE;
	s->content_length = 0;
	if (s->status == 101) {
		if (!(f & OUT_UPGRADE))
			return HP_HTTP_E_UNEXPECTED_101;
		tunnel = true;
	} else if (s->status < 200) {
		s->flags |= HP_HTTP_RESP_INTERIM;
	} else if ((f & OUT_CONNECT) && s->status < 300) {
		tunnel = true;
	} else if ((f & OUT_HEAD) || s->status == 204 || s->status == 304) {
		s->body = HP_HTTP_BODY_NONE;
	} else if (d->mf & MF_TE) {
		s->body = HP_HTTP_BODY_CHUNKED;
	} else if (d->mf & MF_CL) {
		s->body = HP_HTTP_BODY_LENGTH;
		s->content_length = d->cl;
	} else {
		s->body = HP_HTTP_BODY_CLOSE;
	}
	if (tunnel)
		s->flags |= HP_HTTP_RESP_TUNNEL;

	if (!(s->flags & HP_HTTP_RESP_INTERIM)) {
		c->out_head = (uint8_t)out_index(c, 1);
		c->out_count--;
	}
	if (c->cb->on_response_status != NULL)
		c->cb->on_response_status(c->ctx, s);
	if (tunnel) {
		enter_tunnel(c);
		return HP_HTTP_E_NONE;
	}
	/* CONNECT/Upgrade refused: the request direction is HTTP again */
	if ((f & (OUT_CONNECT | OUT_UPGRADE)) && !(s->flags & HP_HTTP_RESP_INTERIM) &&
	    c->d[REQ].ps == PS_WAIT)
		c->d[REQ].ps = PS_LINE;

	switch (s->body) {
	case HP_HTTP_BODY_CHUNKED:
		d->ps = PS_CHUNK_LINE;
		d->cs = CS_START;
		d->chunk_line = 0;
		break;
	case HP_HTTP_BODY_LENGTH:
		d->ps = PS_BODY_LEN;
		d->remaining = d->cl;
		if (d->cl == 0)
			complete_response(c);
		break;
	case HP_HTTP_BODY_CLOSE:
		d->ps = PS_BODY_CLOSE;
		break;
	default:
		complete_response(c);
		break;
	}
	return HP_HTTP_E_NONE;
}

/* Semantics of one response header field line: only the framing fields matter. */
static enum hp_http_err
resp_field(struct hp_http_conn *c, const struct hp_http_header *h)
{
	struct http_dir *d = &c->d[RESP];

	if (h->name.len == 14 && http_name_eq(&h->name, "content-length", 14)) {
		if (d->mf & MF_CL)
			return HP_HTTP_E_CL_MULTIPLE;
		d->mf |= MF_CL;
		return http_parse_content_length(&h->value, &d->cl);
	}
	if (h->name.len == 17 && http_name_eq(&h->name, "transfer-encoding", 17)) {
		if ((d->mf & MF_TE) || !http_te_is_chunked(&h->value))
			return HP_HTTP_E_TE_NOT_CHUNKED;
		d->mf |= MF_TE;
	}
	return HP_HTTP_E_NONE;
}

/* ---- one complete line, either direction ---- */

static enum hp_http_err
on_line(struct hp_http_conn *c, const int dir, const uint8_t *line, uint32_t len, bool cr)
{
	struct http_dir *d = &c->d[dir];
	struct hp_http_header h, *hp;
	enum hp_http_err e;

	e = line_end(c, dir, cr, &len);
	if (e != HP_HTTP_E_NONE)
		return e;
	/* the next line starts after this one (requests keep every line) */
	if (dir == REQ)
		d->line_start = d->buf_len;
	else
		d->buf_len = 0;

	if (d->ps == PS_LINE) {
		if (len == 0) { /* empty line before the start line: ignored */
			d->buf_len = 0;
			d->line_start = 0;
			d->sect = 0;
			return HP_HTTP_E_NONE;
		}
		if (dir == REQ) {
			e = http_parse_request_line(line, len, &c->req);
			c->req_line_seen = e == HP_HTTP_E_NONE;
		} else {
			if (c->out_count == 0)
				return HP_HTTP_E_UNSOLICITED;
			e = http_parse_status_line(line, len, &c->resp.status, &c->resp.version);
		}
		if (e == HP_HTTP_E_NONE)
			d->ps = PS_FIELDS;
		return e;
	}

	if (len == 0) {
		if (d->ps == PS_FIELDS)
			return dir == REQ ? req_headers_done(c) : resp_headers_done(c);
		/* end of trailers */
		if (dir == REQ)
			complete_request(c);
		else
			complete_response(c);
		return HP_HTTP_E_NONE;
	}

	if (d->n_fields >= c->lim.max_headers)
		return HP_HTTP_E_TOO_MANY_HEADERS;
	hp = dir == REQ ? &c->fields[d->n_fields] : &h;
	e = http_parse_field(line, len, hp);
	if (e != HP_HTTP_E_NONE)
		return e;
	d->n_fields++;
	if (d->ps == PS_TRAILERS) {
		if (dir == REQ) {
			c->req.n_trailers++;
			if (trailer_forbidden(hp))
				return HP_HTTP_E_TRAILER_FRAMING;
		}
		return HP_HTTP_E_NONE;
	}
	return dir == REQ ? req_field(c, hp) : resp_field(c, hp);
}

/* ---- bodies ---- */

/* Chunk-size line, byte by byte. Returns bytes consumed; sets *err on error. When the line is
 * complete the state moves to PS_CHUNK_DATA or PS_TRAILERS. */
static size_t
chunk_line(struct hp_http_conn *c, const int dir, const uint8_t *p, size_t n, enum hp_http_err *err)
{
	struct http_dir *d = &c->d[dir];
	bool lf_ok = dir == RESP || (c->flags & HP_HTTP_F_ALLOW_BARE_LF);
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t ch = p[i], cc = http_cc[ch];
		bool ws = ch == ' ' || ch == '\t';
		bool done = false;

		if (d->chunk_line++ >= c->lim.max_line) {
			*err = HP_HTTP_E_LINE_TOO_LONG;
			return i;
		}
		switch (d->cs) {
		case CS_START:
		case CS_SIZE:
			if (cc & HC_HEX) {
				uint8_t v =
					(uint8_t)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);

				if (d->remaining >= CHUNK_SIZE_MAX_SHIFTABLE) {
					*err = HP_HTTP_E_CHUNK_OVERFLOW;
					return i;
				}
				d->remaining = (d->remaining << 4) | v;
				d->cs = CS_SIZE;
				continue;
			}
			if (d->cs == CS_START)
				goto bad_size;
			if (ch == ';')
				d->cs = CS_EXT_PRE;
			else if (ws)
				d->cs = CS_SIZE_WS;
			else if (ch == '\r')
				d->cs = CS_LF;
			else if (ch == '\n' && lf_ok)
				done = true;
			else if (ch == '\n')
				goto bare_lf;
			else
				goto bad_size;
			break;
		case CS_SIZE_WS:
			if (ch == ';')
				d->cs = CS_EXT_PRE;
			else if (!ws)
				goto bad_size;
			break;
		case CS_EXT_PRE:
			if (cc & HC_TCHAR)
				d->cs = CS_EXT_NAME;
			else if (!ws)
				goto bad_ext;
			break;
		case CS_EXT_NAME:
		case CS_EXT_TOKEN:
			if (cc & HC_TCHAR)
				break;
			if (ch == '=' && d->cs == CS_EXT_NAME)
				d->cs = CS_EXT_VAL_PRE;
			else if (ch == ';')
				d->cs = CS_EXT_PRE;
			else if (ws)
				d->cs = d->cs == CS_EXT_NAME ? CS_EXT_NAME_WS : CS_EXT_VAL_WS;
			else if (ch == '\r')
				d->cs = CS_LF;
			else if (ch == '\n' && lf_ok)
				done = true;
			else if (ch == '\n')
				goto bare_lf;
			else
				goto bad_ext;
			break;
		case CS_EXT_NAME_WS:
			if (ch == '=')
				d->cs = CS_EXT_VAL_PRE;
			else if (ch == ';')
				d->cs = CS_EXT_PRE;
			else if (!ws)
				goto bad_ext;
			break;
		case CS_EXT_VAL_PRE:
			if (ch == '"')
				d->cs = CS_EXT_QUOTED;
			else if (cc & HC_TCHAR)
				d->cs = CS_EXT_TOKEN;
			else if (!ws)
				goto bad_ext;
			break;
		case CS_EXT_QUOTED:
			if (ch == '"')
				d->cs = CS_EXT_AFTER_Q;
			else if (ch == '\\')
				d->cs = CS_EXT_QESC;
			else if (!(cc & HC_QDTEXT))
				goto bad_ext;
			break;
		case CS_EXT_QESC:
			if (!(cc & HC_FVAL))
				goto bad_ext;
			d->cs = CS_EXT_QUOTED;
			break;
		case CS_EXT_AFTER_Q:
			if (ch == ';')
				d->cs = CS_EXT_PRE;
			else if (ws)
				d->cs = CS_EXT_VAL_WS;
			else if (ch == '\r')
				d->cs = CS_LF;
			else if (ch == '\n' && lf_ok)
				done = true;
			else if (ch == '\n')
				goto bare_lf;
			else
				goto bad_ext;
			break;
		case CS_EXT_VAL_WS:
			if (ch == ';')
				d->cs = CS_EXT_PRE;
			else if (!ws)
				goto bad_ext;
			break;
		case CS_LF:
			if (ch != '\n') {
				*err = HP_HTTP_E_BARE_CR;
				return i;
			}
			done = true;
			break;
		}
		if (done) {
			d->chunk_line = 0;
			d->cs = CS_START;
			if (d->remaining > 0) {
				d->ps = PS_CHUNK_DATA;
			} else {
				d->ps = PS_TRAILERS;
				if (dir == REQ)
					c->req.trailers = c->fields + d->n_fields;
			}
			return i + 1;
		}
	}
	return n;
bad_size:
	*err = HP_HTTP_E_CHUNK_SIZE;
	return i;
bad_ext:
	*err = HP_HTTP_E_CHUNK_EXT;
	return i;
bare_lf:
	*err = HP_HTTP_E_BARE_LF;
	return i;
}

/* ---- the feed loop ---- */

static inline enum hp_http_state
feed(struct hp_http_conn *c, const int dir, const uint8_t *p, size_t n)
{
	struct http_dir *d = &c->d[dir];
	enum hp_http_err err = HP_HTTP_E_NONE;
	const uint8_t *line;
	uint32_t len;
	bool cr = false;
	size_t used, k;
	int r;

	while (n > 0) {
		switch (d->ps) {
		case PS_LINE:
		case PS_FIELDS:
		case PS_TRAILERS:
			/* line after line without going back to the switch while the state stays
			 * one of lines (a header block is a run of them) */
			do {
				r = take_line(c, dir, p, n, &used, &line, &len, &cr);
				if (r < 0) {
					err = (enum hp_http_err) - r;
					break;
				}
				p += used;
				n -= used;
				if (r > 0)
					err = on_line(c, dir, line, len, cr);
			} while (r > 0 && err == HP_HTTP_E_NONE && n > 0 &&
				 (d->ps == PS_FIELDS || d->ps == PS_LINE || d->ps == PS_TRAILERS));
			break;
		case PS_BODY_LEN:
		case PS_CHUNK_DATA:
			k = n < d->remaining ? n : (size_t)d->remaining;
			if (dir == REQ)
				deliver_body(c, p, k);
			p += k;
			n -= k;
			d->remaining -= k;
			if (d->remaining > 0)
				break;
			if (d->ps == PS_CHUNK_DATA)
				d->ps = PS_CHUNK_CR;
			else if (dir == REQ)
				complete_request(c);
			else
				complete_response(c);
			break;
		case PS_BODY_CLOSE:
			return HP_HTTP_S_ACTIVE;
		case PS_CHUNK_LINE:
			k = chunk_line(c, dir, p, n, &err);
			p += k;
			n -= k;
			break;
		case PS_CHUNK_CR:
			if (*p == '\r') {
				d->ps = PS_CHUNK_LF;
			} else if (*p == '\n' &&
				   (dir == RESP || (c->flags & HP_HTTP_F_ALLOW_BARE_LF))) {
				d->ps = PS_CHUNK_LINE;
			} else {
				err = HP_HTTP_E_CHUNK_CRLF;
				break;
			}
			p++;
			n--;
			break;
		case PS_CHUNK_LF:
			if (*p != '\n') {
				err = HP_HTTP_E_CHUNK_CRLF;
				break;
			}
			d->ps = PS_CHUNK_LINE;
			p++;
			n--;
			break;
		case PS_WAIT:
			err = HP_HTTP_E_DATA_BEFORE_TUNNEL;
			break;
		default: /* PS_TUNNEL, PS_ERROR, PS_CLOSED: bytes ignored */
			return dir_state(d);
		}
		if (err != HP_HTTP_E_NONE) {
			fail(c, dir, err);
			break;
		}
	}
	return dir_state(d);
}

enum hp_http_state
hp_http_feed_request(struct hp_http_conn *c, const uint8_t *data, size_t len)
{
	return feed(c, REQ, data, len);
}

enum hp_http_state
hp_http_feed_response(struct hp_http_conn *c, const uint8_t *data, size_t len)
{
	return feed(c, RESP, data, len);
}

/* ---- gaps and eof ---- */

static enum hp_http_state
gap(struct hp_http_conn *c, const int dir, uint64_t n)
{
	struct http_dir *d = &c->d[dir];

	if (n == 0)
		return dir_state(d);
	switch (d->ps) {
	case PS_BODY_CLOSE:
		break;
	case PS_BODY_LEN:
	case PS_CHUNK_DATA:
		if (n > d->remaining) {
			fail(c, dir, HP_HTTP_E_GAP);
			break;
		}
		d->remaining -= n;
		if (dir == REQ) {
			c->req.body_gap += n;
			c->req.flags |= HP_HTTP_REQ_BODY_GAP | HP_HTTP_REQ_BODY_TRUNCATED;
		}
		if (d->remaining > 0)
			break;
		if (d->ps == PS_CHUNK_DATA)
			d->ps = PS_CHUNK_CR;
		else if (dir == REQ)
			complete_request(c);
		else
			complete_response(c);
		break;
	case PS_TUNNEL:
	case PS_ERROR:
	case PS_CLOSED:
		break;
	default:
		fail(c, dir, HP_HTTP_E_GAP);
		break;
	}
	return dir_state(d);
}

enum hp_http_state
hp_http_gap_request(struct hp_http_conn *c, uint64_t n)
{
	return gap(c, REQ, n);
}

enum hp_http_state
hp_http_gap_response(struct hp_http_conn *c, uint64_t n)
{
	return gap(c, RESP, n);
}

enum hp_http_state
hp_http_eof(struct hp_http_conn *c, enum hp_http_dir dir)
{
	struct http_dir *d;

	if (dir != REQ && dir != RESP)
		return HP_HTTP_S_ERROR;
	d = &c->d[dir];
	switch (d->ps) {
	case PS_LINE:
		if (d->buf_len > 0) {
			fail(c, dir, HP_HTTP_E_EOF);
			break;
		}
		d->ps = PS_CLOSED;
		break;
	case PS_BODY_CLOSE:
	case PS_WAIT:
		d->ps = PS_CLOSED;
		break;
	case PS_TUNNEL:
	case PS_ERROR:
	case PS_CLOSED:
		break;
	default:
		fail(c, dir, HP_HTTP_E_EOF);
		break;
	}
	if (dir == RESP)
		stop_pairing(c);
	return dir_state(d);
}

/* ---- queries and names ---- */

enum hp_http_state
hp_http_state(const struct hp_http_conn *c, enum hp_http_dir dir)
{
	return dir == REQ || dir == RESP ? dir_state(&c->d[dir]) : HP_HTTP_S_ERROR;
}

enum hp_http_err
hp_http_error(const struct hp_http_conn *c, enum hp_http_dir dir)
{
	if (dir != REQ && dir != RESP)
		return HP_HTTP_E_NONE;
	return c->d[dir].ps == PS_ERROR ? (enum hp_http_err)c->d[dir].err : HP_HTTP_E_NONE;
}

bool
hp_http_request_idle(const struct hp_http_conn *c)
{
	const struct http_dir *d = &c->d[REQ];

	return d->ps == PS_LINE && d->buf_len == 0;
}

void
hp_http_request_seen(const struct hp_http_conn *c, struct hp_http_request *out)
{
	memset(out, 0, sizeof(*out));
	out->seq = c->req.seq;
	out->method_id = c->req.method_id;
	out->method = c->req.method;
	out->target = c->req.target;
	out->head = c->hdr_buf;
	out->head_len = c->d[REQ].buf_len;
	/* a request line that failed part way keeps what it gave before the failure (the
	 * method, then the target: each set only once valid), nothing after it */
	if (!c->req_line_seen)
		return;
	out->version = c->req.version;
	out->host = c->host_field;
}

const struct hp_http_header *
hp_http_find_header(const struct hp_http_request *req, const char *name, size_t name_len)
{
	struct hp_http_span n = {(const uint8_t *)name, (uint32_t)name_len};
	uint32_t i;

	for (i = 0; i < req->n_headers; i++)
		if (http_span_ieq(&req->headers[i].name, &n))
			return &req->headers[i];
	return NULL;
}

static const struct {
	const char *name;
	enum hp_http_reason reason;
} err_table[HP_HTTP_E_COUNT] = {
	[HP_HTTP_E_NONE] = {"none", HP_HTTP_R_OK},
	[HP_HTTP_E_BARE_LF] = {"bare_lf", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_BARE_CR] = {"bare_cr", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_OBS_FOLD] = {"obs_fold", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_WS_BEFORE_COLON] = {"ws_before_colon", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_TE_AND_CL] = {"te_and_cl", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_CL_MULTIPLE] = {"cl_multiple", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_CL_INVALID] = {"cl_invalid", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_TE_NOT_CHUNKED] = {"te_not_chunked", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_TE_HTTP10] = {"te_in_http10", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_CHUNK_SIZE] = {"chunk_size_invalid", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_CHUNK_OVERFLOW] = {"chunk_size_overflow", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_CHUNK_EXT] = {"chunk_ext_invalid", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_CHUNK_CRLF] = {"chunk_data_no_crlf", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_TRAILER_FRAMING] = {"trailer_forbidden_field", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_DATA_BEFORE_TUNNEL] = {"data_before_tunnel_answer", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_HOST_MISMATCH] = {"host_mismatch", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_TUNNEL_REFUSED] = {"tunnel_refused", HP_HTTP_R_SMUGGLING},
	[HP_HTTP_E_CTL_CHAR] = {"ctl_char", HP_HTTP_R_MALFORMED},
	[HP_HTTP_E_METHOD] = {"bad_method", HP_HTTP_R_MALFORMED},
	[HP_HTTP_E_TARGET] = {"bad_target", HP_HTTP_R_MALFORMED},
	[HP_HTTP_E_VERSION] = {"bad_version", HP_HTTP_R_MALFORMED},
	[HP_HTTP_E_REQUEST_LINE] = {"bad_request_line", HP_HTTP_R_MALFORMED},
	[HP_HTTP_E_HEADER_NAME] = {"bad_field_name", HP_HTTP_R_MALFORMED},
	[HP_HTTP_E_HOST_MISSING] = {"host_missing", HP_HTTP_R_MALFORMED},
	[HP_HTTP_E_HOST_MULTIPLE] = {"host_multiple", HP_HTTP_R_MALFORMED},
	[HP_HTTP_E_HOST_INVALID] = {"host_invalid", HP_HTTP_R_MALFORMED},
	[HP_HTTP_E_CONNECT_BODY] = {"connect_with_body", HP_HTTP_R_MALFORMED},
	[HP_HTTP_E_STATUS_LINE] = {"bad_status_line", HP_HTTP_R_MALFORMED},
	[HP_HTTP_E_UNSOLICITED] = {"response_without_request", HP_HTTP_R_MALFORMED},
	[HP_HTTP_E_UNEXPECTED_101] = {"unexpected_101", HP_HTTP_R_MALFORMED},
	[HP_HTTP_E_LINE_TOO_LONG] = {"line_too_long", HP_HTTP_R_LINE_TOO_LONG},
	[HP_HTTP_E_TOO_MANY_HEADERS] = {"too_many_headers", HP_HTTP_R_TOO_MANY_HEADERS},
	[HP_HTTP_E_HEADERS_TOO_LARGE] = {"headers_too_large", HP_HTTP_R_HEADERS_TOO_LARGE},
	[HP_HTTP_E_TOO_MANY_PIPELINED] = {"too_many_pipelined", HP_HTTP_R_TOO_MANY_PIPELINED},
	[HP_HTTP_E_GAP] = {"gap", HP_HTTP_R_GAP},
	[HP_HTTP_E_EOF] = {"eof_in_message", HP_HTTP_R_INCOMPLETE},
};

static const char *const reason_names[HP_HTTP_R_COUNT] = {
	[HP_HTTP_R_OK] = "ok",
	[HP_HTTP_R_MALFORMED] = "http_malformed",
	[HP_HTTP_R_SMUGGLING] = "http_smuggling",
	[HP_HTTP_R_LINE_TOO_LONG] = "http_line_too_long",
	[HP_HTTP_R_TOO_MANY_HEADERS] = "http_too_many_headers",
	[HP_HTTP_R_HEADERS_TOO_LARGE] = "http_headers_too_large",
	[HP_HTTP_R_TOO_MANY_PIPELINED] = "http_too_many_pipelined",
	[HP_HTTP_R_GAP] = "http_gap",
	[HP_HTTP_R_INCOMPLETE] = "http_incomplete",
	[HP_HTTP_R_BODY_TRUNCATED] = "http_body_truncated",
	[HP_HTTP_R_BODY_GAP] = "http_body_gap",
};

enum hp_http_reason
hp_http_err_reason(enum hp_http_err err)
{
	return (unsigned)err < HP_HTTP_E_COUNT ? err_table[err].reason : HP_HTTP_R_MALFORMED;
}

const char *
hp_http_err_name(enum hp_http_err err)
{
	return (unsigned)err < HP_HTTP_E_COUNT ? err_table[err].name : "unknown";
}

const char *
hp_http_reason_name(enum hp_http_reason reason)
{
	return (unsigned)reason < HP_HTTP_R_COUNT ? reason_names[reason] : "unknown";
}

const char *
hp_http_state_name(enum hp_http_state state)
{
	switch (state) {
	case HP_HTTP_S_ACTIVE:
		return "active";
	case HP_HTTP_S_WAIT:
		return "wait";
	case HP_HTTP_S_TUNNEL:
		return "tunnel";
	case HP_HTTP_S_ERROR:
		return "error";
	case HP_HTTP_S_CLOSED:
		return "closed";
	}
	return "unknown";
}
