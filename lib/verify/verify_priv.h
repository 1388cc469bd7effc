/* SPDX-License-Identifier: BSD-3-Clause
 * Private to lib/verify: the verifier's layout, the HMAC primitives of verify.c and the helpers
 * the provider parsers of verify_providers.c share.
 *
 * HMAC key state. Every secret's HMAC is precomputed once at create as two hash midstates: the
 * inner hash after (key ^ ipad) and the outer hash after (key ^ opad). A verification copies
 * both by value (a few hundred bytes on the stack), feeds the signed content, and finishes:
 * no allocation, no provider lookup, no context re-initialisation. OpenSSL 3.0's EVP_MAC_init
 * re-init and EVP_MD_CTX_copy_ex both free and duplicate provider contexts (a malloc per call);
 * the low-level SHA*_ functions run the same assembly (SHA-NI here) without them. Measured with
 * tests/bench/bench_verify: docs/VERIFY.md "Speed".
 */
#ifndef HP_VERIFY_PRIV_H
#define HP_VERIFY_PRIV_H

/* The low-level SHA*_Init/Update/Final are deprecated in OpenSSL 3.0 in favour of EVP_MD, whose
 * context copy allocates (above): keep using them here, on purpose, without the warnings. */
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "verify.h"
#include "vsha256.h"

#define VMAC_MAX 64 /* SHA-512 */

/* One running hash of any of the three algorithms. SHA-256 is vsha256.h's where the CPU has
 * SHA-NI (n256; chosen once per process, hp_vsha256_ni_usable), else OpenSSL's (s256). */
union vhash {
	SHA_CTX s1;
	SHA256_CTX s256;
	struct hp_vsha256 n256;
	SHA512_CTX s512;
};

/* Precomputed HMAC key state: inner and outer midstates. */
struct vhmac {
	union vhash in;
	union vhash out;
};

/* A running HMAC (the inner hash of one verification). */
struct vmac {
	uint8_t alg; /* enum hp_verify_alg */
	union vhash h;
};

enum vsec_kind {
	VSEC_HMAC = 0, /* HMAC with the scheme's algorithm */
	VSEC_ED25519,  /* standard-webhooks v1a: whpk_ public key */
	VSEC_TOKEN,    /* gitlab: shared token compared (through SHA-256) in constant time */
};

struct vsecret {
	uint8_t kind;         /* enum vsec_kind */
	struct vhmac hm;      /* VSEC_HMAC: the provider's algorithm */
	struct vhmac hm_sha1; /* github with allow_sha1: the legacy X-Hub-Signature key */
	EVP_PKEY *pk;         /* VSEC_ED25519 */
	uint8_t tok[32];      /* VSEC_TOKEN: SHA-256 of the token */
};

/* Generic provider: the signed content as a list of pieces, parsed once at create. */
enum vseg_kind {
	VSEG_LIT = 0,
	VSEG_BODY,
	VSEG_TIMESTAMP,
	VSEG_ID,
	VSEG_METHOD,
	VSEG_URL,
	VSEG_PATH,
};

#define VSEG_MAX 32

struct vseg {
	uint8_t kind; /* enum vseg_kind */
	uint8_t off;  /* VSEG_LIT: bytes of tmpl[] */
	uint8_t len;
};

/* Twilio and the generic {url}: the two spellings of the base URL the official libraries try
 * (with and without the port). */
#define VURL_MAX 320

struct hp_verifier {
	uint8_t prov; /* enum hp_provider */
	uint8_t alg;  /* enum hp_verify_alg of the HMAC (provider's or generic's) */
	uint8_t enc;  /* enum hp_verify_enc of the signature (generic) */
	bool allow_sha1;
	bool has_hmac;    /* at least one VSEC_HMAC secret */
	bool has_ed25519; /* at least one VSEC_ED25519 secret */
	uint32_t tolerance_s;
	unsigned int n_secrets;
	struct vsecret sec[HP_VERIFY_MAX_SECRETS];

	/* twilio / generic {url}: base URLs; n_base 0 = "http://" + Host at verify time */
	unsigned int n_base;
	uint16_t base_len[2];
	char base[2][VURL_MAX];

	/* generic */
	struct hp_verify_generic g;
	size_t g_header_len, g_prefix_len, g_ts_len, g_id_len;
	unsigned int n_seg;
	struct vseg seg[VSEG_MAX];
	bool g_needs_ts, g_needs_id, g_needs_url;

	char dedup[HP_VERIFY_NAME_MAX + 8]; /* hp_verifier_default_dedup() */
};

struct hp_verify_ctx {
	const struct hp_verifier *v;
	/* The secret that matched last on this worker: tried first (hp_vmatch). During a
	 * rotation the sender signs with one secret at a time, usually the one added last:
	 * trying the list in order would compute every HMAC before it for each request. */
	uint8_t first_secret;
	EVP_MD_CTX *md; /* Ed25519 (v1a) only */
	uint8_t *buf;   /* Ed25519 signs the whole message at once: it is assembled here */
	size_t buf_cap;
};

/* ---- verify.c: primitives ---- */

size_t hp_vmac_len(enum hp_verify_alg alg);
void hp_vmac_start(struct vmac *m, const struct vhmac *k, enum hp_verify_alg alg);
void hp_vmac_update(struct vmac *m, const void *p, size_t n);
/* Finishes into out (hp_vmac_len(alg) bytes). */
void hp_vmac_final(struct vmac *m, const struct vhmac *k, uint8_t *out);
/* The MAC of the concatenated pieces, with key state k, into out. pass (NULL: none): the
 * piece that is pass->body (same pointer and length) goes through it when the hash is
 * vsha256's and it has not run yet (struct hp_vbody_pass). */
void hp_vmac_pieces(const struct vhmac *k, enum hp_verify_alg alg, const struct hp_vspan *pieces,
		    size_t n, uint8_t *out, struct hp_vbody_pass *pass);

/* Decoders of received signatures: no early exit on the input's bytes (a bad character is
 * noted and the loop goes on). Return the decoded length, or -1 if the text is not exactly
 * valid (odd hex length, bad character, bad base64 padding) or would exceed cap. */
int hp_vhex_decode(const uint8_t *s, size_t n, uint8_t *out, size_t cap);
int hp_vb64_decode(const uint8_t *s, size_t n, uint8_t *out, size_t cap, bool need_pad);

/* Decimal unix seconds: digits only, at most 18 of them (no sign, no space). */
bool hp_vparse_unix(struct hp_vspan s, int64_t *out);
/* RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)" to unix seconds (fraction dropped). */
bool hp_vparse_rfc3339(struct hp_vspan s, int64_t *out);
/* |now - ts| <= tolerance_s (0: no check). */
enum hp_verify_result hp_vwindow(const struct hp_verifier *v, int64_t ts, int64_t now);

/* ---- header lookup ---- */

struct vfind {
	const char *name;
	size_t len;
	struct hp_vspan val; /* first occurrence */
	unsigned int count;
};

/* One pass over the request's headers, filling every slot of f[]. */
void hp_vfind(const struct hp_verify_req *req, struct vfind *f, size_t n);
bool hp_vspan_eq_ci(struct hp_vspan a, const char *s, size_t n);

/* The k-th secret to try (k < v->n_secrets): *first (the one that matched last on this worker)
 * at k == 0, then the others in the list's order; first NULL, or past the list: in order. */
static inline unsigned int
hp_vsecret_at(const struct hp_verifier *v, const uint8_t *first, unsigned int k)
{
	unsigned int f = first != NULL && *first < v->n_secrets ? *first : 0;

	return k == 0 ? f : k - 1 < f ? k - 1 : k;
}

/* A secret whose MAC over the pieces equals one of the sigs (each siglen bytes): its index, or
 * -1. Secret *first is tried first, then the others in their order (first NULL, or past the
 * list after a change of secrets: in order); *first is set to the one that matched. Every
 * comparison is constant-time over the full length. sha1_legacy selects the github legacy key
 * state. pass: the request's body pass (hp_verify_req.body_pass), run with the first MAC. */
int hp_vmatch(const struct hp_verifier *v, uint8_t *first, enum hp_verify_alg alg, bool sha1_legacy,
	      const struct hp_vspan *pieces, size_t n_pieces, const uint8_t (*sigs)[VMAC_MAX],
	      size_t n_sigs, size_t siglen, struct hp_vbody_pass *pass);

/* ---- verify_providers.c ---- */

/* The generic provider's signed content for req, as pieces (at most VSEG_MAX * 3): its
 * template with {timestamp} and {id} given (the header values as received, or the signer's),
 * {url} from url_base or "http://" + Host. Returns the number of pieces. */
size_t hp_vgeneric_pieces(const struct hp_verifier *v, const struct hp_verify_req *req,
			  struct hp_vspan ts, struct hp_vspan id, struct hp_vspan *pieces);

/* Runs the provider's scheme (v->prov != HP_PROV_NONE); fills out except out->result. */
enum hp_verify_result hp_vprov_verify(const struct hp_verifier *v, struct hp_verify_ctx *c,
				      const struct hp_verify_req *req, struct hp_verify_out *out);

#endif /* HP_VERIFY_PRIV_H */
