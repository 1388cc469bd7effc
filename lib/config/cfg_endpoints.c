/* SPDX-License-Identifier: BSD-3-Clause
 * The endpoints list (DESIGN §6): one mapping per webhook endpoint, walked with its own key
 * table (paths relative to the item), then checked as a whole: names unique, routes
 * unambiguous, the provider known, secrets present and accepted by the provider's scheme
 * (lib/verify builds the verifier once here, so a bad secret is refused at load with the key
 * that holds it, not at the first request), secrets files private.
 *
 * Secrets live in the loaded config only; they are never part of a message (messages name the
 * key and the index, never the value) and hp_config_free() wipes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_priv.h"
#include "pii.h"
#include "verify.h"

_Static_assert(HP_CFG_HDR_LEN == HP_VERIFY_NAME_MAX, "hmac names fit lib/verify");
_Static_assert(HP_CFG_FIELD_LEN == HP_VERIFY_TEMPLATE_MAX, "hmac template fits lib/verify");
_Static_assert(HP_CFG_MAX_SECRETS == HP_VERIFY_MAX_SECRETS, "secrets fit lib/verify");

static const char *const alg_names[] = {"sha256", "sha1", "sha512", NULL};
static const char *const enc_names[] = {"hex", "base64", NULL};
static const char *const secret_enc_names[] = {"raw", "base64", "hex", NULL};
static const char *const pii_policy_names[] = {"off", "report", "mask", "block", NULL};
static const char *const ml_policy_names[] = {"off", "score", "flag", "enforce", NULL};
static const char *const ml_timeout_names[] = {"reject", "accept", NULL};
static int cfg_parse_fraction(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key,
			      yaml_node_t *node, void *base, const char *dpath);

static int cfg_parse_secrets(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key,
			     yaml_node_t *node, void *base, const char *dpath);
static int cfg_parse_tolerance(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key,
			       yaml_node_t *node, void *base, const char *dpath);
static int cfg_parse_pii_entities(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key,
				  yaml_node_t *node, void *base, const char *dpath);

#define EP_FIELD(f)                                                                                \
	.offset = offsetof(struct hp_endpoint_config, f),                                          \
	.size = sizeof(((struct hp_endpoint_config *)NULL)->f)
#define EP_STR(p, f, d, b, text)                                                                   \
	{                                                                                          \
		.path = p, .type = HP_CFG_CUSTOM, .parse = hp_cfg_parse_string, EP_FIELD(f),       \
		.type_doc = "string", .def_doc = d, .bounds_doc = b, .doc = text                   \
	}
#define EP_BOOL(p, f, d, text)                                                                     \
	{                                                                                          \
		.path = p, .type = HP_CFG_BOOL, EP_FIELD(f), .def = d, .doc = text                 \
	}
#define EP_ENUM(p, f, n, text)                                                                     \
	{                                                                                          \
		.path = p, .type = HP_CFG_ENUM, EP_FIELD(f), .def = 0, .names = n, .doc = text     \
	}
#define EP_AUTO(p, f, lo, hi, zero, text)                                                          \
	{                                                                                          \
		.path = p, .type = HP_CFG_UINT, EP_FIELD(f), .def = 0, .min = lo, .max = hi,       \
		.flags = HP_CFG_F_AUTO, .zero_hint = zero, .doc = text                             \
	}

static const struct hp_cfg_key ep_keys[] = {
	EP_STR("name", name, "required", "1-63 of A-Z a-z 0-9 _ . -",
	       "unique endpoint name, shown in events and counters"),
	EP_STR("match.host", host, "any", "host or *.domain",
	       "Host to match (case-insensitive, port ignored); *.example.com = any subdomain"),
	EP_STR("match.path_prefix", path_prefix, "/", "starts with /",
	       "request-target prefix; among matching endpoints the longest prefix wins"),
	EP_STR("provider", provider, "required", "see docs/VERIFY.md",
	       "signature scheme: stripe, github, slack, standard-webhooks, svix, shopify, twilio, "
	       "zoom, twitch, paddle, gitlab, hmac, none"),
	{.path = "secrets",
	 .type = HP_CFG_CUSTOM,
	 .parse = cfg_parse_secrets,
	 .type_doc = "list of strings",
	 .def_doc = "none",
	 .bounds_doc = "1-8 secrets",
	 .doc = "signing secrets; several = rotation (any may match); never logged. An entry "
		"may be {secret: ..., not_after: 2026-12-31T00:00:00Z} (UTC, or Unix seconds): "
		"retired at that time; at least one has no not_after"},
	EP_STR("secrets_file", secrets_file, "none", "path, no group/other access",
	       "file with one secret per line ('#' comments), instead of secrets"),
	{.path = "tolerance_s",
	 .type = HP_CFG_CUSTOM,
	 .parse = cfg_parse_tolerance,
	 .type_doc = "integer or auto",
	 .def_doc = "auto",
	 .bounds_doc = "[0, 86400]",
	 .doc = "signed timestamp window, both ways (s); auto = provider default; 0 = no check"},
	EP_STR("dedup.key", dedup_key, "auto", "header:N, body:F, body_hash, none",
	       "replay key; auto = the provider's delivery id (docs/VERIFY.md)"),
	EP_AUTO("dedup.ttl_s", dedup_ttl_s, 1, 2592000,
		"0 is refused: use dedup.key none to turn replay protection off",
		"replay window (s); auto = tolerance_s, or 86400 without a signed timestamp"),
	EP_AUTO("max_body", max_body, 1, 16777216,
		"0 is refused: \"auto\" means http.body_copy_max",
		"largest body accepted (bytes), <= http.body_copy_max; more: body_too_large"),
	EP_BOOL("on_reject.respond", respond, true,
		"bridge: answer the client of a rejected request with a 4xx and close"),
	EP_BOOL("on_reject.reset_server", reset_server, true,
		"bridge: send the server a RST so it discards the partial request"),
	EP_BOOL("on_reject.active_response", active_response, false,
		"tap: send RSTs to both ends of a rejected request"),
	EP_BOOL("allow_sha1", allow_sha1, false,
		"github: accept the legacy sha1 X-Hub-Signature when no sha256 one is sent"),
	EP_STR("url_base", url_base, "http:// + Host", "scheme://host[:port]",
	       "twilio: the URL base the sender signed (TLS is usually terminated before us)"),
	EP_STR("hmac.header", hmac.header, "required", "header name",
	       "hmac: the header carrying the signature"),
	EP_STR("hmac.prefix", hmac.prefix, "none", "string", "hmac: stripped from the value"),
	EP_ENUM("hmac.algorithm", hmac.algorithm, alg_names, "hmac: digest of the HMAC"),
	EP_ENUM("hmac.encoding", hmac.encoding, enc_names, "hmac: encoding of the signature"),
	EP_ENUM("hmac.secret_encoding", hmac.secret_encoding, secret_enc_names,
		"hmac: how the secret string becomes the key"),
	EP_STR("hmac.template", hmac.template_, "{body}", "{body} {timestamp} {id} {method} ...",
	       "hmac: signed content; placeholders {body} {timestamp} {id} {method} {url} {path}"),
	EP_STR("hmac.timestamp_header", hmac.timestamp_header, "none", "header name",
	       "hmac: header with the signed unix timestamp"),
	EP_STR("hmac.id_header", hmac.id_header, "none", "header name",
	       "hmac: header with the delivery id ({id}, webhook_id)"),
	EP_ENUM("pii.policy", pii_policy, pii_policy_names,
		"PII in bodies (lib/pii): off; report (counts in the event); mask (bridge: matched "
		"bytes replaced in flight, length kept, body held until the verdict); block "
		"(verdict reject, reason pii_blocked, HTTP 422)"),
	EP_STR("token.header", token_header, "none", "header name",
	       "require a bearer token or API key in this header, looked up in tokens (L1 in "
	       "the workers, Redis, Postgres); none = no token"),
	EP_STR("token.prefix", token_prefix, "none", "string",
	       "stripped from the header's value before lookup, e.g. \"Bearer \""),
	EP_ENUM("ml.policy", ml_policy, ml_policy_names,
		"ML score of each request (ml section, docs/ML.md): off; score (in the event); "
		"flag "
		"(score, and the event flagged above ml.threshold); enforce (bridge: the request "
		"waits for its score, refused 403 ml_blocked above ml.threshold)"),
	{.path = "ml.threshold",
	 .type = HP_CFG_CUSTOM,
	 .parse = cfg_parse_fraction,
	 EP_FIELD(ml_threshold),
	 .type_doc = "number",
	 .def_doc = "0.9",
	 .bounds_doc = "[0, 1]",
	 .doc = "flag / enforce: a score above this flags or refuses the request"},
	EP_ENUM("ml.on_timeout", ml_on_timeout, ml_timeout_names,
		"enforce: no score within ml.timeout_ms (or none at all): reject (503 "
		"ml_unavailable, fail closed) or accept (fail open, counted)"),
	{.path = "pii.entities",
	 .type = HP_CFG_CUSTOM,
	 .parse = cfg_parse_pii_entities,
	 .type_doc = "list of entity names",
	 .def_doc = "all",
	 .bounds_doc = "see docs/PII.md",
	 .doc = "entities looked for: credit_card, us_ssn, email, ... (docs/PII.md) and names of "
		"pii.custom_entities; default: all of them"},
};

const struct hp_cfg_table hp_cfg_endpoint_schema = {
	.keys = ep_keys,
	.n_keys = sizeof(ep_keys) / sizeof(ep_keys[0]),
};

int
hp_cfg_parse_string(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
		    void *base, const char *dpath)
{
	char desc[96];
	char *dst = (char *)base + key->offset;
	size_t len;

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.length == 0)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must be a non-empty string, got %s",
				  hp_cfg_node_desc(node, desc, sizeof(desc)));
	len = node->data.scalar.length;
	if (len >= key->size || memchr(node->data.scalar.value, '\0', len) != NULL)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must be 1 to %zu bytes without NUL, got %zu bytes",
				  key->size - 1, len);
	memcpy(dst, node->data.scalar.value, len);
	dst[len] = '\0';
	return 0;
}

/* A secret: a non-empty string without NUL, CR or LF; its bytes never appear in a message. */
static int
cfg_secret_store(struct hp_cfg_ctx *ctx, const yaml_mark_t *mark, const char *spath,
		 const unsigned char *s, size_t len, char *dst)
{
	size_t i;

	if (len == 0)
		return hp_cfg_err(ctx, mark, spath, "must be a non-empty string");
	if (len >= HP_CFG_SECRET_LEN)
		return hp_cfg_err(ctx, mark, spath, "longer than %d bytes", HP_CFG_SECRET_LEN - 1);
	for (i = 0; i < len; i++)
		if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n')
			return hp_cfg_err(ctx, mark, spath,
					  "contains a NUL, CR or LF byte (at offset %zu)", i);
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

int
hp_cfg_parse_time(const char *s, int64_t *out)
{
	struct tm tm = {0};
	const char *end;
	char *e;
	long long v;

	if (s[0] >= '0' && s[0] <= '9' && strchr(s, '-') == NULL) {
		errno = 0;
		v = strtoll(s, &e, 10);
		if (errno != 0 || *e != '\0' || v <= 0)
			return -1;
		*out = v;
		return 0;
	}
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || strcmp(end, "Z") != 0)
		return -1;
	*out = (int64_t)timegm(&tm);
	return *out > 0 ? 0 : -1;
}

/* {secret: "...", not_after: "2026-12-31T00:00:00Z" | Unix seconds} */
static int
cfg_secret_entry(struct hp_cfg_ctx *ctx, yaml_node_t *el, const char *spath,
		 struct hp_endpoint_config *ep, uint32_t n)
{
	char kpath[HP_CFG_PATH_MAX + 32];
	bool have = false;

	ep->secret_not_after[n] = 0;
	for (yaml_node_pair_t *p = el->data.mapping.pairs.start; p < el->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(ctx->doc, p->value);
		const char *name = k != NULL && k->type == YAML_SCALAR_NODE
					   ? (const char *)k->data.scalar.value
					   : "";
		int rc;

		snprintf(kpath, sizeof(kpath), "%s.%s", spath, name);
		if (v == NULL || v->type != YAML_SCALAR_NODE)
			return hp_cfg_err(ctx, &el->start_mark, kpath, "must be a string");
		if (!strcmp(name, "secret")) {
			rc = cfg_secret_store(ctx, &v->start_mark, kpath, v->data.scalar.value,
					      v->data.scalar.length, ep->secrets[n]);
			if (rc < 0)
				return rc;
			have = true;
		} else if (!strcmp(name, "not_after")) {
			if (hp_cfg_parse_time((const char *)v->data.scalar.value,
					      &ep->secret_not_after[n]) != 0)
				return hp_cfg_err(
					ctx, &v->start_mark, kpath,
					"must be a UTC time, 2026-12-31T00:00:00Z, or Unix "
					"seconds");
		} else {
			return hp_cfg_err(ctx, &el->start_mark, kpath,
					  "unknown key (a secret entry has secret and not_after)");
		}
	}
	if (!have)
		return hp_cfg_err(ctx, &el->start_mark, spath, "has no secret");
	return 0;
}

static int
cfg_parse_secrets(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
		  void *base, const char *dpath)
{
	struct hp_endpoint_config *ep = base;
	char spath[HP_CFG_PATH_MAX + 16], desc[96];
	yaml_node_item_t *it;
	uint32_t n = 0, lasting = 0;
	int rc;

	(void)key;
	if (node->type != YAML_SEQUENCE_NODE)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must be a list of secret strings, got %s",
				  node->type == YAML_SCALAR_NODE
					  ? "a single string (write [\"...\"])"
					  : hp_cfg_node_desc(node, desc, sizeof(desc)));
	if (node->data.sequence.items.top == node->data.sequence.items.start)
		return hp_cfg_err(ctx, &node->start_mark, dpath, "must list at least one secret");
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *el = yaml_document_get_node(ctx->doc, *it);

		snprintf(spath, sizeof(spath), "%s[%u]", dpath, n);
		if (n >= HP_CFG_MAX_SECRETS)
			return hp_cfg_err(ctx, el != NULL ? &el->start_mark : &node->start_mark,
					  spath, "too many secrets: at most %d",
					  HP_CFG_MAX_SECRETS);
		if (el != NULL && el->type == YAML_MAPPING_NODE) {
			rc = cfg_secret_entry(ctx, el, spath, ep, n);
		} else if (el == NULL || el->type != YAML_SCALAR_NODE) {
			return hp_cfg_err(ctx, el != NULL ? &el->start_mark : &node->start_mark,
					  spath,
					  "must be a string, or {secret: ..., not_after: ...}");
		} else {
			ep->secret_not_after[n] = 0;
			rc = cfg_secret_store(ctx, &el->start_mark, spath, el->data.scalar.value,
					      el->data.scalar.length, ep->secrets[n]);
		}
		if (rc < 0)
			return rc;
		if (ep->secret_not_after[n] == 0)
			lasting++;
		n++;
	}
	if (lasting == 0)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "every secret has a not_after: at least one must have none (a "
				  "rotation adds the new secret before it dates the old one)");
	ep->n_secrets = n;
	return 0;
}

static int
cfg_parse_tolerance(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
		    void *base, const char *dpath)
{
	struct hp_endpoint_config *ep = base;
	uint32_t v;
	int rc;

	(void)key;
	if (hp_cfg_scalar_is(node, "auto")) {
		ep->tolerance_set = false;
		return 0;
	}
	rc = hp_cfg_parse_u32(ctx, node, dpath, 0, 86400, "an integer in [0, 86400] or \"auto\"",
			      NULL, &v);
	if (rc < 0)
		return rc;
	ep->tolerance_set = true;
	ep->tolerance_s = v;
	return 0;
}

static int
cfg_parse_pii_entities(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
		       void *base, const char *dpath)
{
	struct hp_endpoint_config *ep = base;
	char epath[HP_CFG_PATH_MAX + 16], name[HP_PII_NAME_MAX], desc[96];
	yaml_node_item_t *it;
	uint64_t set = 0;
	size_t i = 0;

	(void)key;
	if (node->type != YAML_SEQUENCE_NODE ||
	    node->data.sequence.items.top == node->data.sequence.items.start)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must be a non-empty list of entity names (omit it for all)");
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++, i++) {
		yaml_node_t *el = yaml_document_get_node(ctx->doc, *it);
		int id;

		snprintf(epath, sizeof(epath), "%s[%zu]", dpath, i);
		if (el == NULL || el->type != YAML_SCALAR_NODE)
			return hp_cfg_err(ctx, el != NULL ? &el->start_mark : &node->start_mark,
					  epath, "must be an entity name, got %s",
					  el != NULL ? hp_cfg_node_desc(el, desc, sizeof(desc))
						     : "nothing");
		/* longer than any name, or a NUL inside ("email\0x" must not read as email) */
		id = -1;
		if (el->data.scalar.length < sizeof(name) &&
		    memchr(el->data.scalar.value, '\0', el->data.scalar.length) == NULL) {
			memcpy(name, el->data.scalar.value, el->data.scalar.length);
			name[el->data.scalar.length] = '\0';
			id = hp_cfg_pii_entity_id(ctx, name);
		}
		if (id < 0)
			return hp_cfg_err(
				ctx, &el->start_mark, epath,
				"unknown entity %s (not built-in, see docs/PII.md, nor in "
				"pii.custom_entities)",
				hp_cfg_node_desc(el, desc, sizeof(desc)));
		if (set & (UINT64_C(1) << id))
			return hp_cfg_err(ctx, &el->start_mark, epath, "\"%s\" is listed twice",
					  name);
		set |= UINT64_C(1) << id;
	}
	ep->pii_entities = set;
	return 0;
}

/* ---- secrets file ---- */

#define CFG_SECRETS_FILE_MAX (64 * 1024)

/* Read secrets_file into ep->secrets: a regular file, no access for group or others, owned by
 * us or root; one secret per line, blank lines and '#' lines skipped. */
static int
cfg_read_secrets_file(struct hp_cfg_ctx *ctx, const yaml_mark_t *mark, const char *fpath,
		      struct hp_endpoint_config *ep)
{
	char path[2 * HP_CFG_PATH_LEN + 2], buf[CFG_SECRETS_FILE_MAX + 1];
	char lpath[HP_CFG_PATH_MAX + 32];
	struct stat st;
	size_t len = 0, line = 0, i, start;
	ssize_t r;
	int fd, rc = 0;

	if (ep->secrets_file[0] != '/' && ctx->base_dir != NULL)
		snprintf(path, sizeof(path), "%s/%s", ctx->base_dir, ep->secrets_file);
	else
		snprintf(path, sizeof(path), "%s", ep->secrets_file);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return hp_cfg_err(ctx, mark, fpath, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return hp_cfg_err(ctx, mark, fpath, "%s is not a regular file", path);
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(fd);
		return hp_cfg_err(ctx, mark, fpath,
				  "%s is accessible to group or others (mode %04o); chmod 600 it",
				  path, (unsigned int)(st.st_mode & 07777));
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		close(fd);
		return hp_cfg_err(ctx, mark, fpath, "%s is owned by uid %u, not by us or root",
				  path, (unsigned int)st.st_uid);
	}
	while (len < sizeof(buf) && (r = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)r;
	close(fd);
	if (len > CFG_SECRETS_FILE_MAX)
		return hp_cfg_err(ctx, mark, fpath, "%s is larger than %d bytes", path,
				  CFG_SECRETS_FILE_MAX);
	ep->n_secrets = 0;
	for (start = 0, i = 0; i <= len && rc == 0; i++) {
		size_t n;

		if (i < len && buf[i] != '\n')
			continue;
		line++;
		n = i - start;
		if (n > 0 && buf[start + n - 1] == '\r')
			n--;
		while (n > 0 && (buf[start] == ' ' || buf[start] == '\t')) {
			start++;
			n--;
		}
		while (n > 0 && (buf[start + n - 1] == ' ' || buf[start + n - 1] == '\t'))
			n--;
		if (n > 0 && buf[start] != '#') {
			snprintf(lpath, sizeof(lpath), "%s line %zu", fpath, line);
			if (ep->n_secrets >= HP_CFG_MAX_SECRETS)
				rc = hp_cfg_err(ctx, mark, lpath, "too many secrets: at most %d",
						HP_CFG_MAX_SECRETS);
			else
				rc = cfg_secret_store(ctx, mark, lpath,
						      (const unsigned char *)buf + start, n,
						      ep->secrets[ep->n_secrets++]);
		}
		start = i + 1;
	}
	explicit_bzero(buf, sizeof(buf));
	if (rc == 0 && ep->n_secrets == 0)
		rc = hp_cfg_err(ctx, mark, fpath, "%s holds no secret", path);
	return rc;
}

/* ---- per-item checks ---- */

static bool
cfg_name_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

/* Host: labels of [a-z0-9-] separated by dots, optionally "*." first; lowercased in place. */
static const char *
cfg_host_check(char *h)
{
	char *p = h, *label;

	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	if (*p == '\0')
		return "must name a host after \"*.\"";
	for (label = p; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		if (*p == '.') {
			if (p == label)
				return "has an empty label";
			label = p + 1;
		} else if (*p == ':') {
			return "must not carry a port (the Host port is ignored when matching)";
		} else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
			return "may only hold letters, digits, '-', '.' and a leading \"*.\"";
		}
	}
	if (p == label)
		return "has an empty label";
	return NULL;
}

static const char *
cfg_dedup_key_check(const char *k)
{
	const char *v;

	if (strcmp(k, "body_hash") == 0 || strcmp(k, "none") == 0)
		return NULL;
	if (strncmp(k, "header:", 7) == 0)
		v = k + 7;
	else if (strncmp(k, "body:", 5) == 0)
		v = k + 5;
	else
		return "must be header:NAME, body:FIELD, body_hash or none";
	if (*v == '\0')
		return "names no header or field after the colon";
	for (; *v != '\0'; v++)
		if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 0x7f || *v == ':')
			return "has a space, colon or control byte in the name";
	return NULL;
}

static const yaml_mark_t *
mark_of(const struct hp_cfg_seen *seen, const char *path, const yaml_mark_t *fallback)
{
	const struct hp_cfg_seen *s = hp_cfg_seen_get(&hp_cfg_endpoint_schema, seen, path);

	return s != NULL ? &s->key_mark : fallback;
}

static int
cfg_endpoint_check(struct hp_cfg_ctx *ctx, struct hp_endpoint_config *eps, uint32_t i,
		   const struct hp_cfg_seen *seen, const yaml_mark_t *item_mark, const char *ipath)
{
	struct hp_endpoint_config *ep = &eps[i];
	char kpath[HP_CFG_PATH_MAX + 64], verr[256];
	const char *why;
	enum hp_provider prov;
	struct hp_verify_spec spec;
	struct hp_verifier *v = NULL;
	size_t k;
	uint32_t j;
	int rc;

#define KPATH(key) (snprintf(kpath, sizeof(kpath), "%s.%s", ipath, key), kpath)
	if (ep->name[0] == '\0')
		return hp_cfg_err(ctx, item_mark, KPATH("name"), "required");
	if (strlen(ep->name) >= HP_CFG_NAME_LEN || !cfg_name_ok(ep->name))
		return hp_cfg_err(ctx, mark_of(seen, "name", item_mark), KPATH("name"),
				  "may only hold A-Z a-z 0-9 _ . - (1 to %d bytes)",
				  HP_CFG_NAME_LEN - 1);
	for (j = 0; j < i; j++)
		if (strcmp(eps[j].name, ep->name) == 0)
			return hp_cfg_err(ctx, mark_of(seen, "name", item_mark), KPATH("name"),
					  "\"%s\" is already the name of endpoints[%u]", ep->name,
					  j);
	if (ep->provider[0] == '\0')
		return hp_cfg_err(ctx, item_mark, KPATH("provider"), "required");
	prov = hp_provider_from_name(ep->provider);
	if (prov == HP_PROV__COUNT) {
		char list[256];
		size_t o = 0;

		list[0] = '\0';
		for (k = 0; k < HP_PROV__COUNT && o < sizeof(list); k++) {
			int w = snprintf(list + o, sizeof(list) - o, "%s%s", k ? ", " : "",
					 hp_provider_name((enum hp_provider)k));

			if (w < 0)
				break;
			o += (size_t)w;
		}
		return hp_cfg_err(ctx, mark_of(seen, "provider", item_mark), KPATH("provider"),
				  "unknown provider \"%s\"; one of: %s", ep->provider, list);
	}
	if (ep->host[0] != '\0' && (why = cfg_host_check(ep->host)) != NULL)
		return hp_cfg_err(ctx, mark_of(seen, "match.host", item_mark), KPATH("match.host"),
				  "%s", why);
	if (ep->path_prefix[0] != '/')
		return hp_cfg_err(ctx, mark_of(seen, "match.path_prefix", item_mark),
				  KPATH("match.path_prefix"), "must start with '/'");
	for (k = 0; ep->path_prefix[k] != '\0'; k++)
		if ((unsigned char)ep->path_prefix[k] <= ' ' ||
		    (unsigned char)ep->path_prefix[k] >= 0x7f)
			return hp_cfg_err(ctx, mark_of(seen, "match.path_prefix", item_mark),
					  KPATH("match.path_prefix"),
					  "has a space or control byte at offset %zu", k);
	for (j = 0; j < i; j++)
		if (strcmp(eps[j].host, ep->host) == 0 &&
		    strcmp(eps[j].path_prefix, ep->path_prefix) == 0)
			return hp_cfg_err(
				ctx, mark_of(seen, "match", item_mark), KPATH("match"),
				"same host and path_prefix as endpoints[%u] (%s): a request "
				"could not tell them apart",
				j, eps[j].name);
	if (ep->dedup_key[0] != '\0' && (why = cfg_dedup_key_check(ep->dedup_key)) != NULL)
		return hp_cfg_err(ctx, mark_of(seen, "dedup.key", item_mark), KPATH("dedup.key"),
				  "%s", why);

	/* which keys the provider takes */
	if (hp_cfg_seen_get(&hp_cfg_endpoint_schema, seen, "secrets") != NULL &&
	    hp_cfg_seen_get(&hp_cfg_endpoint_schema, seen, "secrets_file") != NULL)
		return hp_cfg_err(ctx, mark_of(seen, "secrets_file", item_mark),
				  KPATH("secrets_file"), "give secrets or secrets_file, not both");
	for (k = 0; k < hp_cfg_endpoint_schema.n_keys; k++) {
		const char *p = hp_cfg_endpoint_schema.keys[k].path;

		if (!seen[k].set)
			continue;
		if (strncmp(p, "hmac.", 5) == 0 && prov != HP_PROV_HMAC)
			return hp_cfg_err(ctx, &seen[k].key_mark, KPATH(p),
					  "only for provider hmac (provider is %s)", ep->provider);
		if (strcmp(p, "allow_sha1") == 0 && prov != HP_PROV_GITHUB)
			return hp_cfg_err(ctx, &seen[k].key_mark, KPATH(p),
					  "only for provider github (provider is %s)",
					  ep->provider);
		if (strcmp(p, "url_base") == 0 && prov != HP_PROV_TWILIO)
			return hp_cfg_err(ctx, &seen[k].key_mark, KPATH(p),
					  "only for provider twilio (provider is %s)",
					  ep->provider);
		if ((strcmp(p, "secrets") == 0 || strcmp(p, "secrets_file") == 0) &&
		    prov == HP_PROV_NONE)
			return hp_cfg_err(ctx, &seen[k].key_mark, KPATH(p),
					  "provider none verifies nothing and takes no secrets");
	}
	if (prov == HP_PROV_HMAC && ep->hmac.header[0] == '\0')
		return hp_cfg_err(ctx, mark_of(seen, "hmac", item_mark), KPATH("hmac.header"),
				  "required for provider hmac");
	if (ep->url_base[0] != '\0' && strncmp(ep->url_base, "http://", 7) != 0 &&
	    strncmp(ep->url_base, "https://", 8) != 0)
		return hp_cfg_err(ctx, mark_of(seen, "url_base", item_mark), KPATH("url_base"),
				  "must start with http:// or https://");
	if (ep->secrets_file[0] != '\0') {
		rc = cfg_read_secrets_file(ctx, mark_of(seen, "secrets_file", item_mark),
					   KPATH("secrets_file"), ep);
		if (rc < 0)
			return rc;
	}
	if (prov != HP_PROV_NONE && ep->n_secrets == 0)
		return hp_cfg_err(ctx, item_mark, KPATH("secrets"),
				  "provider %s needs secrets or secrets_file", ep->provider);

	/* the scheme itself judges the secrets (encoding, key type) and the hmac template */
	hp_endpoint_verify_spec(ep, &spec);
	verr[0] = '\0';
	rc = hp_verifier_create(&spec, &v, verr, sizeof(verr));
	hp_verifier_free(v);
	if (rc != 0) {
		const char *where = ep->secrets_file[0] ? "secrets_file" : "secrets";

		/* the scheme may quote what it refused (a template): one line, printable */
		for (char *c = verr; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
				*c = '?';

		if (strncmp(verr, "hmac", 4) == 0 || strncmp(verr, "template", 8) == 0)
			where = "hmac";
		else if (strncmp(verr, "url_base", 8) == 0)
			where = "url_base";
		return hp_cfg_err(ctx, mark_of(seen, where, item_mark), KPATH(where), "%s",
				  verr[0] ? verr : "refused by the provider's scheme");
	}
#undef KPATH
	/* the generic provider's default replay key is its id header when it has one */
	if (prov == HP_PROV_HMAC && ep->dedup_key[0] == '\0')
		snprintf(ep->dedup_key, sizeof(ep->dedup_key), "%s%s",
			 ep->hmac.id_header[0] ? "header:" : "body_hash", ep->hmac.id_header);
	return 0;
}

/* ---- the list ---- */

static void
cfg_endpoint_defaults(struct hp_endpoint_config *ep)
{
	memset(ep, 0, sizeof(*ep));
	hp_cfg_apply_defaults(&hp_cfg_endpoint_schema, ep);
	strcpy(ep->path_prefix, "/");
	strcpy(ep->hmac.template_, "{body}");
	ep->ml_threshold = 0.9f;
}

int
hp_cfg_parse_endpoints(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
		       void *base, const char *dpath)
{
	struct hp_config *cfg = base;
	struct hp_cfg_seen *seen = NULL;
	struct hp_endpoint_config *eps = NULL;
	char ipath[HP_CFG_PATH_MAX + 16], desc[96];
	yaml_node_item_t *it;
	size_t n;
	uint32_t i = 0;
	int rc = 0;

	(void)key;
	if (node->type != YAML_SEQUENCE_NODE)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must be a list of endpoint mappings, got %s",
				  hp_cfg_node_desc(node, desc, sizeof(desc)));
	n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (n > HP_CFG_MAX_ENDPOINTS) {
		yaml_node_t *el = yaml_document_get_node(
			ctx->doc, node->data.sequence.items.start[HP_CFG_MAX_ENDPOINTS]);

		snprintf(ipath, sizeof(ipath), "%s[%d]", dpath, HP_CFG_MAX_ENDPOINTS);
		return hp_cfg_err(ctx, el != NULL ? &el->start_mark : &node->start_mark, ipath,
				  "too many endpoints: at most %d", HP_CFG_MAX_ENDPOINTS);
	}
	if (n == 0)
		return 0;
	eps = calloc(n, sizeof(*eps));
	seen = calloc(hp_cfg_endpoint_schema.n_keys, sizeof(*seen));
	if (eps == NULL || seen == NULL) {
		rc = hp_cfg_err(ctx, &node->start_mark, dpath, "out of memory");
		goto out;
	}
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++, i++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, *it);

		snprintf(ipath, sizeof(ipath), "%s[%u]", dpath, i);
		if (item == NULL || item->type != YAML_MAPPING_NODE) {
			rc = hp_cfg_err(ctx, item != NULL ? &item->start_mark : &node->start_mark,
					ipath,
					"must be a mapping (name, match, provider, ...), got %s",
					item != NULL ? hp_cfg_node_desc(item, desc, sizeof(desc))
						     : "nothing");
			goto out;
		}
		cfg_endpoint_defaults(&eps[i]);
		memset(seen, 0, hp_cfg_endpoint_schema.n_keys * sizeof(*seen));
		rc = hp_cfg_walk_map(ctx, &hp_cfg_endpoint_schema, &eps[i], seen, item, "", ipath);
		if (rc == 0)
			rc = cfg_endpoint_check(ctx, eps, i, seen, &item->start_mark, ipath);
		if (rc < 0)
			goto out;
		if (ctx->ep_marks != NULL) {
			const struct hp_cfg_seen *mb =
				hp_cfg_seen_get(&hp_cfg_endpoint_schema, seen, "max_body");
			const struct hp_cfg_seen *pp =
				hp_cfg_seen_get(&hp_cfg_endpoint_schema, seen, "pii.policy");

			ctx->ep_marks[i].max_body = mb != NULL ? mb->value_mark : item->start_mark;
			ctx->ep_marks[i].pii_policy =
				pp != NULL ? pp->value_mark : item->start_mark;
		}
	}
	cfg->endpoints = eps;
	cfg->n_endpoints = (uint32_t)n;
	eps = NULL;
out:
	if (eps != NULL) {
		explicit_bzero(eps, n * sizeof(*eps));
		free(eps);
	}
	free(seen);
	return rc;
}

int
hp_cfg_check_endpoints(struct hp_cfg_ctx *ctx, struct hp_config *cfg,
		       const struct hp_cfg_seen *seen)
{
	uint32_t i;

	(void)seen;
	for (i = 0; i < cfg->n_endpoints; i++) {
		const struct hp_endpoint_config *ep = &cfg->endpoints[i];
		char kpath[HP_CFG_PATH_MAX];

		if (ep->token_header[0] != '\0' && cfg->tokens.redis_url[0] == '\0' &&
		    cfg->tokens.pg_dsn[0] == '\0') {
			snprintf(kpath, sizeof(kpath), "endpoints[%u].token.header", i);
			return hp_cfg_err(ctx, &ctx->root_mark, kpath,
					  "needs tokens.redis_url or tokens.postgres_dsn: where "
					  "tokens are looked up");
		}
		if (ep->token_prefix[0] != '\0' && ep->token_header[0] == '\0') {
			snprintf(kpath, sizeof(kpath), "endpoints[%u].token.prefix", i);
			return hp_cfg_err(ctx, &ctx->root_mark, kpath, "only with token.header");
		}
		if (ep->max_body <= cfg->http.body_copy_max)
			continue;
		snprintf(kpath, sizeof(kpath), "endpoints[%u].max_body", i);
		return hp_cfg_err(
			ctx, ctx->ep_marks != NULL ? &ctx->ep_marks[i].max_body : &ctx->root_mark,
			kpath,
			"%u is more than http.body_copy_max %u: a body must be held whole "
			"to be verified; raise http.body_copy_max",
			ep->max_body, cfg->http.body_copy_max);
	}
	return 0;
}

void
hp_endpoint_verify_spec(const struct hp_endpoint_config *ep, struct hp_verify_spec *spec)
{
	enum hp_provider p = hp_provider_from_name(ep->provider);
	uint32_t i;

	memset(spec, 0, sizeof(*spec));
	spec->provider = p;
	spec->n_secrets = ep->n_secrets;
	for (i = 0; i < ep->n_secrets && i < HP_VERIFY_MAX_SECRETS; i++)
		spec->secrets[i] = ep->secrets[i];
	spec->tolerance_s = ep->tolerance_set ? ep->tolerance_s : hp_provider_default_tolerance(p);
	spec->allow_sha1 = ep->allow_sha1;
	spec->url_base = ep->url_base[0] ? ep->url_base : NULL;
	if (p == HP_PROV_HMAC) {
		struct hp_verify_generic *g = &spec->generic;

		snprintf(g->header, sizeof(g->header), "%s", ep->hmac.header);
		snprintf(g->prefix, sizeof(g->prefix), "%s", ep->hmac.prefix);
		g->alg = (enum hp_verify_alg)ep->hmac.algorithm;
		g->enc = (enum hp_verify_enc)ep->hmac.encoding;
		snprintf(g->template_, sizeof(g->template_), "%s", ep->hmac.template_);
		snprintf(g->timestamp_header, sizeof(g->timestamp_header), "%s",
			 ep->hmac.timestamp_header);
		snprintf(g->id_header, sizeof(g->id_header), "%s", ep->hmac.id_header);
		snprintf(g->secret_encoding, sizeof(g->secret_encoding), "%s",
			 secret_enc_names[ep->hmac.secret_encoding < 3 ? ep->hmac.secret_encoding
								       : 0]);
	}
}

const char *
hp_endpoint_dedup_key(const struct hp_endpoint_config *ep)
{
	if (ep->dedup_key[0] != '\0')
		return ep->dedup_key;
	return hp_provider_default_dedup(hp_provider_from_name(ep->provider));
}

uint32_t
hp_endpoint_tolerance(const struct hp_endpoint_config *ep)
{
	return ep->tolerance_set
		       ? ep->tolerance_s
		       : hp_provider_default_tolerance(hp_provider_from_name(ep->provider));
}

uint32_t
hp_endpoint_dedup_ttl(const struct hp_endpoint_config *ep)
{
	uint32_t tol;

	if (ep->dedup_ttl_s != 0)
		return ep->dedup_ttl_s;
	tol = hp_endpoint_tolerance(ep);
	return tol != 0 ? tol : 86400;
}

const struct hp_endpoint_config *
hp_config_endpoint(const struct hp_config *cfg, const char *name)
{
	uint32_t i;

	for (i = 0; i < cfg->n_endpoints; i++)
		if (strcmp(cfg->endpoints[i].name, name) == 0)
			return &cfg->endpoints[i];
	return NULL;
}

/* A number in [0, 1] ("0.9", "1", "0"), into a float. */
static int
cfg_parse_fraction(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
		   void *base, const char *dpath)
{
	char desc[96], buf[32], *end;
	double v;

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.length == 0 ||
	    node->data.scalar.length >= sizeof(buf))
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must be a number in [0, 1], got %s",
				  hp_cfg_node_desc(node, desc, sizeof(desc)));
	memcpy(buf, node->data.scalar.value, node->data.scalar.length);
	buf[node->data.scalar.length] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	if (errno != 0 || end == buf || *end != '\0' || !(v >= 0.0 && v <= 1.0))
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must be a number in [0, 1], got %s",
				  hp_cfg_node_desc(node, desc, sizeof(desc)));
	*(float *)((char *)base + key->offset) = (float)v;
	return 0;
}
