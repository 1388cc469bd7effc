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
 * them as ids, a keyed hash (HMAC-SHA256 under the state file's key, so an id stays the same
 * across restarts) cut to 12 hex digits.
 *
 * Every accepted change is written to the state file (ctl_state.h) before it is answered (a
 * change that cannot be kept is undone: 500), and read back at the next start. A secret may
 * carry a not_after: the control loop retires it at that time (hp_ctl_cfgapi_tick) like a
 * DELETE of it, kept as well.
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
#include "ctl_state.h"
#include "dp.h"
#include "dp_log.h"
#include "hp_config.h"

static json_t *doc;                    /* the running configuration */
static char cfg_path[HP_CFG_PATH_LEN]; /* the file it came from (reload) */
static struct hp_state state;          /* the API's changes kept, the secret id key */
static char file_hash[65];             /* the file's endpoints and limits as last read */
static char instance[64];
static int64_t next_expiry; /* the earliest not_after of a running secret, 0: none */

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

/* ---- the live part: what the API changes (endpoints, live limits) ---- */

static const json_t *cfg_get_path(json_t *d, const char *path, json_t **parent, char *last,
				  size_t lastlen, bool create);

static json_t *
live_part(json_t *d)
{
	json_t *eps = json_object_get(d, "endpoints"), *lim = json_object();

	for (size_t i = 0; i < sizeof(live_limits) / sizeof(live_limits[0]); i++) {
		json_t *parent = NULL;
		char last[64];
		const json_t *v =
			cfg_get_path(d, live_limits[i], &parent, last, sizeof(last), false);

		if (v != NULL)
			json_object_set_new(lim, live_limits[i], json_deep_copy(v));
	}
	return json_pack("{s:o,s:o}", "endpoints",
			 json_is_array(eps) ? json_deep_copy(eps) : json_array(), "limits", lim);
}

/* SHA-256 of the live part (keys sorted), hex. */
static void
live_hash(json_t *d, char out[65])
{
	json_t *l = live_part(d);
	char *text = json_dumps(l, JSON_COMPACT | JSON_SORT_KEYS);
	uint8_t md[32];
	unsigned int n = 0;

	json_decref(l);
	EVP_Digest(text != NULL ? text : "", text != NULL ? strlen(text) : 0, md, &n, EVP_sha256(),
		   NULL);
	if (text != NULL) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void del_path(json_t *d, const char *path);

/* d's endpoints and live limits become live's. */
static void
put_live(json_t *d, json_t *live)
{
	const char *key;
	json_t *v;

	json_object_set_new(d, "endpoints", json_deep_copy(json_object_get(live, "endpoints")));
	for (size_t i = 0; i < sizeof(live_limits) / sizeof(live_limits[0]); i++)
		del_path(d, live_limits[i]);
	json_object_foreach(json_object_get(live, "limits"), key, v)
	{
		json_t *parent = NULL;
		char last[64];

		cfg_get_path(d, key, &parent, last, sizeof(last), true);
		if (parent != NULL)
			json_object_set(parent, last, v);
	}
}

/* A secret of the document: a string, or {secret, not_after}. */
static const char *
secret_str(const json_t *s)
{
	return json_is_string(s) ? json_string_value(s)
				 : json_string_value(json_object_get(s, "secret"));
}

/* The not_after of a secret (Unix seconds), 0: none or unreadable (the loader refuses it). */
static int64_t
secret_end(const json_t *s)
{
	const json_t *na = json_object_get(s, "not_after");
	int64_t t = 0;

	if (json_is_integer(na))
		return json_integer_value(na);
	if (json_is_string(na) && hp_cfg_parse_time(json_string_value(na), &t) == 0)
		return t;
	return 0;
}

static void secret_id(const char *secret, char out[13]);

/* Remove from d the secrets whose not_after is past (logged), and set next_expiry to the
 * earliest of those left. Returns how many went. */
static unsigned int
prune_expired(json_t *d, int64_t now, bool log)
{
	json_t *ep, *sec;
	size_t i;
	unsigned int n = 0;
	int64_t next = 0;

	json_array_foreach(json_object_get(d, "endpoints"), i, ep)
	{
		sec = json_object_get(ep, "secrets");
		for (size_t k = 0; k < json_array_size(sec);) {
			json_t *s = json_array_get(sec, k);
			int64_t end = secret_end(s);

			if (end != 0 && end <= now && json_array_size(sec) > 1) {
				if (log) {
					char id[13], at[32];

					secret_id(secret_str(s), id);
					hp_state_time(end, at, sizeof(at));
					HP_LOG(NOTICE,
					       "endpoint %s: secret %s retired: its not_after %s "
					       "passed\n",
					       json_string_value(json_object_get(ep, "name")), id,
					       at);
				}
				json_array_remove(sec, k);
				n++;
				continue;
			}
			if (end != 0 && (next == 0 || end < next))
				next = end;
			k++;
		}
	}
	next_expiry = next;
	return n;
}

static const char *
state_path(const struct hp_config *cfg, char *buf, size_t len)
{
	const char *p = cfg->control.state_file;

	if (!strcmp(p, "none"))
		return "";
	if (p[0] != '\0')
		return p;
	snprintf(buf, len, "/var/lib/hookpath/state/%s.json", instance);
	return buf;
}

/* The configuration file's endpoints or limits were edited since the API's kept changes: the
 * file wins, those changes are set aside in <state>.old (logged) and dropped. 0, or -1 when
 * the state file could not be kept aside (they are dropped all the same). */
static int
file_wins(char *err, size_t errlen)
{
	int rc = hp_state_set_aside(&state, err, errlen);

	if (rc == 0)
		HP_LOG(WARNING,
		       "control.state_file: %s: the endpoints or limits of %s changed since the "
		       "API's changes of %s: the file wins; those are kept in %s.old\n",
		       state.path, cfg_path, state.changed_at, state.path);
	json_decref(state.live);
	state.live = NULL;
	state.changed_at[0] = '\0';
	return rc;
}

int
hp_ctl_cfgapi_init(const char *path, struct hp_config *cfg, char *err, size_t errlen)
{
	char sp[HP_CFG_PATH_LEN], msg[640];
	json_t *nd;
	bool changed = false;

	doc = file_doc(path, cfg, err, errlen);
	if (doc == NULL)
		return -1;
	snprintf(cfg_path, sizeof(cfg_path), "%s", path);
	hp_ctl_instance(cfg, instance, sizeof(instance));
	live_hash(doc, file_hash);
	if (hp_state_load(&state, state_path(cfg, sp, sizeof(sp)), instance, err, errlen) != 0)
		return -1;
	nd = json_deep_copy(doc);
	if (state.live != NULL && !strcmp(state.file_hash, file_hash)) {
		put_live(nd, state.live);
		changed = true;
		HP_LOG(NOTICE,
		       "control.state_file: %s: the API's endpoints and limits of %s kept over "
		       "those of %s\n",
		       state.path, state.changed_at, path);
	} else if (state.live != NULL && file_wins(err, errlen) != 0) {
		return -1;
	}
	if (strcmp(state.file_hash, file_hash) != 0) {
		snprintf(state.file_hash, sizeof(state.file_hash), "%s", file_hash);
		if (!state.unsaved && hp_state_save(&state, instance, cfg_path, err, errlen) != 0)
			return -1;
	}
	if (prune_expired(nd, (int64_t)time(NULL), true) != 0)
		changed = true;
	if (changed) {
		/* the running configuration is the file with the kept changes: loaded as an API
		 * change is, before the dataplane starts */
		struct hp_config *nc = calloc(1, sizeof(*nc));
		char *text = json_dumps(nd, JSON_COMPACT);
		int rc = nc != NULL && text != NULL
				 ? hp_config_load_buffer("state", text, strlen(text), nc, msg,
							 sizeof(msg))
				 : -1;

		if (text != NULL) {
			explicit_bzero(text, strlen(text));
			free(text);
		}
		if (rc != 0) {
			snprintf(err, errlen,
				 "control.state_file: %s: the API's endpoints and limits do not "
				 "load with %s: %s; move the state file away to start from the "
				 "file alone",
				 state.path, path, nc != NULL ? msg : "out of memory");
			free(nc);
			json_decref(nd);
			return -1;
		}
		hp_config_free(cfg);
		memcpy(cfg, nc, sizeof(*cfg));
		free(nc);
	}
	json_decref(doc);
	doc = nd;
	return 0;
}

void
hp_ctl_cfgapi_fini(void)
{
	json_decref(doc); /* jansson does not wipe: the strings were never logged */
	doc = NULL;
	hp_state_free(&state);
}

/* ---- helpers ---- */

static void
secret_id(const char *secret, char out[13])
{
	if (secret == NULL)
		secret = "";
	if (state.unsaved) {
		/* an id is about to be shown: its key is kept from now on, so that the id stays */
		char err[400];

		if (hp_state_save(&state, instance, cfg_path, err, sizeof(err)) != 0) {
			HP_LOG(ERR, "%s; secret ids shown now change at the next start\n", err);
			state.unsaved = false; /* said once */
		}
	}
	uint8_t md[32];
	size_t n = 0;
	static const char hex[] = "0123456789abcdef";

	EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, state.id_key, sizeof(state.id_key),
		  (const unsigned char *)secret, strlen(secret), md, sizeof(md), &n);
	for (int i = 0; i < 6; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[12] = '\0';
	explicit_bzero(md, sizeof(md));
}

/* The endpoint as answered: secrets replaced by their ids (and their not_after). */
static json_t *
ep_public(const json_t *ep)
{
	json_t *o = json_deep_copy(ep), *sec = json_object_get(o, "secrets"), *ids = json_array();
	size_t i;
	json_t *s;

	json_array_foreach(sec, i, s)
	{
		char id[13], at[32];
		json_t *e;
		int64_t end = secret_end(s);

		secret_id(secret_str(s), id);
		e = json_pack("{s:s}", "id", id);
		if (end != 0) {
			hp_state_time(end, at, sizeof(at));
			json_object_set_new(e, "not_after", json_string(at));
		}
		json_array_append_new(ids, e);
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

/* The running document (just applied; prev: the one before) into the state file. When it
 * cannot be written the change is undone (prev applied again): -1 with the message. */
static int
keep_change(json_t *prev, char *err, size_t errlen)
{
	json_t *old_live = state.live;
	char old_at[sizeof(state.changed_at)], f[160], e2[768];

	memcpy(old_at, state.changed_at, sizeof(old_at));
	state.live = live_part(doc);
	hp_state_time((int64_t)time(NULL), state.changed_at, sizeof(state.changed_at));
	if (hp_state_save(&state, instance, cfg_path, err, errlen) == 0) {
		json_decref(old_live);
		prune_expired(doc, 0, false); /* next_expiry of the new document */
		return 0;
	}
	json_decref(state.live);
	state.live = old_live;
	memcpy(state.changed_at, old_at, sizeof(old_at));
	if (apply_doc(prev, f, sizeof(f), e2, sizeof(e2)) != 0)
		HP_LOG(ERR,
		       "control.state_file: the change that could not be kept is still "
		       "running: undoing it failed: %s\n",
		       e2);
	prune_expired(doc, 0, false);
	return -1;
}

/* apply_doc for a request: the refusal answered. epi: the index of the endpoint the request
 * is about (its "endpoints[i]." prefix is cut from the field), or -1. */
static bool
apply(json_t *nd, ssize_t epi, struct api_reply *r)
{
	char err[768], field[160], prefix[32];
	json_t *prev = json_incref(doc);
	int st = apply_doc(nd, field, sizeof(field), err, sizeof(err));

	if (st == 0) {
		st = keep_change(prev, err, sizeof(err));
		json_decref(prev);
		if (st == 0)
			return true;
		hp_api_error(r, 500, "control.state_file", "%s; the change was undone", err);
		return false;
	}
	json_decref(prev);
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
	char h[65];
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
	live_hash(nd, h);
	if (state.live != NULL && !strcmp(h, state.file_hash)) {
		/* the file's endpoints and limits are those the API changed: its changes stay */
		json_decref(nd);
		return 0;
	}
	prune_expired(nd, (int64_t)time(NULL), true);
	st = apply_doc(nd, field, flen, err, errlen);
	json_decref(nd);
	if (st != 0) {
		prune_expired(doc, 0, false);
		return st;
	}
	prune_expired(doc, 0, false);
	memcpy(file_hash, h, sizeof(file_hash));
	if (state.live != NULL || strcmp(state.file_hash, h) != 0) {
		if (state.live != NULL && file_wins(err, errlen) != 0)
			HP_LOG(ERR, "%s\n", err); /* the file's configuration runs all the same */
		memcpy(state.file_hash, h, sizeof(state.file_hash));
		if (!state.unsaved && hp_state_save(&state, instance, cfg_path, err, errlen) != 0)
			HP_LOG(ERR, "%s\n", err);
	}
	return 0;
}

void
hp_ctl_cfgapi_tick(void)
{
	int64_t now;
	json_t *nd, *prev;
	char field[160], err[768];

	if (next_expiry == 0 || doc == NULL)
		return;
	now = (int64_t)time(NULL);
	if (now < next_expiry)
		return;
	nd = json_deep_copy(doc);
	if (prune_expired(nd, now, true) == 0) {
		json_decref(nd);
		return;
	}
	prev = json_incref(doc);
	if (apply_doc(nd, field, sizeof(field), err, sizeof(err)) != 0) {
		/* tried again at the next turn: a swap in progress, or out of memory */
		HP_LOG(ERR, "retiring secrets past their not_after failed, tried again: %s%s%s\n",
		       field, field[0] ? ": " : "", err);
		next_expiry = now;
	} else if (keep_change(prev, err, sizeof(err)) != 0) {
		HP_LOG(ERR, "retiring secrets past their not_after: %s; tried again\n", err);
		next_expiry = now + 1;
	}
	json_decref(prev);
	json_decref(nd);
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

/* A not_after of a request body: a UTC time or Unix seconds, in the future. 0 and *t, or
 * answered. */
static int
body_not_after(const json_t *v, int64_t *t, struct api_reply *r)
{
	if (json_is_integer(v) && json_integer_value(v) > 0)
		*t = json_integer_value(v);
	else if (!json_is_string(v) || hp_cfg_parse_time(json_string_value(v), t) != 0) {
		hp_api_error(r, 400, "not_after",
			     "must be a UTC time, 2026-12-31T00:00:00Z, or Unix seconds");
		return -1;
	}
	if (*t <= (int64_t)time(NULL)) {
		hp_api_error(r, 400, "not_after", "is already past (DELETE the secret instead)");
		return -1;
	}
	return 0;
}

static void
secret_add(const struct hp_api_req *q, struct api_reply *r)
{
	const char *name = q->var[0];
	json_t *b = body_object(q->body, q->len, r), *nd, *ep, *sec, *s, *na;
	ssize_t i;
	void *tmp;
	const char *key;
	json_t *v;
	int64_t end = 0;

	if (b == NULL)
		return;
	json_object_foreach_safe(b, tmp, key,
				 v) if (strcmp(key, "secret") != 0 && strcmp(key, "not_after") != 0)
	{
		hp_api_error(r, 400, key, "unknown field (only \"secret\" and \"not_after\")");
		json_decref(b);
		return;
	}
	s = json_object_get(b, "secret");
	na = json_object_get(b, "not_after");
	i = ep_find(doc_endpoints(doc), name);
	if (!json_is_string(s) || json_string_length(s) == 0) {
		hp_api_error(r, 400, "secret", "a non-empty string is required");
	} else if (i < 0) {
		hp_api_error(r, 404, NULL, "no endpoint \"%s\"", name);
	} else if (na == NULL || body_not_after(na, &end, r) == 0) {
		char id[13], at[32];

		nd = json_deep_copy(doc);
		ep = json_array_get(doc_endpoints(nd), (size_t)i);
		sec = json_object_get(ep, "secrets");
		if (!json_is_array(sec)) {
			sec = json_array();
			json_object_set_new(ep, "secrets", sec);
		}
		if (end != 0) {
			hp_state_time(end, at, sizeof(at));
			json_array_append_new(sec,
					      json_pack("{s:O,s:s}", "secret", s, "not_after", at));
		} else {
			json_array_append(sec, s);
		}
		secret_id(json_string_value(s), id);
		if (apply(nd, i, r)) {
			json_t *o = json_pack("{s:s}", "id", id);

			if (end != 0)
				json_object_set_new(o, "not_after", json_string(at));
			hp_api_json(r, 201, o);
		}
		json_decref(nd);
	}
	json_decref(b);
}

/* The index in sec of the secret whose id is id, or -1. */
static ssize_t
secret_find(const json_t *sec, const char *id)
{
	size_t k;
	json_t *s;

	json_array_foreach(sec, k, s)
	{
		char sid[13];

		secret_id(secret_str(s), sid);
		if (!strcmp(sid, id))
			return (ssize_t)k;
	}
	return -1;
}

static void
secret_retire(const struct hp_api_req *q, struct api_reply *r)
{
	const char *name = q->var[0], *id = q->var[1];
	ssize_t i = ep_find(doc_endpoints(doc), name), k;
	json_t *nd, *sec;

	if (i < 0) {
		hp_api_error(r, 404, NULL, "no endpoint \"%s\"", name);
		return;
	}
	nd = json_deep_copy(doc);
	sec = json_object_get(json_array_get(doc_endpoints(nd), (size_t)i), "secrets");
	k = secret_find(sec, id);
	if (k < 0) {
		hp_api_error(r, 404, NULL, "endpoint \"%s\" has no secret %s", name, id);
	} else if (json_array_size(sec) == 1) {
		hp_api_error(r, 409, "secrets",
			     "%s is the endpoint's last secret: add the new one first", id);
	} else {
		json_array_remove(sec, (size_t)k);
		if (apply(nd, i, r))
			hp_api_json(r, 200, json_pack("{s:s}", "retired", id));
	}
	json_decref(nd);
}

/* PATCH /v1/endpoints/{name}/secrets/{id} {"not_after": time | null}: when the secret
 * retires by itself (null: never). */
static void
secret_patch(const struct hp_api_req *q, struct api_reply *r)
{
	const char *name = q->var[0], *id = q->var[1], *key;
	json_t *b = body_object(q->body, q->len, r), *nd = NULL, *sec, *na, *v;
	ssize_t i, k;
	int64_t end = 0;
	void *tmp;

	if (b == NULL)
		return;
	json_object_foreach_safe(b, tmp, key, v) if (strcmp(key, "not_after") != 0)
	{
		hp_api_error(r, 400, key, "unknown field (only \"not_after\")");
		goto out;
	}
	na = json_object_get(b, "not_after");
	i = ep_find(doc_endpoints(doc), name);
	if (na == NULL) {
		hp_api_error(r, 400, "not_after", "required (a time, or null for never)");
		goto out;
	}
	if (i < 0) {
		hp_api_error(r, 404, NULL, "no endpoint \"%s\"", name);
		goto out;
	}
	if (!json_is_null(na) && body_not_after(na, &end, r) != 0)
		goto out;
	nd = json_deep_copy(doc);
	sec = json_object_get(json_array_get(doc_endpoints(nd), (size_t)i), "secrets");
	k = secret_find(sec, id);
	if (k < 0) {
		hp_api_error(r, 404, NULL, "endpoint \"%s\" has no secret %s", name, id);
		goto out;
	}
	{
		json_t *s = json_string(secret_str(json_array_get(sec, (size_t)k)));
		json_t *e = s;
		char at[32] = "";

		if (end != 0) {
			hp_state_time(end, at, sizeof(at));
			e = json_pack("{s:o,s:s}", "secret", s, "not_after", at);
		}
		json_array_set_new(sec, (size_t)k, e);
		if (apply(nd, i, r)) {
			json_t *o = json_pack("{s:s}", "id", id);

			json_object_set_new(o, "not_after",
					    end != 0 ? json_string(at) : json_null());
			hp_api_json(r, 200, o);
		}
	}
out:
	json_decref(nd);
	json_decref(b);
}

/* The keys whose value may hold a password: hidden by GET /v1/config. */
static const char *const credential_keys[] = {
	"sinks.redis.url",     "sinks.postgres.dsn",      "tokens.redis_url",
	"tokens.postgres_dsn", "replay_cache.global.url",
};

/* A URL's password (scheme://user:password@host...) or a libpq key=value password hidden. */
static json_t *
redacted(const char *v)
{
	char buf[1024];
	const char *at, *sch = strstr(v, "://"), *pw;

	snprintf(buf, sizeof(buf), "%s", v);
	if (sch != NULL) {
		const char *auth = sch + 3, *end = auth + strcspn(auth, "/?#");

		at = memchr(auth, '@', (size_t)(end - auth));
		if (at != NULL) {
			const char *colon = memchr(auth, ':', (size_t)(at - auth));

			if (colon != NULL)
				snprintf(buf, sizeof(buf), "%.*s:***%s", (int)(colon - v), v, at);
		}
		return json_string(buf);
	}
	pw = strstr(v, "password");
	if (pw != NULL && (pw == v || pw[-1] == ' ')) {
		const char *eq = pw + 8;

		while (*eq == ' ')
			eq++;
		if (*eq == '=') {
			const char *val = eq + 1, *vend;

			while (*val == ' ')
				val++;
			if (*val == '\'') {
				vend = val + 1;
				while (*vend != '\0' && *vend != '\'')
					vend += vend[0] == '\\' && vend[1] != '\0' ? 2 : 1;
				if (*vend == '\'')
					vend++;
			} else {
				vend = val + strcspn(val, " ");
			}
			snprintf(buf, sizeof(buf), "%.*s***%s", (int)(val - v), v, vend);
		}
	}
	return json_string(buf);
}

/* GET /v1/config: the running configuration as the file writes it (with the API's changes),
 * secrets as ids, passwords in URLs and DSNs hidden. */
static void
config_get(const struct hp_api_req *q, struct api_reply *r)
{
	json_t *c = json_deep_copy(doc), *eps = json_array(), *ep;
	size_t i;

	(void)q;
	json_array_foreach(json_object_get(doc, "endpoints"), i, ep)
		json_array_append_new(eps, ep_public(ep));
	json_object_set_new(c, "endpoints", eps);
	for (size_t k = 0; k < sizeof(credential_keys) / sizeof(credential_keys[0]); k++) {
		json_t *parent = NULL;
		char last[64];
		const json_t *cv =
			cfg_get_path(c, credential_keys[k], &parent, last, sizeof(last), false);

		if (json_is_string(cv))
			json_object_set_new(parent, last, redacted(json_string_value(cv)));
	}
	hp_api_json(r, 200,
		    json_pack("{s:o,s:s,s:s?,s:b,s:s?}", "config", c, "file", cfg_path,
			      "state_file", state.path[0] != '\0' ? state.path : NULL,
			      "api_changes", state.live != NULL, "changed_at",
			      state.live != NULL ? state.changed_at : NULL));
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
	{"PATCH", "/v1/endpoints/{name}/secrets/{id}", secret_patch},
	{"GET", "/v1/config", config_get},
	{"POST", "/v1/reload", reload_post},
};

const struct hp_api_ops hp_cfgapi_ops = {
	.routes = cfg_routes,
	.n_routes = sizeof(cfg_routes) / sizeof(cfg_routes[0]),
};
