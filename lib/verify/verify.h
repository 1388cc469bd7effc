/* SPDX-License-Identifier: BSD-3-Clause
 * Webhook signature verification (lib/verify): one verifier per endpoint, built once from its
 * configuration, immutable afterwards and shared read-only by every worker; one small mutable
 * context per worker and verifier for whatever per-call state OpenSSL needs.
 *
 * Contract
 * - hp_verifier_create() does every expensive thing once: decodes secrets (whsec_ base64,
 *   whpk_ Ed25519 public keys ...), precomputes the HMAC key state of every secret, parses the
 *   generic provider's template. It refuses a bad spec with a message naming the field
 *   ("secrets[1]: not valid base64 after whsec_").
 * - hp_verify() runs on the fast path: no allocation (checked by the unit tests with
 *   CRYPTO_set_mem_functions for every HMAC scheme), no I/O, no logging, constant-time
 *   comparison of MACs and tokens. It never reads past the spans it is given.
 * - Rotation: a verifier holds up to HP_VERIFY_MAX_SECRETS secrets; a request is valid if any
 *   secret validates any of the signatures it carries. out->secret_index says which secret.
 * - Timestamps: where the scheme signs a timestamp, |now - ts| must be <= tolerance_s, in both
 *   directions (stale_timestamp, future_timestamp). tolerance_s == 0 disables the check.
 */
#ifndef HP_VERIFY_H
#define HP_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vsha256.h"

#define HP_VERIFY_MAX_SECRETS  8
#define HP_VERIFY_MAX_SIGS     8  /* signatures looked at in one header; more: malformed */
#define HP_VERIFY_NAME_MAX     64 /* header names and prefixes of the generic provider */
#define HP_VERIFY_TEMPLATE_MAX 128

enum hp_provider {
	HP_PROV_NONE = 0, /* no verification: every routed request is valid */
	HP_PROV_STRIPE,   /* "stripe" */
	HP_PROV_GITHUB,   /* "github" */
	HP_PROV_SLACK,    /* "slack" */
	HP_PROV_STANDARD, /* "standard-webhooks" (svix-* headers accepted as aliases) */
	HP_PROV_SVIX,     /* "svix": same scheme, svix-* first */
	HP_PROV_SHOPIFY,  /* "shopify" */
	HP_PROV_TWILIO,   /* "twilio" */
	HP_PROV_ZOOM,     /* "zoom" */
	HP_PROV_TWITCH,   /* "twitch" */
	HP_PROV_PADDLE,   /* "paddle" */
	HP_PROV_GITLAB,   /* "gitlab" (token header) */
	HP_PROV_HMAC,     /* "hmac": generic, described by struct hp_verify_generic */
	HP_PROV__COUNT
};

/* Stable snake_case names; they are also event reason codes (DESIGN §6). */
enum hp_verify_result {
	HP_VR_OK = 0,              /* "ok" */
	HP_VR_MISSING_SIGNATURE,   /* "missing_signature": no signature header (or empty) */
	HP_VR_MALFORMED_SIGNATURE, /* "malformed_signature": header present, unparseable (bad hex,
				    * bad base64, wrong length, no v1 entry, too many entries) */
	HP_VR_BAD_SIGNATURE,       /* "bad_signature": well-formed, no secret matches */
	HP_VR_MISSING_TIMESTAMP,   /* "missing_timestamp": the scheme signs one, none sent */
	HP_VR_MALFORMED_TIMESTAMP, /* "malformed_timestamp" */
	HP_VR_STALE_TIMESTAMP,     /* "stale_timestamp": older than now - tolerance */
	HP_VR_FUTURE_TIMESTAMP,    /* "future_timestamp": newer than now + tolerance */
	HP_VR_MISSING_ID,          /* "missing_id": the scheme signs an id header, none sent */
	HP_VR_UNSUPPORTED,         /* "unsupported_signature": e.g. only sha1 sent, sha1 off */
	HP_VR__COUNT
};

enum hp_verify_alg { HP_VALG_SHA256 = 0, HP_VALG_SHA1, HP_VALG_SHA512 };
enum hp_verify_enc { HP_VENC_HEX = 0, HP_VENC_BASE64 };

/* The generic "hmac" provider: everything a user needs to add a provider without code. */
struct hp_verify_generic {
	char header[HP_VERIFY_NAME_MAX]; /* signature header, e.g. "X-Signature" */
	char prefix[HP_VERIFY_NAME_MAX]; /* stripped from its value, e.g. "sha256=" */
	enum hp_verify_alg alg;
	enum hp_verify_enc enc;
	/* signed content: literal bytes and the placeholders {body} {timestamp} {id} {method}
	 * {url} {path}; default "{body}" */
	char template_[HP_VERIFY_TEMPLATE_MAX];
	char timestamp_header[HP_VERIFY_NAME_MAX]; /* "" = none; unix seconds */
	char id_header[HP_VERIFY_NAME_MAX];        /* "" = none; fills {id} and webhook_id */
	char secret_encoding[16];                  /* "raw" (default), "base64", "hex" */
};

struct hp_verify_spec {
	enum hp_provider provider;
	const char *secrets[HP_VERIFY_MAX_SECRETS]; /* as written in the config / secrets file */
	unsigned int n_secrets;
	uint32_t tolerance_s; /* 0: no timestamp window check */
	bool allow_sha1;      /* github: accept X-Hub-Signature (sha1) when no sha256 header */
	const char *url_base; /* twilio: "https://hooks.example.com" the sender signed; NULL:
			       * "http://" + Host */
	struct hp_verify_generic generic; /* provider == HP_PROV_HMAC */
};

/* A view of bytes (not NUL-terminated). */
struct hp_vspan {
	const uint8_t *p;
	size_t len;
};

struct hp_vheader {
	struct hp_vspan name;  /* compared ASCII case-insensitively */
	struct hp_vspan value; /* without surrounding whitespace */
};

/* One complete request, as received. */
struct hp_verify_req {
	struct hp_vspan method;
	struct hp_vspan target; /* request-target as sent: path[?query] */
	struct hp_vspan host;
	const struct hp_vheader *headers;
	size_t n_headers;
	const uint8_t *body;
	size_t body_len;
	int64_t now; /* unix seconds */
	/* NULL, or a pass over the body that the HMAC runs while it hashes it (vsha256.h: where
	 * the CPU has SHA-NI and the signed content holds the body whole; body_pass->done says
	 * whether it ran) */
	struct hp_vbody_pass *body_pass;
};

struct hp_verify_out {
	enum hp_verify_result result;
	int secret_index;           /* the secret that matched, -1 if none */
	int64_t timestamp;          /* the signed timestamp, 0 if the scheme has none */
	struct hp_vspan webhook_id; /* the provider's delivery/event id if it sent one (points
				     * into the request), else empty */
};

struct hp_verifier;   /* immutable after create; shared by workers */
struct hp_verify_ctx; /* per worker and verifier */

int hp_verifier_create(const struct hp_verify_spec *spec, struct hp_verifier **out, char *err,
		       size_t errlen);
void hp_verifier_free(struct hp_verifier *v);

struct hp_verify_ctx *hp_verify_ctx_create(const struct hp_verifier *v);
void hp_verify_ctx_free(struct hp_verify_ctx *c);

/* Verifies one request; returns out->result. c may be NULL for every scheme but
 * standard-webhooks/svix v1a (Ed25519), which then gives HP_VR_UNSUPPORTED. out->secret_index
 * stays set on stale/future_timestamp when the signature was checked first (the provider's
 * order: docs/VERIFY.md). Cost: ~0.7-0.8 us for a 1 KB body, ~1.3 M/s per core. */
enum hp_verify_result hp_verify(const struct hp_verifier *v, struct hp_verify_ctx *c,
				const struct hp_verify_req *req, struct hp_verify_out *out);

/* Signs a synthetic request the way the endpoint's provider would (the workers' warm-up
 * requests at start, dataplane/dp_warmup.c): writes to out the header lines, each
 * "Name: value\r\n", that make hp_verify() accept req (its method, target, host and body; its
 * headers are ignored) at unix time ts, with delivery/message id `id` where the scheme carries
 * one, signed with the verifier's first HMAC secret. Returns the length written (out is
 * NUL-terminated), 0 for provider none, or -1 when this verifier cannot sign (gitlab keeps only
 * a digest of its token, twilio, standard-webhooks/svix with Ed25519 keys only) or cap is too
 * small. Not for the fast path: it may call OpenSSL's encoders. */
int hp_verify_sign(const struct hp_verifier *v, const struct hp_verify_req *req, int64_t ts,
		   const char *id, char *out, size_t cap);

/* The provider's default dedup key, e.g. "header:X-GitHub-Delivery", "header:webhook-id",
 * "body:id"; "body_hash" for providers that send no id. */
const char *hp_provider_default_dedup(enum hp_provider p);
/* Default timestamp tolerance of the provider (0 = it signs no timestamp). */
uint32_t hp_provider_default_tolerance(enum hp_provider p);

/* The default dedup key of this verifier: hp_provider_default_dedup() of its provider, except
 * for "hmac", where it is "header:<id_header>" if the spec names an id header (else
 * "body_hash"). Points into the verifier. */
const char *hp_verifier_default_dedup(const struct hp_verifier *v);

/* Names: "stripe", ...; hp_provider_from_name() returns HP_PROV__COUNT if unknown. */
const char *hp_provider_name(enum hp_provider p);
enum hp_provider hp_provider_from_name(const char *name);
const char *hp_verify_result_name(enum hp_verify_result r);

/* A top-level string (or integer) member of a JSON object body, e.g. "id": used for dedup keys
 * "body:<field>" and for ids inside bodies. Returns true and the value's bytes (without quotes,
 * escapes left as sent) or false if the body is not an object or has no such member. Bounded,
 * never recursive beyond HP_VERIFY_JSON_DEPTH levels of nesting while skipping values. */
#define HP_VERIFY_JSON_DEPTH 32
bool hp_json_top_member(const uint8_t *body, size_t len, const char *field, struct hp_vspan *value);

#endif /* HP_VERIFY_H */
