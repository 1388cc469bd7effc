/* SPDX-License-Identifier: BSD-3-Clause
 * Private to lib/http: the connection state and the line/field helpers of http_field.c.
 */
#ifndef HP_HTTP_PRIV_H
#define HP_HTTP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "http_parse.h"

/* Parser state of one direction. */
enum http_ps {
	PS_LINE = 0,   /* start line; requests skip empty lines before it (RFC 9112 §2.2) */
	PS_FIELDS,     /* header field lines up to the empty line */
	PS_BODY_LEN,   /* Content-Length body: remaining bytes */
	PS_BODY_CLOSE, /* response body up to eof */
	PS_CHUNK_LINE, /* chunk-size [ chunk-ext ] CRLF, byte by byte (sub-state cs) */
	PS_CHUNK_DATA, /* remaining bytes of a chunk */
	PS_CHUNK_CR,   /* CR after chunk data */
	PS_CHUNK_LF,   /* LF after chunk data */
	PS_TRAILERS,   /* trailer field lines up to the empty line */
	PS_WAIT,       /* request after CONNECT/Upgrade: waiting for the final response */
	PS_TUNNEL,
	PS_ERROR,
	PS_CLOSED,
};

/* Message flags gathered while the fields of one message are parsed (http_dir.mf). */
#define MF_CL             0x001u /* Content-Length seen */
#define MF_TE             0x002u /* Transfer-Encoding seen (and was exactly chunked) */
#define MF_HOST           0x004u
#define MF_CLOSE          0x008u /* Connection: close */
#define MF_KEEP_ALIVE     0x010u /* Connection: keep-alive */
#define MF_EXPECT         0x020u /* Expect: 100-continue */
#define MF_UPGRADE        0x040u /* Upgrade field */
#define MF_STARTED        0x080u /* a byte of the message was consumed (eof check) */
#define MF_UPGRADE_NOT_WS 0x100u /* an Upgrade field names something else than websocket */

struct http_dir {
	uint8_t ps;          /* enum http_ps */
	uint8_t cs;          /* chunk-size line sub-state (http_parse.c) */
	uint16_t err;        /* enum hp_http_err, set with PS_ERROR */
	uint32_t mf;         /* MF_* of the current message */
	uint32_t buf_len;    /* bytes stored in this direction's buffer */
	uint32_t line_start; /* offset of the line being assembled (responses: always 0) */
	uint32_t sect;       /* bytes of the current header/trailer section so far */
	uint32_t n_fields;   /* field lines of the current message (headers + trailers) */
	uint32_t chunk_line; /* bytes of the current chunk-size line */
	uint64_t remaining;  /* body bytes or chunk bytes left */
	uint64_t cl;         /* Content-Length value */
};

/* Outstanding-request ring entry flags. */
#define OUT_HEAD    0x1u
#define OUT_CONNECT 0x2u
#define OUT_UPGRADE 0x4u

struct hp_http_conn {
	struct hp_http_limits lim;
	uint32_t flags; /* HP_HTTP_F_* */
	uint8_t *hdr_buf;
	struct hp_http_header *fields;
	uint8_t *resp_line;
	uint8_t *body_copy;
	const struct hp_http_callbacks *cb;
	void *ctx;

	struct http_dir d[2]; /* indexed by enum hp_http_dir */
	struct hp_http_request req;
	struct hp_http_response resp;
	uint32_t next_seq;              /* seq of the next request */
	struct hp_http_span host_field; /* Host value of the request being parsed */
	bool prev_close;                /* an earlier request asked to close */
	bool req_line_seen;             /* req.method/target are valid (request line parsed) */
	bool pairing;     /* responses are tracked (max_outstanding > 0, response alive) */
	uint8_t out_head; /* ring of requests waiting for a final response */
	uint8_t out_count;
	uint8_t out_flags[HP_HTTP_MAX_OUTSTANDING];
	uint32_t out_seq[HP_HTTP_MAX_OUTSTANDING];
};

/* Character classes (http_field.c). */
#define HC_TCHAR  0x01u /* token character (RFC 9110 §5.6.2) */
#define HC_FVAL   0x02u /* field-vchar, SP, HTAB (field value, reason phrase) */
#define HC_TARGET 0x04u /* request-target byte: VCHAR or obs-text */
#define HC_HEX    0x08u
#define HC_HOST   0x10u /* reg-name / IP-literal inner byte: unreserved, sub-delims, '%' */
#define HC_QDTEXT 0x20u /* quoted-string text: HTAB SP 21 23-5B 5D-7E obs-text */
#define HC_CTL    0x40u /* 00-1F and 7F except HTAB */

extern const uint8_t http_cc[256];
extern const uint8_t http_lower[256];

/* Error for the first byte c that is not allowed: bare CR and control characters have their
 * own codes, anything else is dflt. */
static inline enum hp_http_err
http_bad_byte(uint8_t c, enum hp_http_err dflt)
{
	if (c == '\r')
		return HP_HTTP_E_BARE_CR;
	if (http_cc[c] & HC_CTL)
		return HP_HTTP_E_CTL_CHAR;
	return dflt;
}

/* Helpers on complete lines (CRLF removed). Each returns HP_HTTP_E_NONE or the error. */
enum hp_http_err http_parse_request_line(const uint8_t *p, uint32_t n, struct hp_http_request *r);
enum hp_http_err http_parse_status_line(const uint8_t *p, uint32_t n, uint16_t *status,
					uint16_t *version);
enum hp_http_err http_parse_field(const uint8_t *p, uint32_t n, struct hp_http_header *h);
enum hp_http_err http_parse_content_length(const struct hp_http_span *v, uint64_t *out);
bool http_te_is_chunked(const struct hp_http_span *v);
enum hp_http_err http_check_authority(const uint8_t *p, uint32_t n, bool need_port);
bool http_list_has(const struct hp_http_span *v, const char *tok, uint32_t tok_len);
bool http_list_only(const struct hp_http_span *v, const char *tok, uint32_t tok_len);
bool http_name_eq(const struct hp_http_span *name, const char *lower, uint32_t len);
bool http_span_ieq(const struct hp_http_span *a, const struct hp_http_span *b);

#endif /* HP_HTTP_PRIV_H */
