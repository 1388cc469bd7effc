/* SPDX-License-Identifier: BSD-3-Clause
 * Endpoint routing (DESIGN §2 "route"): Host + request-target -> endpoint, and everything the
 * workers need about that endpoint, resolved once from the configuration: its verifier
 * (lib/verify, immutable, shared), dedup key kind, TTL, limits and reject actions.
 *
 * The table is immutable once built and read by every worker without locks. Matching order:
 * an exact host beats a wildcard (*.example.com, longer suffix first) which beats "any host";
 * for the same host the longest path_prefix wins. The Host port is ignored; absolute-form
 * targets are matched on their path. A path matches a prefix by its bytes or once normalised as
 * servers route it (hp_route_norm_path); a request without Host matches on its path alone.
 */
#ifndef HP_DP_ROUTE_H
#define HP_DP_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "hp_config.h"

struct hp_verifier;

/* Tag of an endpoint's name in the token L1 (23 bits of FNV-1a). */
#define HP_TOKEN_TAG_MASK 0x7fffffu

static inline uint32_t
hp_token_tag(const char *endpoint_name)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)endpoint_name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h & HP_TOKEN_TAG_MASK;
}

struct hp_pii_db;

enum hp_dedup_kind {
	HP_DK_NONE = 0,  /* replay protection off */
	HP_DK_HEADER,    /* a header's value */
	HP_DK_BODY,      /* a top-level JSON member of the body */
	HP_DK_BODY_HASH, /* SHA-256 of the body */
};

struct hp_route_ep {
	uint16_t index; /* in cfg->endpoints (events carry it) */
	bool wildcard;  /* host is ".example.com": any subdomain */
	bool any_host;
	uint16_t host_len;
	uint16_t prefix_len;
	char host[HP_CFG_HOST_LEN]; /* lowercased */
	char prefix[HP_CFG_PREFIX_LEN];
	uint16_t nprefix_len;
	char nprefix[HP_CFG_PREFIX_LEN]; /* prefix as hp_route_norm_path makes a path */
	const struct hp_endpoint_config *cfg;
	struct hp_verifier *verifier; /* NULL: provider none */
	enum hp_dedup_kind dedup_kind;
	uint16_t dedup_name_len;
	char dedup_name[HP_CFG_FIELD_LEN];
	uint64_t ttl_ms;
	uint32_t tolerance_s;
	uint32_t max_body;
	bool respond, reset_server, active_response;
	struct hp_pii_db *pii_db; /* pii.policy not off: the endpoint's entities, else NULL */
	uint64_t pii_mask_set;    /* entity ids whose action is mask (bit i: id i) */
	uint64_t pii_block_set;   /* ... block */
	bool pii_hold;            /* bridge: hold the body segments (mask or block) */
	/* token (endpoints[].token): header and prefix, and the tag of this endpoint's name */
	uint16_t token_hlen, token_plen;
	char token_header[HP_CFG_HDR_LEN];
	char token_prefix[HP_CFG_HDR_LEN];
	uint32_t token_tag;
	/* ML scoring (endpoints[].ml) */
	uint8_t ml_policy;     /* enum hp_ml_policy (enforce in tap mode: flag) */
	uint8_t ml_on_timeout; /* enum hp_ml_on_timeout */
	uint8_t provider_id;   /* ml feature: a small number per provider name */
	float ml_threshold;
};

/* Tables of more endpoints than this get a host index; smaller ones are scanned. */
#define HP_ROUTE_SCAN_MAX 8

struct hp_route_table {
	uint32_t n;
	struct hp_route_ep *ep;        /* in matching order */
	struct hp_route_ep **by_index; /* cfg index -> entry */
	/* Host index (n > HP_ROUTE_SCAN_MAX, else hstart is NULL): the endpoints that name one
	 * exact host, by a hash of it: bucket b holds hidx[hstart[b] .. hstart[b + 1]), their
	 * positions in ep[], ascending; oidx[0 .. n_other) are the others (a wildcard or no
	 * host), ascending. A request with a Host can only go to its bucket's endpoints or to
	 * the others: those are tried, in matching order, instead of all n. */
	uint32_t hmask; /* buckets - 1 */
	uint32_t *hstart;
	uint16_t *hidx;
	uint16_t *oidx;
	uint32_t n_other;
};

/* Build from cfg (control thread); 0 or -errno with a message. */
int hp_route_build(const struct hp_config *cfg, struct hp_route_table **out, char *err,
		   size_t errlen);
void hp_route_free(struct hp_route_table *t);

/* The endpoint for a request, or NULL. host: the Host value as sent (port allowed). */
/* Longest path hp_route_norm_path considers (bytes of the target, and of its result). */
#define HP_ROUTE_NORM_MAX 1024

int hp_route_norm_path(const uint8_t *t, uint32_t n, uint8_t *out, uint32_t cap);

const struct hp_route_ep *hp_route_match(const struct hp_route_table *t, const uint8_t *host,
					 uint32_t host_len, const uint8_t *target,
					 uint32_t target_len);

/* hp_route_match by a scan of every endpoint in order, the index unused: the reference the
 * tests and the route fuzzer compare hp_route_match with. */
const struct hp_route_ep *hp_route_match_scan(const struct hp_route_table *t, const uint8_t *host,
					      uint32_t host_len, const uint8_t *target,
					      uint32_t target_len);

/* The first endpoint that names a host and a path_prefix beyond "/" whose prefix target's
 * path matches (its bytes or normalised, as hp_route_match), whatever the Host; NULL: none.
 * A request no endpoint matches but this one is for an endpoint's path under another host
 * (foreign_host): a server that ignores Host takes it as that endpoint's. */
const struct hp_route_ep *hp_route_match_path(const struct hp_route_table *t, const uint8_t *target,
					      uint32_t target_len);

/* Whether target's path has something to normalise and is too long for it (more than
 * HP_ROUTE_NORM_MAX bytes once decoded): hookpath cannot know where a server that normalises
 * routes it (past the cut, "/../stripe/events" would still be read), so an unrouted request
 * with such a path may be an endpoint's (foreign_host). */
bool hp_route_path_cut(const uint8_t *target, uint32_t target_len);

#endif /* HP_DP_ROUTE_H */
