/* SPDX-License-Identifier: BSD-3-Clause
 * What the verifier's and the signer's unit tests (test_verify.c, test_verify_sign.c) share: a
 * request with room for its header views, spans of C strings, and the generic ("hmac")
 * provider's spec.
 */
#ifndef HP_TEST_VERIFY_H
#define HP_TEST_VERIFY_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "verify/verify.h"

#define MAX_H 64

/* A request and its header views (r.headers points at h once initialised). */
struct vt_req {
	struct hp_vheader h[MAX_H];
	struct hp_verify_req r;
};

/* A span of a C string (NULL: empty). */
static inline struct hp_vspan
S(const char *s) {
	return (struct hp_vspan){(const uint8_t *)s, s ? strlen(s) : 0};
}

/* The generic provider's spec: one secret, the rest zeroed; NULL strings are empty (the
 * defaults). */
static inline void
generic_spec(struct hp_verify_spec *spec, const char *secret, const char *header,
	     const char *prefix, enum hp_verify_alg alg, enum hp_verify_enc enc, const char *tmpl,
	     const char *tsh, const char *idh, const char *senc)
{
	memset(spec, 0, sizeof(*spec));
	spec->provider = HP_PROV_HMAC;
	spec->secrets[0] = secret;
	spec->n_secrets = 1;
	snprintf(spec->generic.header, sizeof(spec->generic.header), "%s", header);
	snprintf(spec->generic.prefix, sizeof(spec->generic.prefix), "%s", prefix ? prefix : "");
	spec->generic.alg = alg;
	spec->generic.enc = enc;
	snprintf(spec->generic.template_, sizeof(spec->generic.template_), "%s", tmpl ? tmpl : "");
	snprintf(spec->generic.timestamp_header, sizeof(spec->generic.timestamp_header), "%s",
		 tsh ? tsh : "");
	snprintf(spec->generic.id_header, sizeof(spec->generic.id_header), "%s", idh ? idh : "");
	snprintf(spec->generic.secret_encoding, sizeof(spec->generic.secret_encoding), "%s",
		 senc ? senc : "");
}

#endif /* HP_TEST_VERIFY_H */
