/* SPDX-License-Identifier: BSD-3-Clause
 * PII and secret detection (lib/pii): one Hyperscan block-mode database of the enabled entities,
 * built once from a configuration, immutable afterwards and shared read-only by every worker;
 * one scratch per worker.
 *
 * Contract
 * - hp_pii_db_create() compiles every pattern once (hs_compile_multi). A user-defined pattern
 *   Hyperscan refuses is reported in err with the entity's name and Hyperscan's message
 *   ("pii entity 'order_ref': pattern refused by Hyperscan: ...").
 * - Hyperscan patterns of the built-in entities are prefilters only: they find candidates. The
 *   exact span, its boundaries (no lookaround in Hyperscan), context words and the checksum are
 *   decided in C from the match's end offset (docs/PII.md).
 * - hp_pii_scan() runs on the fast path: no allocation (the scratch is preallocated; the unit
 *   tests install counting allocators with hs_set_allocator), no I/O, no logging, bounded work
 *   per byte. Per entity, matches are leftmost and non-overlapping, and each is the longest valid
 *   span at its start (Presidio semantics, spans normalised to leftmost-longest). Entities are
 *   independent: spans of different entities may overlap.
 * - Results are bounded: count[] counts every match, span[] keeps the first HP_PII_MAX_SPANS;
 *   n_dropped says how many spans were not kept (a masking caller must then block instead).
 * - hp_pii_mask() overwrites the bytes of each kept span with mask_char in place, length kept;
 *   credit cards keep their last 4 digits and their separators. No byte outside a span changes.
 */
#ifndef HP_PII_H
#define HP_PII_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HP_PII_MAX_USER     32  /* user-defined entities in one database */
#define HP_PII_NAME_MAX     32  /* entity names, including the NUL */
#define HP_PII_MAX_SPANS    128 /* spans kept per scan; more are counted, not kept */
#define HP_PII_MAX_ENTITIES 64  /* built-in + user; count[] is indexed by entity id */

/* Built-in entities; the id is the index in count[] and the bit in hp_pii_config.enabled.
 * Stable snake_case names (hp_pii_entity_name) are used in events and config. */
enum hp_pii_entity {
	HP_PII_CREDIT_CARD = 0, /* "credit_card": Luhn, 13-19 digits, ' ' or '-' separators */
	HP_PII_US_SSN,         /* "us_ssn": Presidio's invalid ranges; bare 9 digits need context */
	HP_PII_EMAIL,          /* "email" */
	HP_PII_PHONE,          /* "phone": +E.164 and separated North American forms */
	HP_PII_IBAN,           /* "iban": mod-97 and the country's length */
	HP_PII_IPV4,           /* "ipv4" */
	HP_PII_IPV6,           /* "ipv6" */
	HP_PII_US_ITIN,        /* "us_itin": 9xx, groups 50-65/70-88/90-92/94-99 */
	HP_PII_ABA_ROUTING,    /* "aba_routing": checksum, prefix ranges, context word required */
	HP_PII_UK_NHS,         /* "uk_nhs": mod 11; bare 10 digits need context */
	HP_PII_CRYPTO_WALLET,  /* "crypto_wallet": bitcoin Base58Check (P2PKH/P2SH), Bech32/m */
	HP_PII_MAC_ADDRESS,    /* "mac_address" */
	HP_PII_AWS_ACCESS_KEY, /* "aws_access_key": AKIA/ASIA/ABIA/ACCA + 16 */
	HP_PII_GITHUB_TOKEN,   /* "github_token": gh[pousr]_ and github_pat_ */
	HP_PII_STRIPE_KEY,     /* "stripe_key": sk_/rk_ live/test (pk_ is public by design) */
	HP_PII_SLACK_TOKEN,    /* "slack_token": xox[abposr]- */
	HP_PII_JWT,            /* "jwt": three base64url parts, header and payload JSON objects */
	HP_PII_PEM_PRIVATE_KEY, /* "pem_private_key": BEGIN ... PRIVATE KEY block to its END line */
	HP_PII__BUILTIN_COUNT
};

#define HP_PII_ALL_BUILTIN ((UINT64_C(1) << HP_PII__BUILTIN_COUNT) - 1)

/* Optional validator of a user-defined entity, run on each candidate span. */
enum hp_pii_validator {
	HP_PII_VAL_NONE = 0, /* "none" */
	HP_PII_VAL_LUHN,     /* "luhn": digits with ' '/'-' separators, Luhn sum */
	HP_PII_VAL_IBAN,     /* "iban" */
	HP_PII_VAL_ABA,      /* "aba" */
	HP_PII_VAL_NHS,      /* "nhs" */
	HP_PII_VAL__COUNT
};

struct hp_pii_user_entity {
	const char *name;    /* [a-z0-9_]{1,31}, not a built-in name, unique */
	const char *pattern; /* Hyperscan syntax; compiled with HS_FLAG_SOM_LEFTMOST */
	enum hp_pii_validator validator;
};

struct hp_pii_config {
	uint64_t enabled; /* bit i enables built-in entity i; HP_PII_ALL_BUILTIN for all */
	const struct hp_pii_user_entity *user;
	unsigned int n_user; /* <= HP_PII_MAX_USER; ids HP_PII__BUILTIN_COUNT + i */
	uint32_t user_skip;  /* bit i: user entity i is not looked for (its id stays i) */
	/* every built-in through Hyperscan prefilters, none through the digit-run pass (same
	 * spans, slower on digit-heavy text: for benchmarks and differential tests) */
	bool hyperscan_only;
};

struct hp_pii_span {
	uint32_t start; /* [start, end) byte offsets in the scanned buffer */
	uint32_t end;
	uint16_t entity;
};

struct hp_pii_result {
	uint32_t total;                      /* matches of every entity */
	uint32_t n_spans;                    /* kept in span[] */
	uint32_t n_dropped;                  /* matches counted but not kept */
	uint32_t count[HP_PII_MAX_ENTITIES]; /* per entity id */
	struct hp_pii_span span[HP_PII_MAX_SPANS];
};

struct hp_pii_db;      /* immutable after create; shared by workers */
struct hp_pii_scratch; /* per worker */

/* 0, or -EINVAL (bad config, message in err), -ENOMEM, -EIO (Hyperscan refused). */
int hp_pii_db_create(const struct hp_pii_config *cfg, struct hp_pii_db **out, char *err,
		     size_t errlen);
void hp_pii_db_free(struct hp_pii_db *db);

/* Scratch for one worker (hs_alloc_scratch), or a clone of another worker's (hs_clone_scratch).
 * 0 or -errno. */
int hp_pii_scratch_create(const struct hp_pii_db *db, struct hp_pii_scratch **out);
int hp_pii_scratch_clone(const struct hp_pii_scratch *src, struct hp_pii_scratch **out);
void hp_pii_scratch_free(struct hp_pii_scratch *s);

/* Scan buf[0, len) (len < 4 GiB); res is overwritten. Returns res->total, or -EINVAL, -E2BIG,
 * -EIO (Hyperscan error). */
int hp_pii_scan(const struct hp_pii_db *db, struct hp_pii_scratch *scratch, const uint8_t *buf,
		size_t len, struct hp_pii_result *res);

/* The version of the scan's block passes that a database made now in this process runs:
 * "avx512vbmi", "avx512bw", "avx2", "sse2" ("bytes" where the build has no SSE2) or "ref".
 * The widest the CPU has, unless HOOKPATH_PII_SCAN names another it runs. *why (may be NULL) gets a
 * sentence for the start's log, and *asked_bad is set when HOOKPATH_PII_SCAN names one this CPU or
 * build does not run (then ignored). Reads the environment: not for the fast path. */
const char *hp_pii_scan_version(const char **why, bool *asked_bad);

/* Mask the kept spans of res (a scan of this same buffer) in place. Spans past len are ignored.
 * Returns the number of bytes changed. */
size_t hp_pii_mask(uint8_t *buf, size_t len, const struct hp_pii_result *res, char mask_char);

/* Same, only spans whose entity's bit is set in entities (bit i: entity id i). */
size_t hp_pii_mask_sel(uint8_t *buf, size_t len, const struct hp_pii_result *res, char mask_char,
		       uint64_t entities);

/* The prefilter expressions of db's entities (benchmarks run the same ones through other
 * engines): first those compiled into its Hyperscan database, then those of the entities the
 * digit-run pass finds. Fills up to max, returns how many there are. User expressions point
 * into the caller's configuration. */
struct hp_pii_pattern {
	const char *expr;
	unsigned int flags; /* HS_FLAG_* */
	uint16_t entity;
	bool hyperscan; /* compiled into db; false: an entity of the digit-run pass or the
			 * literal pass, listed with the prefilter that defines what it finds */
	bool literal;   /* an entity of the literal pass (email, the secrets, PEM) */
};
unsigned int hp_pii_db_patterns(const struct hp_pii_db *db, struct hp_pii_pattern *out,
				unsigned int max);

/* Name of entity id in db (user-defined names included); "unknown" if out of range. */
const char *hp_pii_entity_name(const struct hp_pii_db *db, unsigned int entity);
/* Built-in id of a name, or -1. */
int hp_pii_builtin_from_name(const char *name);
unsigned int hp_pii_entity_count(const struct hp_pii_db *db);
const char *hp_pii_validator_name(enum hp_pii_validator v);

#endif /* HP_PII_H */
