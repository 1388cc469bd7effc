/* SPDX-License-Identifier: BSD-3-Clause
 * Syntax of complete lines: request line, status line, field lines, and the values the framing
 * depends on (Content-Length, Transfer-Encoding, Host/authority). Pure functions over
 * contiguous bytes (CRLF already removed): table lookups, no state, no allocation.
 */
#include <string.h>

#include "hp_simd.h"
#include "http_priv.h"

/* Character classes, computed at compile time from the RFC 9110/9112/3986 grammars. */
#define IS_ALNUM(c)                                                                                \
	(((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_TCHAR(c)                                                                                \
	(IS_ALNUM(c) || (c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' ||      \
	 (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' || (c) == '^' ||      \
	 (c) == '_' || (c) == '`' || (c) == '|' || (c) == '~')
#define IS_FVAL(c)   ((c) == '\t' || ((c) >= 0x20 && (c) != 0x7f))
#define IS_TARGET(c) ((c) > 0x20 && (c) != 0x7f)
#define IS_HEX(c)                                                                                  \
	(((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
#define IS_HOST(c)                                                                                 \
	(IS_ALNUM(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~' || (c) == '!' ||      \
	 (c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' || (c) == ')' || (c) == '*' ||      \
	 (c) == '+' || (c) == ',' || (c) == ';' || (c) == '=' || (c) == '%')
#define IS_QDTEXT(c)                                                                               \
	((c) == '\t' || (c) == ' ' || (c) == 0x21 || ((c) >= 0x23 && (c) <= 0x5b) ||               \
	 ((c) >= 0x5d && (c) <= 0x7e) || (c) >= 0x80)
#define IS_CTL(c) (((c) < 0x20 && (c) != '\t') || (c) == 0x7f)

#define CC(c)                                                                                      \
	((IS_TCHAR(c) ? HC_TCHAR : 0) | (IS_FVAL(c) ? HC_FVAL : 0) |                               \
	 (IS_TARGET(c) ? HC_TARGET : 0) | (IS_HEX(c) ? HC_HEX : 0) | (IS_HOST(c) ? HC_HOST : 0) |  \
	 (IS_QDTEXT(c) ? HC_QDTEXT : 0) | (IS_CTL(c) ? HC_CTL : 0))
#define LC(c) ((c) >= 'A' && (c) <= 'Z' ? (c) | 0x20 : (c))

#define R4(m, b)  m(b), m((b) + 1), m((b) + 2), m((b) + 3)
#define R16(m, b) R4(m, b), R4(m, (b) + 4), R4(m, (b) + 8), R4(m, (b) + 12)
#define R64(m, b) R16(m, b), R16(m, (b) + 16), R16(m, (b) + 32), R16(m, (b) + 48)
#define R256(m)   R64(m, 0), R64(m, 64), R64(m, 128), R64(m, 192)

const uint8_t http_cc[256] = {R256(CC)};
const uint8_t http_lower[256] = {R256(LC)};

static inline bool
is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

bool
http_name_eq(const struct hp_http_span *name, const char *lower, uint32_t len)
{
	uint32_t i;

	if (name->len != len)
		return false;
#ifdef HP_SIMD_SSE2
	if (len >= 8)
		return hp_lower_eq_n(name->p, lower, len);
#endif
	for (i = 0; i < len; i++)
		if (http_lower[name->p[i]] != (uint8_t)lower[i])
			return false;
	return true;
}

bool
http_span_ieq(const struct hp_http_span *a, const struct hp_http_span *b)
{
	uint32_t i;

	if (a->len != b->len)
		return false;
	for (i = 0; i < a->len; i++)
		if (http_lower[a->p[i]] != http_lower[b->p[i]])
			return false;
	return true;
}

/* Known methods (case-sensitive, RFC 9110 §9.1). */
static enum hp_http_method
method_id(const uint8_t *p, uint32_t n)
{
	switch (n) {
	case 3:
		if (memcmp(p, "GET", 3) == 0)
			return HP_HTTP_M_GET;
		if (memcmp(p, "PUT", 3) == 0)
			return HP_HTTP_M_PUT;
		break;
	case 4:
		if (memcmp(p, "POST", 4) == 0)
			return HP_HTTP_M_POST;
		if (memcmp(p, "HEAD", 4) == 0)
			return HP_HTTP_M_HEAD;
		break;
	case 5:
		if (memcmp(p, "PATCH", 5) == 0)
			return HP_HTTP_M_PATCH;
		if (memcmp(p, "TRACE", 5) == 0)
			return HP_HTTP_M_TRACE;
		break;
	case 6:
		if (memcmp(p, "DELETE", 6) == 0)
			return HP_HTTP_M_DELETE;
		break;
	case 7:
		if (memcmp(p, "OPTIONS", 7) == 0)
			return HP_HTTP_M_OPTIONS;
		if (memcmp(p, "CONNECT", 7) == 0)
			return HP_HTTP_M_CONNECT;
		break;
	}
	return HP_HTTP_M_OTHER;
}

/* "HTTP/1.0" or "HTTP/1.1" exactly: 10, 11, or 0. */
static uint16_t
parse_version(const uint8_t *p, uint32_t n)
{
	if (n != 8 || memcmp(p, "HTTP/1.", 7) != 0)
		return 0;
	if (p[7] == '0')
		return 10;
	if (p[7] == '1')
		return 11;
	return 0;
}

#ifdef HP_SIMD_SSE2
/* The letters, digits, '-' and x that start p[0..n), 16 bytes a step: all of them tchar (x
 * '-') or reg-name bytes (x '.'), and all that most field names and hosts hold; the first
 * other byte is left to the caller's table loop. */
static inline uint32_t
skip_common(const uint8_t *p, uint32_t n, char x)
{
	uint32_t i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i v = hp_load16(p + i);
		__m128i l = _mm_or_si128(v, _mm_set1_epi8(0x20));
		__m128i az = _mm_and_si128(_mm_cmpgt_epi8(l, _mm_set1_epi8('a' - 1)),
					   _mm_cmplt_epi8(l, _mm_set1_epi8('z' + 1)));
		__m128i dg = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
					   _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
		__m128i dx = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')),
					  _mm_cmpeq_epi8(v, _mm_set1_epi8(x)));
		uint32_t m = ~(uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(az, dg), dx)) &
			     0xffffu;

		if (m != 0)
			return i + (uint32_t)__builtin_ctz(m);
	}
	return i;
}
#endif

#ifdef HP_SIMD_SSE2
/* Lanes of v that are at most le, or 0x7F: with le 0x1F the bytes that are not field-vchar or
 * SP (HTAB among them: callers leave it to their table loops), with le 0x20 the bytes that are
 * not request-target bytes. */
static inline uint32_t
low_or_del(__m128i v, char le)
{
	return (uint32_t)_mm_movemask_epi8(
		_mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(le)), v),
			     _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));
}

/* Whether none of p[0..16) is below 0x20 or 0x7F. */
static inline bool
clean16(const uint8_t *p)
{
	return low_or_del(hp_load16(p), 0x1f) == 0;
}

/* Whether none of p[0..n), n >= 8, is below 0x20 or 0x7F: 16-byte steps, the last one (or
 * the only one, below 16) overlapping the one before, never outside the span. */
static inline bool
all_clean(const uint8_t *p, uint32_t n)
{
	uint32_t i;

	if (n < 16)
		return low_or_del(hp_load_8_16(p, n), 0x1f) == 0;
	for (i = 0; i + 16 < n; i += 16)
		if (!clean16(p + i))
			return false;
	return clean16(p + n - 16);
}
#endif

/* authority = host [ ":" port ] (RFC 3986 §3.2, without userinfo: RFC 9110 §4.2.4 makes it an
 * error). host is an IP-literal in brackets or a non-empty reg-name (unreserved, sub-delims,
 * pct-encoded); port is at most 65535. CONNECT needs the port (RFC 9110 §9.3.6). */
enum hp_http_err
http_check_authority(const uint8_t *p, uint32_t n, bool need_port)
{
	uint32_t i = 0, port = 0, digits = 0;

	if (n == 0)
		return HP_HTTP_E_HOST_INVALID;
	if (p[0] == '[') {
		for (i = 1; i < n && p[i] != ']'; i++)
			if (!(http_cc[p[i]] & HC_HOST) && p[i] != ':')
				return HP_HTTP_E_HOST_INVALID;
		if (i == n || i == 1)
			return HP_HTTP_E_HOST_INVALID;
		i++;
	} else {
#ifdef HP_SIMD_SSE2
		i = skip_common(p, n, '.');
#endif
		for (; i < n && (http_cc[p[i]] & HC_HOST); i++)
			if (p[i] == '%' && (i + 2 >= n || !(http_cc[p[i + 1]] & HC_HEX) ||
					    !(http_cc[p[i + 2]] & HC_HEX)))
				return HP_HTTP_E_HOST_INVALID;
		if (i == 0)
			return HP_HTTP_E_HOST_INVALID;
	}
	if (i == n)
		return need_port ? HP_HTTP_E_HOST_INVALID : HP_HTTP_E_NONE;
	if (p[i] != ':')
		return HP_HTTP_E_HOST_INVALID;
	for (i++; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' || ++digits > 5)
			return HP_HTTP_E_HOST_INVALID;
		port = port * 10 + (uint32_t)(p[i] - '0');
	}
	if (port > 65535 || (need_port && digits == 0))
		return HP_HTTP_E_HOST_INVALID;
	return HP_HTTP_E_NONE;
}

/* Form of the request-target for the method (RFC 9112 §3.2); sets host for the authority and
 * absolute forms. */
static enum hp_http_err
check_target(struct hp_http_request *r)
{
	const uint8_t *t = r->target.p;
	uint32_t n = r->target.len, i, a;

	if (r->method_id == HP_HTTP_M_CONNECT) {
		r->host = r->target; /* authority-form */
		return http_check_authority(t, n, true);
	}
	if (t[0] == '/')
		return HP_HTTP_E_NONE; /* origin-form */
	if (n == 1 && t[0] == '*')
		return r->method_id == HP_HTTP_M_OPTIONS ? HP_HTTP_E_NONE : HP_HTTP_E_TARGET;
	/* absolute-form: scheme "://" authority [ path-abempty ] [ "?" query ] */
	if (!((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z')))
		return HP_HTTP_E_TARGET;
	for (i = 1; i < n && (IS_ALNUM(t[i]) || t[i] == '+' || t[i] == '-' || t[i] == '.'); i++)
		;
	if (n - i < 3 || memcmp(t + i, "://", 3) != 0)
		return HP_HTTP_E_TARGET;
	a = i + 3;
	for (i = a; i < n && t[i] != '/' && t[i] != '?' && t[i] != '#'; i++)
		if (t[i] == '@')
			return HP_HTTP_E_HOST_INVALID;
	r->host.p = t + a;
	r->host.len = i - a;
	r->flags |= HP_HTTP_REQ_HOST_FROM_TARGET;
	return http_check_authority(t + a, i - a, false);
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 §3), nothing else: no
 * other whitespace, no HTTP/0.9 short form. */
enum hp_http_err
http_parse_request_line(const uint8_t *p, uint32_t n, struct hp_http_request *r)
{
	uint32_t i = 0, t0, j;

	while (i < n && (http_cc[p[i]] & HC_TCHAR))
		i++;
	if (i == n)
		return HP_HTTP_E_REQUEST_LINE;
	if (p[i] != ' ')
		return http_bad_byte(p[i], HP_HTTP_E_METHOD);
	if (i == 0)
		return HP_HTTP_E_METHOD;
	r->method.p = p;
	r->method.len = i;
	r->method_id = method_id(p, i);

	t0 = ++i;
#ifdef HP_SIMD_SSE2
	for (; i + 16 <= n; i += 16) {
		uint32_t m = low_or_del(hp_load16(p + i), 0x20);

		if (m != 0) {
			i += (uint32_t)__builtin_ctz(m);
			break;
		}
	}
#endif
	while (i < n && (http_cc[p[i]] & HC_TARGET))
		i++;
	if (i < n && p[i] != ' ')
		return http_bad_byte(p[i], HP_HTTP_E_TARGET);
	if (i == t0)
		return HP_HTTP_E_REQUEST_LINE;
	if (i == n)
		return HP_HTTP_E_VERSION; /* HTTP/0.9 "GET /" */
	r->target.p = p + t0;
	r->target.len = i - t0;

	for (j = i + 1; j < n; j++)
		if (http_cc[p[j]] & HC_CTL)
			return http_bad_byte(p[j], HP_HTTP_E_VERSION);
	r->version = parse_version(p + i + 1, n - i - 1);
	if (r->version == 0)
		return HP_HTTP_E_VERSION;
	return check_target(r);
}

/* status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ] (RFC 9112 §4); the SP after the
 * code may be missing when the line ends there (common, harmless). */
enum hp_http_err
http_parse_status_line(const uint8_t *p, uint32_t n, uint16_t *status, uint16_t *version)
{
	uint32_t i;

#ifdef HP_SIMD_SSE2
	if (n < 8 || !all_clean(p, n))
#endif
		for (i = 0; i < n; i++)
			if (!(http_cc[p[i]] & HC_FVAL))
				return http_bad_byte(p[i], HP_HTTP_E_STATUS_LINE);
	if (n < 12 || p[8] != ' ')
		return HP_HTTP_E_STATUS_LINE;
	*version = parse_version(p, 8);
	if (*version == 0)
		return HP_HTTP_E_STATUS_LINE;
	if (p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9')
		return HP_HTTP_E_STATUS_LINE;
	if (n > 12 && p[12] != ' ')
		return HP_HTTP_E_STATUS_LINE;
	*status = (uint16_t)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
	return HP_HTTP_E_NONE;
}

/* Value bytes must all be field-vchar, SP or HTAB. Sixteen bytes at a time where SSE2 is, then
 * eight: a step is clean when no byte is below 0x20 (HTAB included: it takes the byte loop)
 * and none is 0x7F. back: bytes before p that may be read and are clean (the field's name and
 * colon): a tail shorter than 16 is checked by one step ending at n, reaching back over bytes
 * already known clean, rather than byte by byte; a tail that is not clean is left to the loops
 * below, which find its first bad byte. */
static inline uint32_t
scan_value(const uint8_t *p, uint32_t n, uint32_t back)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint32_t i = 0;
	uint64_t w, lt20, del;

#ifdef HP_SIMD_SSE2
	for (; i + 16 <= n; i += 16)
		if (!clean16(p + i))
			break;
	if (i < n && i + 16 > n && n + back >= 16 && clean16(p + n - 16))
		return n;
#else
	(void)back;
#endif
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		lt20 = (w - ones * 0x20) & ~w & highs;
		del = ((w ^ (ones * 0x7f)) - ones) & ~(w ^ (ones * 0x7f)) & highs;
		if (lt20 | del)
			break;
	}
	for (; i < n; i++)
		if (!(http_cc[p[i]] & HC_FVAL))
			return i;
	return n;
}

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). A line starting with
 * whitespace is obs-fold; whitespace before the colon is refused (§5.1); the value must not
 * hold control characters or a bare CR. */
enum hp_http_err
http_parse_field(const uint8_t *p, uint32_t n, struct hp_http_header *h)
{
	uint32_t i = 0, v, e;

	if (is_ows(p[0]))
		return HP_HTTP_E_OBS_FOLD;
#ifdef HP_SIMD_SSE2
	i = skip_common(p, n, '-');
#endif
	while (i < n && (http_cc[p[i]] & HC_TCHAR))
		i++;
	if (i == n)
		return HP_HTTP_E_HEADER_NAME;
	if (p[i] != ':') {
		if (!is_ows(p[i]))
			return http_bad_byte(p[i], HP_HTTP_E_HEADER_NAME);
		for (e = i; e < n && is_ows(p[e]); e++)
			;
		if (e < n && p[e] == ':' && i > 0)
			return HP_HTTP_E_WS_BEFORE_COLON;
		return HP_HTTP_E_HEADER_NAME;
	}
	if (i == 0)
		return HP_HTTP_E_HEADER_NAME;
	h->name.p = p;
	h->name.len = i;

	v = i + 1;
	e = v + scan_value(p + v, n - v, v); /* p[0..v): the name's tchars and the colon */
	if (e != n)
		return http_bad_byte(p[e], HP_HTTP_E_CTL_CHAR);
	while (v < n && is_ows(p[v]))
		v++;
	while (e > v && is_ows(p[e - 1]))
		e--;
	h->value.p = p + v;
	h->value.len = e - v;
	return HP_HTTP_E_NONE;
}

/* Content-Length = 1*DIGIT (RFC 9110 §8.6), at most 2^62. A list, even "5, 5", is refused as
 * multiple: a recipient MAY accept identical values, and refusing costs nothing legitimate. */
enum hp_http_err
http_parse_content_length(const struct hp_http_span *v, uint64_t *out)
{
	const uint64_t max = 1ull << 62;
	uint64_t x = 0;
	uint32_t i;

	if (v->len == 0)
		return HP_HTTP_E_CL_INVALID;
	if (v->len <= 18) { /* below 10^18 < 2^62: no bound to check on the way */
		for (i = 0; i < v->len; i++) {
			uint8_t c = v->p[i];

			if (c < '0' || c > '9')
				return memchr(v->p, ',', v->len) != NULL ? HP_HTTP_E_CL_MULTIPLE
									 : HP_HTTP_E_CL_INVALID;
			x = x * 10 + (uint64_t)(c - '0');
		}
		*out = x;
		return HP_HTTP_E_NONE;
	}
	for (i = 0; i < v->len; i++) {
		uint8_t c = v->p[i];

		/* refused: a list (any comma, wherever the digits stop) is "multiple" */
		if (c < '0' || c > '9' || x > (max - (uint64_t)(c - '0')) / 10)
			return memchr(v->p, ',', v->len) != NULL ? HP_HTTP_E_CL_MULTIPLE
								 : HP_HTTP_E_CL_INVALID;
		x = x * 10 + (uint64_t)(c - '0');
	}
	*out = x;
	return HP_HTTP_E_NONE;
}

/* The only transfer coding accepted: exactly "chunked" (any case). "gzip, chunked" is valid
 * HTTP but no webhook sender uses it and servers disagree on it: refused. */
bool
http_te_is_chunked(const struct hp_http_span *v)
{
	return http_name_eq(v, "chunked", 7);
}

/* The next non-empty element of the comma-separated list v from *i, its whitespace trimmed;
 * false when none is left. */
static bool
list_next(const struct hp_http_span *v, uint32_t *i, struct hp_http_span *el)
{
	uint32_t s, e;

	while (*i < v->len && (is_ows(v->p[*i]) || v->p[*i] == ','))
		(*i)++;
	if (*i == v->len)
		return false;
	s = *i;
	while (*i < v->len && v->p[*i] != ',')
		(*i)++;
	e = *i;
	while (e > s && is_ows(v->p[e - 1]))
		e--;
	el->p = v->p + s;
	el->len = e - s;
	return true;
}

/* Is every element of the comma-separated list v the token tok (lower case), any case, and
 * is there one at least? */
bool
http_list_only(const struct hp_http_span *v, const char *tok, uint32_t tok_len)
{
	struct hp_http_span el;
	uint32_t i = 0, n = 0;

	for (; list_next(v, &i, &el); n++)
		if (!http_name_eq(&el, tok, tok_len))
			return false;
	return n != 0;
}

/* Does the comma-separated list v hold the token tok (lower case), any case? */
bool
http_list_has(const struct hp_http_span *v, const char *tok, uint32_t tok_len)
{
	struct hp_http_span el;
	uint32_t i = 0;

	while (list_next(v, &i, &el))
		if (http_name_eq(&el, tok, tok_len))
			return true;
	return false;
}
