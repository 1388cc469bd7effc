/* SPDX-License-Identifier: BSD-3-Clause
 * Incremental HTTP/1.1 parser for the inline inspector (DESIGN §2 "http").
 *
 * One struct hp_http_conn per TCP connection: fixed size (hp_http_conn_size()), no allocation,
 * no locks, no logging. The request direction (client to server) is parsed completely: request
 * line, header fields, Content-Length or chunked body (de-chunked), trailers, pipelining. The
 * response direction is parsed just enough to keep its framing in step and to pair each final
 * status with the request it answers.
 *
 * Strictness is a security property here: an inline inspector that frames a request
 * differently from the server behind it is a bypass. Everything RFC 9112 leaves to the
 * recipient's discretion is refused (docs/HTTP.md lists every rule and every reason code). The
 * parser only reports: the caller decides to reject, or to pass and flag. After an error the
 * direction is unparseable: on_error() is called once, every later byte of that direction is
 * ignored and the feed functions return HP_HTTP_S_ERROR.
 *
 * Bytes may arrive in any split, down to one byte per call: the sequence of callbacks (and the
 * error, if any) depends only on the byte sequence of each direction and on how the calls of
 * the two directions interleave, never on where a direction's bytes are split. The fuzz target
 * (tests/fuzz/fuzz_http.c) checks exactly that.
 *
 * Memory the caller provides, per connection, for as long as the connection is in use:
 *   hdr_buf    max_header_bytes  raw request line, header fields and trailers of the current
 *                                request (the views of struct hp_http_request point into it)
 *   fields     max_headers       struct hp_http_header entries (headers then trailers)
 *   resp_line  max_line          one response line being assembled across segments
 *   body_copy  body_copy_max     contiguous copy of the first body_copy_max body bytes (may be
 *                                NULL when body_copy_max is 0)
 * Views and the body copy of a request are valid from on_request_headers() until
 * on_request_complete() (or on_error() for that request) returns; the buffers are then reused.
 *
 * Cost: ~170-180 ns per 1 KB JSON webhook POST (~7.5 GB/s; ~12x libhtp 0.5 on the same bytes),
 * whether it arrives in one block or three (2-vCPU EPYC, gcc -O2; docs/HTTP.md "Speed").
 */
#ifndef HP_HTTP_PARSE_H
#define HP_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most requests that may wait for a final response on one connection (ring in the state). */
#define HP_HTTP_MAX_OUTSTANDING 32

enum hp_http_dir {
	HP_HTTP_DIR_REQUEST = 0, /* client to server */
	HP_HTTP_DIR_RESPONSE,    /* server to client */
};

/* State of one direction, as returned by the feed, gap and eof functions. */
enum hp_http_state {
	HP_HTTP_S_ACTIVE = 0, /* parsing HTTP */
	HP_HTTP_S_WAIT,       /* request: CONNECT/Upgrade sent, waiting for its final response;
			       * a request byte before that response is an error */
	HP_HTTP_S_TUNNEL,     /* CONNECT 2xx or 101 Switching Protocols: no longer HTTP, bytes
			       * are ignored */
	HP_HTTP_S_ERROR,      /* unparseable after an error reported once by on_error() */
	HP_HTTP_S_CLOSED,     /* eof seen, or response direction not tracked */
};

/* Stable reason codes (snake_case names from hp_http_reason_name(): events, metrics). */
enum hp_http_reason {
	HP_HTTP_R_OK = 0,
	HP_HTTP_R_MALFORMED,     /* http_malformed: not HTTP/1.1 the way RFC 9112 says */
	HP_HTTP_R_SMUGGLING,     /* http_smuggling: framing another parser could read otherwise */
	HP_HTTP_R_LINE_TOO_LONG, /* http_line_too_long: limits.max_line */
	HP_HTTP_R_TOO_MANY_HEADERS,   /* http_too_many_headers: limits.max_headers */
	HP_HTTP_R_HEADERS_TOO_LARGE,  /* http_headers_too_large: limits.max_header_bytes */
	HP_HTTP_R_TOO_MANY_PIPELINED, /* http_too_many_pipelined: limits.max_outstanding */
	HP_HTTP_R_GAP,                /* http_gap: stream gap where framing needs the bytes */
	HP_HTTP_R_INCOMPLETE,         /* http_incomplete: eof in the middle of a message */
	/* Not errors (never passed to on_error): flags of a request, named for counters. */
	HP_HTTP_R_BODY_TRUNCATED, /* http_body_truncated: body longer than body_copy_max */
	HP_HTTP_R_BODY_GAP,       /* http_body_gap: gap inside a body, request flagged */
	HP_HTTP_R_COUNT
};

/* Precise cause of an error; each maps to one reason (hp_http_err_reason()). */
enum hp_http_err {
	HP_HTTP_E_NONE = 0,
	/* http_smuggling */
	HP_HTTP_E_BARE_LF,            /* line ended by LF without CR (request direction) */
	HP_HTTP_E_BARE_CR,            /* CR not followed by LF */
	HP_HTTP_E_OBS_FOLD,           /* header line starting with SP/HTAB */
	HP_HTTP_E_WS_BEFORE_COLON,    /* whitespace between field name and colon */
	HP_HTTP_E_TE_AND_CL,          /* Transfer-Encoding and Content-Length together */
	HP_HTTP_E_CL_MULTIPLE,        /* Content-Length twice, or a list ("1, 1" included) */
	HP_HTTP_E_CL_INVALID,         /* Content-Length not 1*DIGIT, or above 2^62 */
	HP_HTTP_E_TE_NOT_CHUNKED,     /* Transfer-Encoding other than exactly "chunked" */
	HP_HTTP_E_TE_HTTP10,          /* Transfer-Encoding in an HTTP/1.0 message */
	HP_HTTP_E_CHUNK_SIZE,         /* chunk size empty, not hex, or followed by junk */
	HP_HTTP_E_CHUNK_OVERFLOW,     /* chunk size above 2^60 */
	HP_HTTP_E_CHUNK_EXT,          /* chunk extension not per RFC 9112 §7.1.1 */
	HP_HTTP_E_CHUNK_CRLF,         /* chunk data not followed by CRLF */
	HP_HTTP_E_TRAILER_FRAMING,    /* Content-Length/Transfer-Encoding/Host in trailers */
	HP_HTTP_E_DATA_BEFORE_TUNNEL, /* request bytes after CONNECT/Upgrade before its answer */
	HP_HTTP_E_HOST_MISMATCH,      /* absolute-form authority and Host field differ */
	HP_HTTP_E_TUNNEL_REFUSED, /* CONNECT or Upgrade the caller refuses (HP_HTTP_F_REFUSE_*) */
	/* http_malformed */
	HP_HTTP_E_CTL_CHAR,       /* NUL or another control character in a line */
	HP_HTTP_E_METHOD,         /* method not a token */
	HP_HTTP_E_TARGET,         /* request-target invalid for its method */
	HP_HTTP_E_VERSION,        /* not HTTP/1.0 or HTTP/1.1 (HTTP/0.9 included) */
	HP_HTTP_E_REQUEST_LINE,   /* request line not "method SP target SP version" */
	HP_HTTP_E_HEADER_NAME,    /* field name empty or not a token, or no colon */
	HP_HTTP_E_HOST_MISSING,   /* HTTP/1.1 request without Host */
	HP_HTTP_E_HOST_MULTIPLE,  /* Host twice */
	HP_HTTP_E_HOST_INVALID,   /* Host or target authority not host[:port], or userinfo */
	HP_HTTP_E_CONNECT_BODY,   /* CONNECT with a body */
	HP_HTTP_E_STATUS_LINE,    /* status line not "HTTP/1.x SP 3DIGIT [SP reason]" */
	HP_HTTP_E_UNSOLICITED,    /* response bytes with no request waiting for one */
	HP_HTTP_E_UNEXPECTED_101, /* 101 to a request without Upgrade */
	/* limits */
	HP_HTTP_E_LINE_TOO_LONG,
	HP_HTTP_E_TOO_MANY_HEADERS,
	HP_HTTP_E_HEADERS_TOO_LARGE,
	HP_HTTP_E_TOO_MANY_PIPELINED,
	/* stream */
	HP_HTTP_E_GAP, /* gap outside a body of known length */
	HP_HTTP_E_EOF, /* eof inside a message */
	HP_HTTP_E_COUNT
};

/* Limits; every one that is hit has its own reason code. */
struct hp_http_limits {
	uint32_t max_line;         /* request/status line, each header/trailer line and each chunk
				    * size line, CRLF included; in [16, 1 << 20] */
	uint32_t max_headers;      /* field lines per request, trailers included; [1, 1 << 16] */
	uint32_t max_header_bytes; /* request line + fields + trailers of one request, CRLFs
				    * included (= size of hdr_buf); responses are counted alike */
	uint32_t body_copy_max;    /* bytes of body copied contiguously (= size of body_copy) */
	uint32_t max_outstanding;  /* requests waiting for a final response, in
				    * [0, HP_HTTP_MAX_OUTSTANDING]; 0: responses are not parsed */
};

/* Defaults sized for webhooks (a few hundred bytes of headers, bodies of a few KB). */
#define HP_HTTP_LIMITS_DEFAULT                                                                     \
	{                                                                                          \
		.max_line = 8192, .max_headers = 64, .max_header_bytes = 16384,                    \
		.body_copy_max = 65536, .max_outstanding = 16,                                     \
	}

/* Relaxations (struct hp_http_cfg.flags); the default, 0, is strict. */
#define HP_HTTP_F_ALLOW_BARE_LF 0x1u /* accept LF without CR as a request line ending */
#define HP_HTTP_F_ALLOW_NO_HOST 0x2u /* accept an HTTP/1.1 request without Host */
/* Tunnels, whose bytes are not parsed once the server agrees: refuse the request instead
 * (HP_HTTP_E_TUNNEL_REFUSED) when it is a CONNECT, has any Upgrade field, or has an Upgrade
 * field naming anything but websocket (h2c: HTTP/2 the parser cannot read). */
#define HP_HTTP_F_REFUSE_CONNECT        0x4u
#define HP_HTTP_F_REFUSE_UPGRADE        0x8u
#define HP_HTTP_F_REFUSE_UPGRADE_NOT_WS 0x10u

/* A byte range inside hdr_buf (or the caller's segment, for responses). Not NUL-terminated. */
struct hp_http_span {
	const uint8_t *p;
	uint32_t len;
};

/* One field line: name as sent (compare case-insensitively), value without surrounding OWS. */
struct hp_http_header {
	struct hp_http_span name;
	struct hp_http_span value;
};

enum hp_http_method {
	HP_HTTP_M_OTHER = 0, /* any other token: see hp_http_request.method */
	HP_HTTP_M_GET,
	HP_HTTP_M_HEAD,
	HP_HTTP_M_POST,
	HP_HTTP_M_PUT,
	HP_HTTP_M_DELETE,
	HP_HTTP_M_PATCH,
	HP_HTTP_M_OPTIONS,
	HP_HTTP_M_CONNECT,
	HP_HTTP_M_TRACE,
};

enum hp_http_body {
	HP_HTTP_BODY_NONE = 0, /* no Content-Length, no Transfer-Encoding (requests), or a
				* response that has none (HEAD, 1xx, 204, 304) */
	HP_HTTP_BODY_LENGTH,   /* Content-Length */
	HP_HTTP_BODY_CHUNKED,  /* Transfer-Encoding: chunked */
	HP_HTTP_BODY_CLOSE,    /* response delimited by the end of the connection */
};

/* struct hp_http_request.flags */
#define HP_HTTP_REQ_KEEP_ALIVE       0x001u /* 1.1 without "close", or 1.0 with "keep-alive" */
#define HP_HTTP_REQ_EXPECT_CONTINUE  0x002u /* Expect: 100-continue */
#define HP_HTTP_REQ_UPGRADE          0x004u /* Upgrade field present: waits for the answer */
#define HP_HTTP_REQ_HOST_FROM_TARGET 0x008u /* absolute-form: host is the target's authority */
#define HP_HTTP_REQ_HOST_MISMATCH                                                                  \
	0x010u                            /* unused: a Host field that says something else is      \
					   * refused (HP_HTTP_E_HOST_MISMATCH) */
#define HP_HTTP_REQ_AFTER_CLOSE    0x020u /* sent after a request that asked to close */
#define HP_HTTP_REQ_BODY_TRUNCATED 0x040u /* body_copy holds only the first bytes */
#define HP_HTTP_REQ_BODY_GAP       0x080u /* some body bytes were lost (body_gap) */

/* The request being parsed; views point into hdr_buf (see the lifetime note at the top). */
struct hp_http_request {
	uint32_t seq;   /* 0, 1, 2... on this connection */
	uint32_t flags; /* HP_HTTP_REQ_* */
	enum hp_http_method method_id;
	uint16_t version; /* 10 or 11 */
	struct hp_http_span method;
	struct hp_http_span target; /* request-target as sent */
	struct hp_http_span host;   /* Host value, or the absolute-form authority; may be
				     * empty (HTTP/1.0 without Host) */
	const struct hp_http_header *headers;
	uint32_t n_headers;
	const struct hp_http_header *trailers; /* valid in on_request_complete() */
	uint32_t n_trailers;
	enum hp_http_body body;   /* NONE, LENGTH or CHUNKED */
	uint64_t content_length;  /* when body == LENGTH */
	uint64_t body_len;        /* body bytes delivered so far (de-chunked, no gaps) */
	uint64_t body_gap;        /* body bytes lost to gaps */
	const uint8_t *body_copy; /* first body_copy_len bytes of the body */
	uint32_t body_copy_len;
	const uint8_t *head; /* the head as received: request line, fields, the empty line */
	uint32_t head_len;   /* (hdr_buf); from hp_http_request_seen: the lines taken so far */
};

/* struct hp_http_response.flags */
#define HP_HTTP_RESP_INTERIM 0x1u /* 1xx other than 101: the request still waits */
#define HP_HTTP_RESP_TUNNEL  0x2u /* CONNECT 2xx or 101: both directions stop parsing */

struct hp_http_response {
	uint32_t req_seq; /* the request answered: the oldest one without a final status */
	uint16_t status;  /* 100..599 */
	uint16_t version; /* 10 or 11 */
	uint32_t flags;   /* HP_HTTP_RESP_* */
	enum hp_http_body body;
	uint64_t content_length;
};

/* Callbacks, called synchronously from the feed/gap/eof functions; any may be NULL. They must
 * not call back into the same hp_http_conn. A table can be shared by every connection. */
struct hp_http_callbacks {
	/* Request line and header fields parsed and valid; framing known. */
	void (*on_request_headers)(void *ctx, const struct hp_http_request *req);
	/* Body bytes in order, de-chunked, in pieces as they arrive (never empty). */
	void (*on_request_body)(void *ctx, const struct hp_http_request *req, const uint8_t *data,
				size_t len);
	/* Request complete (body and trailers included); views are reused after this returns. */
	void (*on_request_complete)(void *ctx, const struct hp_http_request *req);
	/* A response's status line and fields parsed; paired with resp->req_seq. */
	void (*on_response_status)(void *ctx, const struct hp_http_response *resp);
	/* Direction dir became unparseable. req is the request being parsed when the error
	 * came after its on_request_headers() (in its body or trailers), else NULL. */
	void (*on_error)(void *ctx, enum hp_http_dir dir, enum hp_http_err err,
			 const struct hp_http_request *req);
};

struct hp_http_cfg {
	struct hp_http_limits limits;
	uint32_t flags;                     /* HP_HTTP_F_* */
	uint8_t *hdr_buf;                   /* limits.max_header_bytes bytes */
	struct hp_http_header *fields;      /* limits.max_headers entries */
	uint8_t *resp_line;                 /* limits.max_line bytes (unused if
					     * max_outstanding is 0, may then be NULL) */
	uint8_t *body_copy;                 /* limits.body_copy_max bytes, NULL if 0 */
	const struct hp_http_callbacks *cb; /* kept by pointer */
	void *ctx;                          /* first argument of every callback */
};

struct hp_http_conn; /* opaque, hp_http_conn_size() bytes, 8-byte aligned */

/* Size of struct hp_http_conn (fixed; the caller allocates it, e.g. in a mempool element). */
size_t hp_http_conn_size(void);

/* Prepare c for a new connection. Returns 0, or -EINVAL if a limit is out of range or a buffer
 * is missing (c is then unusable). Nothing else is checked later on the fast path. */
int hp_http_init(struct hp_http_conn *c, const struct hp_http_cfg *cfg);

/* Feed the next len bytes of a direction (any split, len may be 0). Every byte is consumed
 * (none is kept by pointer after the call). Returns that direction's state after the call. */
enum hp_http_state hp_http_feed_request(struct hp_http_conn *c, const uint8_t *data, size_t len);
enum hp_http_state hp_http_feed_response(struct hp_http_conn *c, const uint8_t *data, size_t len);

/* n bytes of a direction are missing (reassembly gave up on them). Inside a body of known
 * length (Content-Length, or the data of one chunk, or a close-delimited response) they are
 * counted as a gap and the request is flagged HP_HTTP_REQ_BODY_GAP; anywhere else the
 * direction becomes unparseable (HP_HTTP_E_GAP). Returns the direction's state. */
enum hp_http_state hp_http_gap_request(struct hp_http_conn *c, uint64_t n);
enum hp_http_state hp_http_gap_response(struct hp_http_conn *c, uint64_t n);

/* The direction ended (FIN or RST). A message in progress is an error (HP_HTTP_E_EOF) except
 * a close-delimited response, which completes. Returns the direction's state (CLOSED, ERROR,
 * TUNNEL). */
enum hp_http_state hp_http_eof(struct hp_http_conn *c, enum hp_http_dir dir);

/* Current state and error of a direction (HP_HTTP_E_NONE unless HP_HTTP_S_ERROR). */
enum hp_http_state hp_http_state(const struct hp_http_conn *c, enum hp_http_dir dir);
enum hp_http_err hp_http_error(const struct hp_http_conn *c, enum hp_http_dir dir);

/* True when the request direction sits between two requests with no byte of the next one
 * buffered: a new connection state started at the next byte would parse exactly the same. */
bool hp_http_request_idle(const struct hp_http_conn *c);

/* What was parsed of the request in progress (for an event about a head that failed: on_error
 * with req NULL): the method and the target as far as the request line got (a line that fails
 * at its version still gives both), the version once the line parsed, host once its field was
 * seen, head/head_len the raw bytes of the head taken so far; everything else zero. The views
 * stay valid until the next feed call. */
void hp_http_request_seen(const struct hp_http_conn *c, struct hp_http_request *out);

/* First header (not trailer) whose name equals name (ASCII case-insensitive), or NULL. */
const struct hp_http_header *hp_http_find_header(const struct hp_http_request *req,
						 const char *name, size_t name_len);

/* Names: stable snake_case strings ("http_smuggling", "te_and_cl"); "unknown" if out of range. */
enum hp_http_reason hp_http_err_reason(enum hp_http_err err);
const char *hp_http_err_name(enum hp_http_err err);
const char *hp_http_reason_name(enum hp_http_reason reason);
const char *hp_http_state_name(enum hp_http_state state);

#endif /* HP_HTTP_PARSE_H */
