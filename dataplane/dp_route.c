/* SPDX-License-Identifier: BSD-3-Clause
 * Endpoint routing table (see dp_route.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_route.h"
#include "hp_simd.h"
#include "pii.h"
#include "verify.h"

static int
route_cmp(const void *a, const void *b)
{
	const struct hp_route_ep *x = a, *y = b;
	int cx = x->any_host ? 2 : x->wildcard ? 1 : 0;
	int cy = y->any_host ? 2 : y->wildcard ? 1 : 0;

	if (cx != cy)
		return cx - cy;
	if (cx == 1 && x->host_len != y->host_len)
		return (int)y->host_len - (int)x->host_len; /* longer suffix first */
	if (x->prefix_len != y->prefix_len)
		return (int)y->prefix_len - (int)x->prefix_len;
	return (int)x->index - (int)y->index;
}

/* The endpoint's Hyperscan database (its built-in entities and the custom ones it enables,
 * custom ids kept global) and which entities mask or block. */
static int
route_pii(const struct hp_config *cfg, const struct hp_endpoint_config *c, struct hp_route_ep *e,
	  char *err, size_t errlen)
{
	const struct hp_pii_global_config *pg = &cfg->pii;
	struct hp_pii_user_entity user[HP_PII_MAX_USER];
	uint64_t sel = c->pii_entities;
	struct hp_pii_config pc = {
		.enabled = sel != 0 ? (sel & HP_PII_ALL_BUILTIN) : HP_PII_ALL_BUILTIN,
		.user = user,
		.n_user = pg->n_custom < HP_PII_MAX_USER ? pg->n_custom : HP_PII_MAX_USER,
	};

	for (unsigned int k = 0; k < pc.n_user; k++) {
		unsigned int id = HP_PII__BUILTIN_COUNT + k;
		uint32_t a = pg->custom[k].action;

		user[k] = (struct hp_pii_user_entity){.name = pg->custom[k].name,
						      .pattern = pg->custom[k].pattern,
						      .validator = pg->custom[k].validator};
		if (sel != 0 && !(sel & (UINT64_C(1) << id))) {
			pc.user_skip |= UINT32_C(1) << k;
			continue;
		}
		if ((a == HP_PII_ACTION_DEFAULT && c->pii_policy == HP_PII_POLICY_MASK) ||
		    a == HP_PII_ACTION_MASK)
			e->pii_mask_set |= UINT64_C(1) << id;
		else if ((a == HP_PII_ACTION_DEFAULT && c->pii_policy == HP_PII_POLICY_BLOCK) ||
			 a == HP_PII_ACTION_BLOCK)
			e->pii_block_set |= UINT64_C(1) << id;
	}
	if (c->pii_policy == HP_PII_POLICY_MASK)
		e->pii_mask_set |= pc.enabled;
	else if (c->pii_policy == HP_PII_POLICY_BLOCK)
		e->pii_block_set |= pc.enabled;
	e->pii_hold =
		cfg->dataplane.mode == HP_MODE_BRIDGE && (e->pii_mask_set | e->pii_block_set) != 0;
	return hp_pii_db_create(&pc, &e->pii_db, err, errlen);
}

/* A small stable number per provider name (an ML feature): its position in this list. */
static uint8_t
provider_id(const char *name)
{
	static const char *const names[] = {
		"none",   "stripe",  "github", "slack", "standard-webhooks",
		"svix",   "shopify", "twilio", "zoom",  "twitch",
		"paddle", "gitlab",  "hmac"};

	for (uint8_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return 255;
}

static uint32_t host_hash(const uint8_t *p, uint32_t n);

/* The host index of a sorted table (struct hp_route_table): buckets for twice the endpoints,
 * a power of two; each bucket's positions ascending, as the others'. */
static int
build_index(struct hp_route_table *t)
{
	uint32_t nb = 16, *fill;

	while (nb < 2 * t->n)
		nb *= 2;
	t->hmask = nb - 1;
	t->hstart = calloc(nb + 1, sizeof(*t->hstart));
	t->hidx = calloc(t->n, sizeof(*t->hidx));
	t->oidx = calloc(t->n, sizeof(*t->oidx));
	fill = calloc(nb, sizeof(*fill));
	if (t->hstart == NULL || t->hidx == NULL || t->oidx == NULL || fill == NULL) {
		free(fill);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t->n; i++) {
		const struct hp_route_ep *e = &t->ep[i];

		if (e->any_host || e->wildcard)
			t->oidx[t->n_other++] = (uint16_t)i;
		else
			t->hstart[(host_hash((const uint8_t *)e->host, e->host_len) & t->hmask) +
				  1]++;
	}
	for (uint32_t b = 0; b < nb; b++)
		t->hstart[b + 1] += t->hstart[b];
	for (uint32_t i = 0; i < t->n; i++) {
		const struct hp_route_ep *e = &t->ep[i];
		uint32_t b;

		if (e->any_host || e->wildcard)
			continue;
		b = host_hash((const uint8_t *)e->host, e->host_len) & t->hmask;
		t->hidx[t->hstart[b] + fill[b]++] = (uint16_t)i;
	}
	free(fill);
	return 0;
}

int
hp_route_build(const struct hp_config *cfg, struct hp_route_table **out, char *err, size_t errlen)
{
	struct hp_route_table *t = calloc(1, sizeof(*t));
	uint32_t i;

	*out = NULL;
	if (t == NULL)
		return -ENOMEM;
	t->n = cfg->n_endpoints;
	t->ep = calloc(t->n ? t->n : 1, sizeof(*t->ep));
	t->by_index = calloc(t->n ? t->n : 1, sizeof(*t->by_index));
	if (t->ep == NULL || t->by_index == NULL) {
		hp_route_free(t);
		return -ENOMEM;
	}
	for (i = 0; i < t->n; i++) {
		const struct hp_endpoint_config *c = &cfg->endpoints[i];
		struct hp_route_ep *e = &t->ep[i];
		struct hp_verify_spec spec;
		const char *dk = hp_endpoint_dedup_key(c);
		int rc;

		e->index = (uint16_t)i;
		e->cfg = c;
		if (c->host[0] == '\0') {
			e->any_host = true;
		} else if (strncmp(c->host, "*.", 2) == 0) {
			e->wildcard = true;
			snprintf(e->host, sizeof(e->host), "%s", c->host + 1); /* ".example.com" */
		} else {
			snprintf(e->host, sizeof(e->host), "%s", c->host);
		}
		e->host_len = (uint16_t)strlen(e->host);
		snprintf(e->prefix, sizeof(e->prefix), "%s", c->path_prefix);
		e->prefix_len = (uint16_t)strlen(e->prefix);
		{
			int nl = hp_route_norm_path((const uint8_t *)e->prefix, e->prefix_len,
						    (uint8_t *)e->nprefix, sizeof(e->nprefix) - 1);

			/* the prefix as hp_route_match compares a normalised path with it */
			e->nprefix_len = (uint16_t)(nl > 0 ? nl : 0);
			e->nprefix[e->nprefix_len] = '\0';
		}
		if (hp_provider_from_name(c->provider) != HP_PROV_NONE) {
			hp_endpoint_verify_spec(c, &spec);
			rc = hp_verifier_create(&spec, &e->verifier, err, errlen);
			if (rc != 0) {
				hp_route_free(t);
				return rc < 0 ? rc : -EINVAL;
			}
		}
		if (strcmp(dk, "none") == 0) {
			e->dedup_kind = HP_DK_NONE;
		} else if (strcmp(dk, "body_hash") == 0) {
			e->dedup_kind = HP_DK_BODY_HASH;
		} else if (strncmp(dk, "header:", 7) == 0) {
			e->dedup_kind = HP_DK_HEADER;
			snprintf(e->dedup_name, sizeof(e->dedup_name), "%s", dk + 7);
		} else {
			e->dedup_kind = HP_DK_BODY;
			snprintf(e->dedup_name, sizeof(e->dedup_name), "%s", dk + 5);
		}
		e->dedup_name_len = (uint16_t)strlen(e->dedup_name);
		e->tolerance_s = hp_endpoint_tolerance(c);
		e->ttl_ms = (uint64_t)hp_endpoint_dedup_ttl(c) * 1000;
		e->max_body = c->max_body != 0 ? c->max_body : cfg->http.body_copy_max;
		if (c->pii_policy != HP_PII_POLICY_OFF) {
			rc = route_pii(cfg, c, e, err, errlen);
			if (rc != 0) {
				hp_route_free(t);
				return rc < 0 ? rc : -EINVAL;
			}
		}
		e->respond = c->respond;
		e->token_hlen = (uint16_t)strlen(c->token_header);
		e->token_plen = (uint16_t)strlen(c->token_prefix);
		memcpy(e->token_header, c->token_header, sizeof(e->token_header));
		memcpy(e->token_prefix, c->token_prefix, sizeof(e->token_prefix));
		e->token_tag = hp_token_tag(c->name);
		e->reset_server = c->reset_server;
		e->active_response = c->active_response;
		e->ml_policy = (uint8_t)c->ml_policy;
		if (e->ml_policy == HP_ML_POLICY_ENFORCE && cfg->dataplane.mode != HP_MODE_BRIDGE)
			e->ml_policy = HP_ML_POLICY_FLAG; /* tap cannot hold: scored and flagged */
		e->ml_on_timeout = (uint8_t)c->ml_on_timeout;
		e->ml_threshold = c->ml_threshold;
		e->provider_id = provider_id(c->provider);
	}
	qsort(t->ep, t->n, sizeof(*t->ep), route_cmp);
	for (i = 0; i < t->n; i++)
		t->by_index[t->ep[i].index] = &t->ep[i];
	if (t->n > HP_ROUTE_SCAN_MAX && build_index(t) != 0) {
		hp_route_free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void
hp_route_free(struct hp_route_table *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; t->ep != NULL && i < t->n; i++) {
		hp_verifier_free(t->ep[i].verifier);
		hp_pii_db_free(t->ep[i].pii_db);
	}
	free(t->ep);
	free(t->by_index);
	free(t->hstart);
	free(t->hidx);
	free(t->oidx);
	free(t);
}

static inline uint8_t
lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* The first c in p[0..n), n if none. */
static inline uint32_t
find_byte(const uint8_t *p, uint32_t n, uint8_t c)
{
	uint32_t i = 0;

#ifdef __SSE2__
	const __m128i v = _mm_set1_epi8((char)c);
	uint32_t m;

	if (n >= 16) {
		for (; i + 16 <= n; i += 16)
			if ((m = (uint32_t)_mm_movemask_epi8(
				     _mm_cmpeq_epi8(hp_load16(p + i), v))) != 0)
				return i + (uint32_t)__builtin_ctz(m);
		if (i == n)
			return n;
		/* the rest: the span's last 16 bytes, lanes before i dropped */
		m = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(hp_load16(p + n - 16), v)) >>
		    (i - (n - 16));
		return m != 0 ? i + (uint32_t)__builtin_ctz(m) : n;
	}
	if (n >= 8) {
		m = hp_pos_8_16((uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(hp_load_8_16(p, n), v)),
				n);
		return m != 0 ? (uint32_t)__builtin_ctz(m) : n;
	}
#endif
	while (i < n && p[i] != c)
		i++;
	return i;
}

static inline int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The path of a request-target (origin-form; up to its '?' or '#') as a server that
 * normalises paths before routing may read it: %XX decoded once, '\\' read as '/', each
 * segment's ";parameters" dropped, empty and "." segments dropped, ".." removing the segment
 * before it, ASCII letters in lower case. Written to out (at most cap bytes); returns its
 * length, or -1 when the path does not fit (more than HP_ROUTE_NORM_MAX bytes decoded, or more
 * than cap written): a cut path is not the server's, so nothing may be matched on it. */
int
hp_route_norm_path(const uint8_t *t, uint32_t n, uint8_t *out, uint32_t cap)
{
	uint8_t dec[HP_ROUTE_NORM_MAX];
	uint32_t m = 0, i = 0, o = 0;
	bool dir_end;

	while (i < n) {
		uint8_t c = t[i];
		int hi, lo;

		if (c == '?' || c == '#')
			break;
		if (m == sizeof(dec))
			return -1; /* more path than fits */
		if (c == '%' && i + 2 < n && (hi = hexval(t[i + 1])) >= 0 &&
		    (lo = hexval(t[i + 2])) >= 0) {
			c = (uint8_t)(hi << 4 | lo);
			i += 3;
		} else {
			i++;
		}
		if (c == '\\')
			c = '/';
		dec[m++] = lower(c);
	}
	if (cap == 0)
		return 0;
	out[o++] = '/';
	dir_end = true;
	for (i = 0; i < m;) {
		uint32_t j, k;

		if (dec[i] == '/') {
			i++;
			dir_end = true;
			continue;
		}
		for (j = i; j < m && dec[j] != '/'; j++)
			;
		for (k = i; k < j && dec[k] != ';'; k++)
			;
		if (k == i || (k - i == 1 && dec[i] == '.')) {
			dir_end = true; /* empty (";x") or "." */
		} else if (k - i == 2 && dec[i] == '.' && dec[i + 1] == '.') {
			/* out ends with '/': back to the '/' before its last segment */
			if (o > 1) {
				o--;
				while (o > 0 && out[o - 1] != '/')
					o--;
			}
			dir_end = true;
		} else {
			if (cap - o < k - i + 1)
				return -1; /* the segment and its '/' do not fit */
			for (; i < k; i++)
				out[o++] = dec[i];
			out[o++] = '/';
			dir_end = false;
		}
		i = j;
	}
	/* "/a/b" ends in a segment, "/a/b/", "/a/." and "/a/b/.." in a directory */
	if (!dir_end && o > 1 && out[o - 1] == '/')
		o--;
	return (int)o;
}

/* Whether the path of target (up to its '?' or '#', *path_len) has anything
 * hp_route_norm_path would change but case: '%', '\\', ';', "//" or "/.". 16 bytes at a time
 * where SSE2 is (every x86-64). */
static inline bool
path_scan(const uint8_t *t, uint32_t n, uint32_t *path_len)
{
	uint32_t i = 0;

#ifdef __SSE2__
	const __m128i q = _mm_set1_epi8('?'), h = _mm_set1_epi8('#'), pc = _mm_set1_epi8('%');
	const __m128i bs = _mm_set1_epi8('\\'), sc = _mm_set1_epi8(';'), sl = _mm_set1_epi8('/');
	const __m128i dt = _mm_set1_epi8('.');

	for (; i + 17 <= n; i += 16) { /* lane j's next byte is lane j of the load at i + 1 */
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + i));
		__m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(t + i + 1));
		unsigned int end = (unsigned int)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, h)));
		unsigned int sp =
			(unsigned int)_mm_movemask_epi8(_mm_or_si128(
				_mm_or_si128(_mm_cmpeq_epi8(v, pc), _mm_cmpeq_epi8(v, bs)),
				_mm_cmpeq_epi8(v, sc))) |
			((unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sl)) &
			 (unsigned int)_mm_movemask_epi8(
				 _mm_or_si128(_mm_cmpeq_epi8(v1, sl), _mm_cmpeq_epi8(v1, dt))));

		if ((end | sp) != 0) {
			unsigned int e = end != 0 ? (unsigned int)__builtin_ctz(end) : 16;
			unsigned int s = sp != 0 ? (unsigned int)__builtin_ctz(sp) : 16;

			*path_len = i + e;
			return s < e;
		}
	}
	if (n >= 8) {
		/* fewer than 17 bytes left: the span's last 16 (or, for 8 to 16 bytes, two loads
		 * of 8) as masks of positions from i; the pair at i - 1 was looked at above */
		__m128i v = n >= 16 ? hp_load16(t + n - 16) : hp_load_8_16(t, n);
		uint32_t end = (uint32_t)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, h)));
		uint32_t sp = (uint32_t)_mm_movemask_epi8(
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, pc), _mm_cmpeq_epi8(v, bs)),
				     _mm_cmpeq_epi8(v, sc)));
		uint32_t sl1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sl));
		uint32_t dt1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, dt));
		uint32_t e, s;

		if (n >= 16) {
			uint32_t off = i - (n - 16);

			end >>= off;
			sp >>= off;
			sl1 >>= off;
			dt1 >>= off;
		} else { /* i is 0 */
			end = hp_pos_8_16(end, n);
			sp = hp_pos_8_16(sp, n);
			sl1 = hp_pos_8_16(sl1, n);
			dt1 = hp_pos_8_16(dt1, n);
		}
		sp |= sl1 & ((sl1 | dt1) >> 1); /* "//" or "/." (the last byte has no next) */
		e = end != 0 ? (uint32_t)__builtin_ctz(end) : n - i;
		s = sp != 0 ? (uint32_t)__builtin_ctz(sp) : 32;
		*path_len = i + e;
		return s < e;
	}
#endif
	for (; i < n && t[i] != '?' && t[i] != '#'; i++) {
		uint8_t c = t[i];

		if (c == '%' || c == '\\' || c == ';' ||
		    (c == '/' && i + 1 < n && (t[i + 1] == '/' || t[i + 1] == '.')))
			return true;
	}
	*path_len = i;
	return false;
}

/* An absolute-form target ("http://host/path?q") narrowed to its path and query. */
static inline void
origin_form(const uint8_t **target, uint32_t *target_len)
{
	const uint8_t *t = *target, *p;
	uint32_t n = *target_len;

	if (n == 0 || t[0] == '/')
		return;
	p = memchr(t, ':', n);
	if (p != NULL && (uint32_t)(p - t) + 3 <= n && p[1] == '/' && p[2] == '/') {
		const uint8_t *end = t + n, *s = p + 3;

		while (s < end && *s != '/' && *s != '?')
			s++;
		*target_len = (uint32_t)(end - s);
		*target = s;
	}
}

static bool
host_eq(const uint8_t *a, const char *b, uint32_t n)
{
#ifdef __SSE2__
	if (n >= 8)
		return hp_lower_eq_n(a, b, n);
#endif
	for (uint32_t i = 0; i < n; i++)
		if (lower(a[i]) != (uint8_t)b[i])
			return false;
	return true;
}

/* What a match reads of the request: Host without its port and final dot, the target in
 * origin form, and its path as a server routes it. */
struct route_req {
	const uint8_t *host;
	uint32_t hl;
	const uint8_t *target;
	uint32_t target_len;
	const uint8_t *path;
	uint32_t nlen;
};

/* Whether endpoint e takes the request (path_only: on its path alone, among the endpoints that
 * name a host and a path_prefix beyond "/"). */
static inline bool
ep_takes(const struct hp_route_ep *e, const struct route_req *q, bool path_only)
{
	if (path_only && (e->any_host || e->nprefix_len <= 1))
		return false;
	/* the path first: it differs early between endpoints of one host */
	if ((q->target_len < e->prefix_len || memcmp(q->target, e->prefix, e->prefix_len) != 0) &&
	    (q->nlen < e->nprefix_len || !host_eq(q->path, e->nprefix, e->nprefix_len)))
		return false;
	if (path_only)
		return true;
	/* no Host (HTTP/1.0): a server hands it to its default host, which may be any */
	if (!e->any_host && q->hl != 0) {
		if (e->wildcard)
			return q->hl > e->host_len &&
			       host_eq(q->host + q->hl - e->host_len, e->host, e->host_len);
		return q->hl == e->host_len && host_eq(q->host, e->host, q->hl);
	}
	return true;
}

/* FNV-1a of a host's bytes, letters lowered: equal for hosts host_eq finds equal. */
static uint32_t
host_hash(const uint8_t *p, uint32_t n)
{
	uint32_t h = 2166136261u;

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ lower(p[i])) * 16777619u;
	return h;
}

/* The first endpoint in matching order that takes the request. With a Host and the table's
 * index (and scan false): only the endpoints of that exact host (its bucket) and those with a
 * wildcard or no host can take it, so those two ascending lists are merged and tried in order;
 * else every endpoint is. The same answer either way (hp_route_match_scan is the reference the
 * tests compare with). */
static inline const struct hp_route_ep *
route_find(const struct hp_route_table *t, const struct route_req *q, bool path_only, bool scan)
{
	if (!scan && !path_only && q->hl != 0 && t->hstart != NULL) {
		uint32_t b = host_hash(q->host, q->hl) & t->hmask;
		uint32_t i = t->hstart[b], iend = t->hstart[b + 1], j = 0;

		while (i < iend || j < t->n_other) {
			uint32_t k = j >= t->n_other || (i < iend && t->hidx[i] < t->oidx[j])
					     ? t->hidx[i++]
					     : t->oidx[j++];

			if (ep_takes(&t->ep[k], q, false))
				return &t->ep[k];
		}
		return NULL;
	}
	for (uint32_t i = 0; i < t->n; i++)
		if (ep_takes(&t->ep[i], q, path_only))
			return &t->ep[i];
	return NULL;
}

/* hp_route_match, or with path_only the first endpoint that names a host and a path_prefix
 * beyond "/" whose prefix the target's path matches, whatever the Host. scan: every endpoint in
 * order, the index unused. */
static inline const struct hp_route_ep *
route_match(const struct hp_route_table *t, const uint8_t *host, uint32_t host_len,
	    const uint8_t *target, uint32_t target_len, bool path_only, bool scan)
{
	uint8_t norm[HP_ROUTE_NORM_MAX];
	struct route_req q;
	uint32_t hl = host_len, i;

	if (t == NULL || t->n == 0)
		return NULL;
	/* Host without its port ("[v6]:port" keeps the brackets) and without a final dot */
	if (hl != 0 && host[0] == '[') {
		for (i = 0; i < hl && host[i] != ']'; i++)
			;
		hl = i < hl ? i + 1 : hl;
	} else {
		hl = find_byte(host, hl, ':');
	}
	if (hl != 0 && host[hl - 1] == '.')
		hl--;
	/* absolute-form: match on the path */
	origin_form(&target, &target_len);
	q.host = host;
	q.hl = hl;
	q.target = target;
	q.target_len = target_len;
	/* the path as a server that normalises it routes it (percent-decoding, dot segments,
	 * "//", "\\", ";params", case): a request a server could hand to an endpoint's handler
	 * is that endpoint's, so it is verified. Only when the target has something to
	 * normalise; else its bytes, compared without case. */
	if (target_len == 0) { /* "http://host" alone: its path is "/" */
		q.path = (const uint8_t *)"/";
		q.nlen = 1;
	} else if (path_scan(target, target_len, &q.nlen)) {
		int nl = hp_route_norm_path(target, target_len, norm, sizeof(norm));

		/* cut (too long): its bytes only; hp_route_path_cut tells the caller */
		q.nlen = nl > 0 ? (uint32_t)nl : 0;
		q.path = norm;
	} else {
		q.path = target;
	}
	return route_find(t, &q, path_only, scan);
}

const struct hp_route_ep *
hp_route_match(const struct hp_route_table *t, const uint8_t *host, uint32_t host_len,
	       const uint8_t *target, uint32_t target_len)
{
	return route_match(t, host, host_len, target, target_len, false, false);
}

const struct hp_route_ep *
hp_route_match_scan(const struct hp_route_table *t, const uint8_t *host, uint32_t host_len,
		    const uint8_t *target, uint32_t target_len)
{
	return route_match(t, host, host_len, target, target_len, false, true);
}

const struct hp_route_ep *
hp_route_match_path(const struct hp_route_table *t, const uint8_t *target, uint32_t target_len)
{
	return route_match(t, NULL, 0, target, target_len, true, false);
}

bool
hp_route_path_cut(const uint8_t *target, uint32_t target_len)
{
	uint8_t norm[HP_ROUTE_NORM_MAX];
	uint32_t nlen;

	origin_form(&target, &target_len);
	return target_len != 0 && path_scan(target, target_len, &nlen) &&
	       hp_route_norm_path(target, target_len, norm, sizeof(norm)) < 0;
}
