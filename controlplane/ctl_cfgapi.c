/* SPDX-License-Identifier: BSD-3-Clause
 * Configuration routes of the REST API: endpoints (list, add, replace, patch, delete), secret
 * rotation and the live limits.
 *
 * The running configuration is also kept as a JSON document (the config file read as YAML,
 * its endpoints' secrets_file replaced by the secrets loaded from it). A change edits a copy of
 * that document, and the copy goes through the same loader as the file (hp_config_load_buffer,
 * so every rule and every message is the file's), then through the checks that need the
 * running dataplane, then to hp_dp_swap_config (RCU). Any refusal is a 4xx naming the field,
 * and the running configuration stays as it was. Secrets are never returned: answers list
 * them as ids, a keyed hash (HMAC-SHA256 under a key drawn at start) cut to 12 hex digits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <yaml.h>

#include "ctl.h"
#include "ctl_api.h"
#include "dp.h"
#include "hp_config.h"

static json_t *doc;                    /* the running configuration */
static char cfg_path[HP_CFG_PATH_LEN]; /* the file it came from (reload) */
static uint8_t id_key[32];

/* The keys PATCH /v1/limits may change, as dotted paths of the document. */
static const char *const live_limits[] = {
	"dataplane.flows.timeout_syn_s",       "dataplane.flows.timeout_established_s",
	"dataplane.flows.timeout_closed_s",    "dataplane.reassembly.memcap_mb",
	"dataplane.reassembly.flow_memcap_kb", "dataplane.reassembly.flow_max_segs",
	"dataplane.reassembly.max_ooo_segs",   "pii.max_held_segments",
};

/* ---- YAML -> JSON ---- */

static json_t *
yaml_to_json(yaml_document_t *d, yaml_node_t *n)
{
	json_t *j = NULL;

	switch (n->type) {
	case YAML_SCALAR_NODE: {
		const char *v = (const char *)n->data.scalar.value;
		char *end;
		long long ll;

		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
			if (!strcmp(v, "true"))
				return json_true();
			if (!strcmp(v, "false"))
				return json_false();
			if (v[0] != '\0' && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9'))) {
				ll = strtoll(v, &end, 10);
				if (*end == '\0')
					return json_integer(ll);
			}
		}
		return json_stringn(v, n->data.scalar.length);
	}
	case YAML_SEQUENCE_NODE:
		j = json_array();
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     i < n->data.sequence.items.top; i++)
			json_array_append_new(j, yaml_to_json(d, yaml_document_get_node(d, *i)));
		return j;
	case YAML_MAPPING_NODE:
		j = json_object();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(d, p->key);

			if (k->type == YAML_SCALAR_NODE)
				json_object_set_new(
					j, (const char *)k->data.scalar.value,
					yaml_to_json(d, yaml_document_get_node(d, p->value)));
		}
		return j;
	default:
		return json_null();
	}
}

/* The configuration file as a JSON document, its endpoints' secrets_file replaced by the
 * secrets cfg loaded from it (a relative path would not resolve again); NULL with a message. */
static json_t *
file_doc(const char *path, const struct hp_config *cfg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	yaml_parser_t parser;
	yaml_document_t d;
	yaml_node_t *root;
	json_t *eps, *ep, *nd;
	size_t i;

	if (f == NULL || !yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: cannot read it again", path);
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &d)) {
		yaml_parser_delete(&parser);
		fclose(f);
		snprintf(err, errlen, "%s: cannot read it again", path);
		return NULL;
	}
	root = yaml_document_get_root_node(&d);
	nd = root != NULL ? yaml_to_json(&d, root) : json_object();
	yaml_document_delete(&d);
	yaml_parser_delete(&parser);
	fclose(f);
	if (!json_is_object(nd)) {
		json_decref(nd);
		nd = json_object();
	}
	eps = json_object_get(nd, "endpoints");
	json_array_foreach(eps, i, ep)
	{
		if (i < cfg->n_endpoints && json_object_get(ep, "secrets_file") != NULL) {
			json_t *a = json_array();

			for (uint32_t k = 0; k < cfg->endpoints[i].n_secrets; k++)
				json_array_append_new(a, json_string(cfg->endpoints[i].secrets[k]));
			json_object_del(ep, "secrets_file");
			json_object_set_new(ep, "secrets", a);
		}
	}
	return nd;
}

int
hp_ctl_cfgapi_init(const char *path, const struct hp_config *cfg, char *err, size_t errlen)
{
	doc = file_doc(path, cfg, err, errlen);
	if (doc == NULL)
		return -1;
	snprintf(cfg_path, sizeof(cfg_path), "%s", path);
	if (RAND_bytes(id_key, sizeof(id_key)) != 1) {
		snprintf(err, errlen, "cannot draw the secret id key");
		return -1;
	}
	return 0;
}

void
hp_ctl_cfgapi_fini(void)
{
	json_decref(doc); /* jansson does not wipe: the strings were never logged */
	doc = NULL;
	explicit_bzero(id_key, sizeof(id_key));
}

/* ---- helpers ---- */

static void
secret_id(const char *secret, char out[13])
{
	uint8_t md[32];
	size_t n = 0;
	static const char hex[] = "0123456789abcdef";

	EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, id_key, sizeof(id_key),
		  (const unsigned char *)secret, strlen(secret), md, sizeof(md), &n);
	for (int i = 0; i < 6; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[12] = '\0';
	explicit_bzero(md, sizeof(md));
}

/* The endpoint as answered: secrets replaced by their ids. */
static json_t *
ep_public(const json_t *ep)
{
	json_t *o = json_deep_copy(ep), *sec = json_object_get(o, "secrets"), *ids = json_array();
	size_t i;
	json_t *s;

	json_array_foreach(sec, i, s) if (json_is_string(s))
	{
		char id[13];

		secret_id(json_string_value(s), id);
		json_array_append_new(ids, json_pack("{s:s}", "id", id));
	}
	if (sec != NULL)
		json_object_set_new(o, "secrets", ids);
	else
		json_decref(ids);
	return o;
}

static json_t *
doc_endpoints(json_t *d)
{
	json_t *eps = json_object_get(d, "endpoints");

	if (!json_is_array(eps)) {
		eps = json_array();
		json_object_set_new(d, "endpoints", eps);
	}
	return eps;
}

static ssize_t
ep_find(json_t *eps, const char *name)
{
	size_t i;
	json_t *ep;

	json_array_foreach(eps, i, ep)
	{
		const char *n = json_string_value(json_object_get(ep, "name"));

		if (n != NULL && !strcmp(n, name))
			return (ssize_t)i;
	}
	return -1;
}

/* Load and apply a changed document; on success it becomes the running one. 0, or the HTTP
 * status of the refusal with the field (may be "") and the message. */
static int
apply_doc(json_t *nd, char *field, size_t flen, char *err, size_t errlen)
{
	char *text = json_dumps(nd, JSON_COMPACT);
	char msg[768];
	struct hp_config *cfg = calloc(1, sizeof(*cfg));
	int ret;

	field[0] = '\0';
	if (text == NULL || cfg == NULL) {
		free(text);
		free(cfg);
		snprintf(err, errlen, "out of memory");
		return 500;
	}
	ret = hp_config_load_buffer("api", text, strlen(text), cfg, msg, sizeof(msg));
	explicit_bzero(text, strlen(text));
	free(text);
	if (ret != 0) {
		/* "api:L:C: key.path: message": the position means nothing to the client */
		const char *p = msg, *sep;

		if (!strncmp(p, "api:", 4)) {
			p += 4;
			while (*p && *p != ' ')
				p++;
			while (*p == ' ')
				p++;
		}
		sep = strstr(p, ": ");
		if (sep != NULL && memchr(p, ' ', (size_t)(sep - p)) == NULL) {
			snprintf(field, flen, "%.*s", (int)(sep - p), p);
			snprintf(err, errlen, "%s", sep + 2);
		} else {
			snprintf(err, errlen, "%s", p);
		}
		free(cfg);
		return 400;
	}
	if (hp_dp_check_limits(cfg, field, flen, err, errlen) != 0) {
		hp_config_free(cfg);
		free(cfg);
		return 400;
	}
	ret = hp_dp_swap_config(cfg, err, errlen); /* takes cfg, also on failure */
	if (ret != 0)
		return ret == -EBUSY ? 503 : 500;
	json_decref(doc);
	doc = json_incref(nd);
	return 0;
}

/* apply_doc for a request: the refusal answered. epi: the index of the endpoint the request
 * is about (its "endpoints[i]." prefix is cut from the field), or -1. */
static bool
apply(json_t *nd, ssize_t epi, struct api_reply *r)
{
	char err[768], field[160], prefix[32];
	int st = apply_doc(nd, field, sizeof(field), err, sizeof(err));

	if (st == 0)
		return true;
	snprintf(prefix, sizeof(prefix), "endpoints[%zd].", epi);
	if (epi >= 0 && !strncmp(field, prefix, strlen(prefix)))
		memmove(field, field + strlen(prefix), strlen(field) - strlen(prefix) + 1);
	hp_api_error(r, (unsigned int)st, field[0] ? field : NULL, "%s", err);
	return false;
}

/* Delete a dotted path from a document, if there. */
static void
del_path(json_t *d, const char *path)
{
	char buf[128], *dot;
	json_t *o = d;
	const char *k = buf;

	snprintf(buf, sizeof(buf), "%s", path);
	while ((dot = strchr(k, '.')) != NULL && json_is_object(o)) {
		*dot = '\0';
		o = json_object_get(o, k);
		k = dot + 1;
	}
	if (json_is_object(o))
		json_object_del(o, k);
}

/* The first dotted key where two documents differ, into out. */
static void
first_diff(json_t *a, json_t *b, const char *at, char *out, size_t len)
{
	const char *k;
	json_t *v;
	char sub[256];

	if (json_is_object(a) && json_is_object(b)) {
		json_object_foreach(a, k, v)
		{
			snprintf(sub, sizeof(sub), "%s%s%s", at, at[0] ? "." : "", k);
			if (!json_equal(v, json_object_get(b, k))) {
				first_diff(v, json_object_get(b, k), sub, out, len);
				return;
			}
		}
		json_object_foreach(b, k, v)
		{
			if (json_object_get(a, k) == NULL) {
				snprintf(out, len, "%s%s%s", at, at[0] ? "." : "", k);
				return;
			}
		}
	}
	snprintf(out, len, "%s", at[0] ? at : "(the whole file)");
}

int
hp_ctl_cfgapi_reload(char *field, size_t flen, char *err, size_t errlen)
{
	struct hp_config *cfg = calloc(1, sizeof(*cfg));
	json_t *nd, *a, *b;
	int st;

	field[0] = '\0';
	if (cfg == NULL) {
		snprintf(err, errlen, "out of memory");
		return 500;
	}
	/* the file through the loader, as at start: its own messages, with line and column */
	if (hp_config_load_file(cfg_path, cfg, err, errlen) != 0) {
		free(cfg);
		return 400;
	}
	nd = file_doc(cfg_path, cfg, err, errlen);
	hp_config_free(cfg);
	free(cfg);
	if (nd == NULL)
		return 400;
	/* what changes live: the endpoints and the live limits; anything else needs a restart,
	 * and a reload that changes it is refused whole */
	a = json_deep_copy(doc);
	b = json_deep_copy(nd);
	json_object_del(a, "endpoints");
	json_object_del(b, "endpoints");
	for (size_t i = 0; i < sizeof(live_limits) / sizeof(live_limits[0]); i++) {
		del_path(a, live_limits[i]);
		del_path(b, live_limits[i]);
	}
	if (!json_equal(a, b)) {
		first_diff(a, b, "", field, flen);
		snprintf(err, errlen,
			 "changed in %s; it takes effect at a restart, not a reload (nothing of "
			 "this reload was applied)",
			 cfg_path);
		json_decref(a);
		json_decref(b);
		json_decref(nd);
		return 409;
	}
	json_decref(a);
	json_decref(b);
	st = apply_doc(nd, field, flen, err, errlen);
	json_decref(nd);
	return st;
}

static void
reload_post(const struct hp_api_req *q, struct api_reply *r)
{
	char err[768], field[160];
	int st;

	(void)q;
	st = hp_ctl_cfgapi_reload(field, sizeof(field), err, sizeof(err));
	if (st != 0) {
		hp_api_error(r, (unsigned int)st, field[0] ? field : NULL, "%s", err);
		return;
	}
	hp_api_json(r, 200,
		    json_pack("{s:b,s:s,s:I}", "reloaded", 1, "file", cfg_path, "endpoints",
			      (json_int_t)json_array_size(json_object_get(doc, "endpoints"))));
}

/* The request body as a JSON object, or an answered error. */
static json_t *
body_object(const char *body, size_t len, struct api_reply *r)
{
	json_error_t e;
	json_t *j;

	if (body == NULL || len == 0) {
		hp_api_error(r, 400, NULL, "a JSON object body is required");
		return NULL;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL) {
		hp_api_error(r, 400, NULL, "malformed JSON at line %d column %d: %s", e.line,
			     e.column, e.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		hp_api_error(r, 400, NULL, "the body must be a JSON object");
		json_decref(j);
		return NULL;
	}
	return j;
}

/* ---- routes ---- */

static void
ep_list(const struct hp_api_req *q, struct api_reply *r)
{
	json_t *out = json_array(), *ep;
	size_t i;

	(void)q;
	json_array_foreach(doc_endpoints(doc), i, ep) json_array_append_new(out, ep_public(ep));
	hp_api_json(r, 200, json_pack("{s:o}", "endpoints", out));
}

static void
ep_add(const struct hp_api_req *q, struct api_reply *r)
{
	json_t *b = body_object(q->body, q->len, r), *nd, *eps;
	const char *name;

	if (b == NULL)
		return;
	name = json_string_value(json_object_get(b, "name"));
	if (name == NULL) {
		hp_api_error(r, 400, "name", "a string is required");
	} else if (ep_find(doc_endpoints(doc), name) >= 0) {
		hp_api_error(r, 409, "name", "endpoint \"%s\" exists (PUT or PATCH it)", name);
	} else {
		nd = json_deep_copy(doc);
		eps = doc_endpoints(nd);
		json_array_append(eps, b);
		if (apply(nd, (ssize_t)json_array_size(eps) - 1, r))
			hp_api_json(r, 201, ep_public(b));
		json_decref(nd);
	}
	json_decref(b);
}

static void
ep_get(const struct hp_api_req *q, struct api_reply *r)
{
	const char *name = q->var[0];
	ssize_t i = ep_find(doc_endpoints(doc), name);

	if (i < 0)
		hp_api_error(r, 404, NULL, "no endpoint \"%s\"", name);
	else
		hp_api_json(r, 200, ep_public(json_array_get(doc_endpoints(doc), (size_t)i)));
}

static void
ep_put(const char *name, const char *body, size_t len, bool patch, struct api_reply *r)
{
	json_t *b = body_object(body, len, r), *nd, *eps, *cur, *k;
	ssize_t i;
	const char *key;
	void *tmp;

	if (b == NULL)
		return;
	i = ep_find(doc_endpoints(doc), name);
	if (i < 0) {
		hp_api_error(r, 404, NULL, "no endpoint \"%s\"", name);
		json_decref(b);
		return;
	}
	k = json_object_get(b, "name");
	if (k != NULL && (!json_is_string(k) || strcmp(json_string_value(k), name) != 0)) {
		hp_api_error(r, 400, "name", "cannot be changed (delete and add the endpoint)");
		json_decref(b);
		return;
	}
	if (patch && json_object_get(b, "secrets") != NULL) {
		hp_api_error(r, 400, "secrets",
			     "use POST /v1/endpoints/%s/secrets and DELETE "
			     "/v1/endpoints/%s/secrets/{id}",
			     name, name);
		json_decref(b);
		return;
	}
	nd = json_deep_copy(doc);
	eps = doc_endpoints(nd);
	cur = json_array_get(eps, (size_t)i);
	if (patch) {
		json_object_foreach_safe(b, tmp, key, k)
		{
			json_t *old = json_object_get(cur, key);

			if (json_is_object(old) && json_is_object(k))
				json_object_update(old, k);
			else
				json_object_set(cur, key, k);
		}
	} else {
		json_t *ne = json_deep_copy(b);

		json_object_set_new(ne, "name", json_string(name));
		if (json_object_get(ne, "secrets") == NULL && json_object_get(cur, "secrets"))
			json_object_set(ne, "secrets", json_object_get(cur, "secrets"));
		json_array_set_new(eps, (size_t)i, ne);
		cur = ne;
	}
	if (apply(nd, i, r))
		hp_api_json(r, 200, ep_public(cur));
	json_decref(nd);
	json_decref(b);
}

static void
ep_replace(const struct hp_api_req *q, struct api_reply *r)
{
	ep_put(q->var[0], q->body, q->len, false, r);
}

static void
ep_patch(const struct hp_api_req *q, struct api_reply *r)
{
	ep_put(q->var[0], q->body, q->len, true, r);
}

static void
ep_delete(const struct hp_api_req *q, struct api_reply *r)
{
	const char *name = q->var[0];
	ssize_t i = ep_find(doc_endpoints(doc), name);
	json_t *nd;

	if (i < 0) {
		hp_api_error(r, 404, NULL, "no endpoint \"%s\"", name);
		return;
	}
	nd = json_deep_copy(doc);
	json_array_remove(doc_endpoints(nd), (size_t)i);
	if (apply(nd, -1, r))
		hp_api_json(r, 200, json_pack("{s:s}", "deleted", name));
	json_decref(nd);
}

static void
secret_add(const struct hp_api_req *q, struct api_reply *r)
{
	const char *name = q->var[0];
	json_t *b = body_object(q->body, q->len, r), *nd, *ep, *sec, *s;
	ssize_t i;
	void *tmp;
	const char *key;
	json_t *v;

	if (b == NULL)
		return;
	json_object_foreach_safe(b, tmp, key, v) if (strcmp(key, "secret") != 0)
	{
		hp_api_error(r, 400, key, "unknown field (only \"secret\")");
		json_decref(b);
		return;
	}
	s = json_object_get(b, "secret");
	i = ep_find(doc_endpoints(doc), name);
	if (!json_is_string(s) || json_string_length(s) == 0) {
		hp_api_error(r, 400, "secret", "a non-empty string is required");
	} else if (i < 0) {
		hp_api_error(r, 404, NULL, "no endpoint \"%s\"", name);
	} else {
		char id[13];

		nd = json_deep_copy(doc);
		ep = json_array_get(doc_endpoints(nd), (size_t)i);
		sec = json_object_get(ep, "secrets");
		if (!json_is_array(sec)) {
			sec = json_array();
			json_object_set_new(ep, "secrets", sec);
		}
		json_array_append(sec, s);
		secret_id(json_string_value(s), id);
		if (apply(nd, i, r))
			hp_api_json(r, 201, json_pack("{s:s}", "id", id));
		json_decref(nd);
	}
	json_decref(b);
}

static void
secret_retire(const struct hp_api_req *q, struct api_reply *r)
{
	const char *name = q->var[0], *id = q->var[1];
	ssize_t i = ep_find(doc_endpoints(doc), name);
	json_t *nd, *sec, *s;
	size_t k;

	if (i < 0) {
		hp_api_error(r, 404, NULL, "no endpoint \"%s\"", name);
		return;
	}
	nd = json_deep_copy(doc);
	sec = json_object_get(json_array_get(doc_endpoints(nd), (size_t)i), "secrets");
	json_array_foreach(sec, k, s)
	{
		char sid[13];

		secret_id(json_string_value(s), sid);
		if (strcmp(sid, id) != 0)
			continue;
		if (json_array_size(sec) == 1) {
			hp_api_error(r, 409, "secrets",
				     "%s is the endpoint's last secret: add the "
				     "new one first",
				     id);
		} else {
			json_array_remove(sec, k);
			if (apply(nd, i, r))
				hp_api_json(r, 200, json_pack("{s:s}", "retired", id));
		}
		json_decref(nd);
		return;
	}
	json_decref(nd);
	hp_api_error(r, 404, NULL, "endpoint \"%s\" has no secret %s", name, id);
}

static const json_t *
cfg_get_path(json_t *d, const char *path, json_t **parent, char *last, size_t lastlen, bool create)
{
	char buf[128], *save = NULL, *tok, *next;
	json_t *cur = d;

	snprintf(buf, sizeof(buf), "%s", path);
	tok = strtok_r(buf, ".", &save);
	while (tok != NULL) {
		next = strtok_r(NULL, ".", &save);
		if (next == NULL) {
			*parent = cur;
			snprintf(last, lastlen, "%s", tok);
			return json_object_get(cur, tok);
		}
		json_t *child = json_object_get(cur, tok);

		if (!json_is_object(child)) {
			if (!create)
				return NULL;
			child = json_object();
			json_object_set_new(cur, tok, child);
		}
		cur = child;
		tok = next;
	}
	return NULL;
}

/* The current value of a live limit (from the loaded configuration, defaults included). */
static json_int_t
limit_value(const char *key)
{
	const struct hp_config *c = hp_dp_config();

	if (!strcmp(key, "dataplane.flows.timeout_syn_s"))
		return c->dataplane.flows.timeout_syn_s;
	if (!strcmp(key, "dataplane.flows.timeout_established_s"))
		return c->dataplane.flows.timeout_established_s;
	if (!strcmp(key, "dataplane.flows.timeout_closed_s"))
		return c->dataplane.flows.timeout_closed_s;
	if (!strcmp(key, "dataplane.reassembly.memcap_mb"))
		return c->dataplane.reassembly.memcap_mb;
	if (!strcmp(key, "dataplane.reassembly.flow_memcap_kb"))
		return c->dataplane.reassembly.flow_memcap_kb;
	if (!strcmp(key, "dataplane.reassembly.flow_max_segs"))
		return c->dataplane.reassembly.flow_max_segs;
	if (!strcmp(key, "dataplane.reassembly.max_ooo_segs"))
		return c->dataplane.reassembly.max_ooo_segs;
	return c->pii.max_held_segments;
}

static void
limits_answer(struct api_reply *r)
{
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(live_limits) / sizeof(live_limits[0]); i++)
		json_object_set_new(o, live_limits[i], json_integer(limit_value(live_limits[i])));
	hp_api_json(r, 200, o);
}

static void
limits_get(const struct hp_api_req *q, struct api_reply *r)
{
	(void)q;
	limits_answer(r);
}

static void
limits_patch(const struct hp_api_req *q, struct api_reply *r)
{
	json_t *b = body_object(q->body, q->len, r), *nd, *v;
	const char *key;
	void *tmp;

	if (b == NULL)
		return;
	json_object_foreach_safe(b, tmp, key, v)
	{
		size_t i;

		for (i = 0; i < sizeof(live_limits) / sizeof(live_limits[0]); i++)
			if (!strcmp(key, live_limits[i]))
				break;
		if (i == sizeof(live_limits) / sizeof(live_limits[0])) {
			hp_api_error(r, 400, key,
				     "not a limit that can change live (GET /v1/limits "
				     "lists them)");
			json_decref(b);
			return;
		}
		if (!json_is_integer(v)) {
			hp_api_error(r, 400, key, "must be an integer");
			json_decref(b);
			return;
		}
	}
	nd = json_deep_copy(doc);
	json_object_foreach_safe(b, tmp, key, v)
	{
		json_t *parent = NULL;
		char last[64];

		cfg_get_path(nd, key, &parent, last, sizeof(last), true);
		json_object_set(parent, last, v);
	}
	if (apply(nd, -1, r))
		limits_answer(r);
	json_decref(nd);
	json_decref(b);
}

/* Walked by ctl_api.c's dispatch, after its built-in routes; handed over only once the
 * document is loaded (hp_ctl_cfgapi_init), so no handler finds it NULL. */
static const struct hp_api_route cfg_routes[] = {
	{"GET", "/v1/limits", limits_get},
	{"PATCH", "/v1/limits", limits_patch},
	{"GET", "/v1/endpoints", ep_list},
	{"POST", "/v1/endpoints", ep_add},
	{"GET", "/v1/endpoints/{name}", ep_get},
	{"PUT", "/v1/endpoints/{name}", ep_replace},
	{"PATCH", "/v1/endpoints/{name}", ep_patch},
	{"DELETE", "/v1/endpoints/{name}", ep_delete},
	{"POST", "/v1/endpoints/{name}/secrets", secret_add},
	{"DELETE", "/v1/endpoints/{name}/secrets/{id}", secret_retire},
	{"POST", "/v1/reload", reload_post},
};

const struct hp_api_ops hp_cfgapi_ops = {
	.routes = cfg_routes,
	.n_routes = sizeof(cfg_routes) / sizeof(cfg_routes[0]),
};
