/* SPDX-License-Identifier: BSD-3-Clause
 * Config loader: libyaml builds a document, the walker applies the key table to it.
 *
 * The loader knows YAML and the scalar types; it knows no key by name. Keys, custom handlers
 * and the checks across keys are in cfg_schema.c. A load fills a temporary struct hp_config
 * and copies it to the caller's only once everything passed, so a refused file leaves the
 * running configuration untouched.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_priv.h"

/* A configuration file is small; refuse anything bigger rather than read it all. */
#define CFG_FILE_MAX (16u << 20)

/* Values shown in messages are cut to this many bytes of the original text. */
#define CFG_SHOW_MAX 40

int
hp_cfg_err(struct hp_cfg_ctx *ctx, const yaml_mark_t *mark, const char *path, const char *fmt, ...)
{
	char msg[512], full[1024];
	va_list ap;
	size_t o = 0;

	if (ctx->failed)
		return -EINVAL;
	ctx->failed = true;
	if (ctx->err == NULL || ctx->errlen == 0)
		return -EINVAL;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (mark != NULL && path != NULL)
		snprintf(full, sizeof(full), "%s:%zu:%zu: %s: %s", ctx->name, mark->line + 1,
			 mark->column + 1, path, msg);
	else if (mark != NULL)
		snprintf(full, sizeof(full), "%s:%zu:%zu: %s", ctx->name, mark->line + 1,
			 mark->column + 1, msg);
	else if (path != NULL) /* a check across keys, the key named not written in the file */
		snprintf(full, sizeof(full), "%s: %s: %s", ctx->name, path, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", ctx->name, msg);
	/* one line, whatever a key or a value quoted in it holds (YAML strings may hold
	 * newlines): control characters as \xNN, so a log line or an API answer cannot be
	 * forged with them */
	for (const unsigned char *p = (const unsigned char *)full;
	     *p != '\0' && o + 1 < ctx->errlen; p++) {
		if (*p >= 0x20 && *p != 0x7f)
			ctx->err[o++] = (char)*p;
		else if (o + 5 < ctx->errlen)
			o += (size_t)snprintf(ctx->err + o, ctx->errlen - o, "\\x%02x", *p);
		else
			break;
	}
	ctx->err[o] = '\0';
	return -EINVAL;
}

/* Copy at most max bytes of s (n bytes long) into buf, printable ASCII as is, the rest as
 * \xNN, '"' and '\' escaped, "..." when cut. Always NUL-terminates. */
static void
cfg_escape(char *buf, size_t len, const unsigned char *s, size_t n, size_t max)
{
	size_t o = 0, i;

	if (len == 0)
		return;
	for (i = 0; i < n && i < max; i++) {
		unsigned char c = s[i];
		char tmp[5];
		size_t tl;

		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			tl = 2;
		} else if (c >= 0x20 && c < 0x7f) {
			tmp[0] = (char)c;
			tl = 1;
		} else {
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
			tl = 4;
		}
		if (o + tl + 1 > len)
			break;
		memcpy(buf + o, tmp, tl);
		o += tl;
	}
	if (i < n && o + 4 <= len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

static bool
cfg_is_plain(const yaml_node_t *node)
{
	return node->type == YAML_SCALAR_NODE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A plain empty value, "~" or "null": what YAML reads as null (e.g. "control:" alone). */
static bool
cfg_is_null(const yaml_node_t *node)
{
	return cfg_is_plain(node) &&
	       (node->data.scalar.length == 0 || hp_cfg_scalar_is(node, "~") ||
		hp_cfg_scalar_is(node, "null") || hp_cfg_scalar_is(node, "Null") ||
		hp_cfg_scalar_is(node, "NULL"));
}

const char *
hp_cfg_node_desc(const yaml_node_t *node, char *buf, size_t len)
{
	char val[CFG_SHOW_MAX * 4 + 8];

	switch (node->type) {
	case YAML_SCALAR_NODE:
		if (cfg_is_plain(node) && node->data.scalar.length == 0) {
			snprintf(buf, len, "an empty value");
			break;
		}
		cfg_escape(val, sizeof(val), node->data.scalar.value, node->data.scalar.length,
			   CFG_SHOW_MAX);
		snprintf(buf, len, "%s\"%s\"", cfg_is_plain(node) ? "" : "the quoted string ", val);
		break;
	case YAML_SEQUENCE_NODE:
		snprintf(buf, len, "a list");
		break;
	case YAML_MAPPING_NODE:
		snprintf(buf, len, "a mapping");
		break;
	default:
		snprintf(buf, len, "nothing");
		break;
	}
	return buf;
}

bool
hp_cfg_scalar_is(const yaml_node_t *node, const char *s)
{
	size_t n = strlen(s);

	return node->type == YAML_SCALAR_NODE && node->data.scalar.length == n &&
	       memcmp(node->data.scalar.value, s, n) == 0;
}

/* Plain unsigned decimal: 0 and *v set, -EINVAL (not that form) or -ERANGE (> UINT32_MAX). */
static int
cfg_scan_u32(const yaml_node_t *node, uint32_t *v)
{
	const unsigned char *s = node->data.scalar.value;
	size_t n = node->data.scalar.length, i;
	uint64_t acc = 0;

	if (!cfg_is_plain(node) || n == 0)
		return -EINVAL;
	if (n > 1 && s[0] == '0')
		return -EINVAL; /* YAML 1.1 reads 010 as octal: refuse the ambiguity */
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (acc <= UINT32_MAX)
			acc = acc * 10 + (uint64_t)(s[i] - '0');
	}
	if (acc > UINT32_MAX)
		return -ERANGE;
	*v = (uint32_t)acc;
	return 0;
}

int
hp_cfg_parse_u32(struct hp_cfg_ctx *ctx, yaml_node_t *node, const char *dpath, uint32_t min,
		 uint32_t max, const char *what, const char *hint, uint32_t *out)
{
	char got[CFG_SHOW_MAX * 4 + 32];
	uint32_t v;

	if (node->type == YAML_SCALAR_NODE && cfg_scan_u32(node, &v) == 0 && v >= min && v <= max) {
		*out = v;
		return 0;
	}
	hp_cfg_node_desc(node, got, sizeof(got));
	if (hint != NULL && cfg_is_plain(node) && hp_cfg_scalar_is(node, "0"))
		return hp_cfg_err(ctx, &node->start_mark, dpath, "must be %s, got %s (%s)", what,
				  got, hint);
	return hp_cfg_err(ctx, &node->start_mark, dpath, "must be %s, got %s", what, got);
}

static void
cfg_store(void *base, const struct hp_cfg_key *k, uint32_t v)
{
	unsigned char *p = (unsigned char *)base + k->offset;

	switch (k->size) {
	case 1: {
		uint8_t x = (uint8_t)v;
		memcpy(p, &x, 1);
		break;
	}
	case 2: {
		uint16_t x = (uint16_t)v;
		memcpy(p, &x, 2);
		break;
	}
	case 4:
		memcpy(p, &v, 4);
		break;
	default: /* the table is static and checked by the unit test */
		break;
	}
}

void
hp_cfg_apply_defaults(const struct hp_cfg_table *t, void *base)
{
	size_t i;

	for (i = 0; i < t->n_keys; i++) {
		const struct hp_cfg_key *k = &t->keys[i];

		if (k->type == HP_CFG_BOOL)
			*(bool *)((unsigned char *)base + k->offset) = k->def != 0;
		else if (k->type != HP_CFG_CUSTOM)
			cfg_store(base, k, k->def);
	}
}

/* "bridge or tap", "a, b or c" */
static void
cfg_enum_list(const struct hp_cfg_key *k, char *buf, size_t len)
{
	size_t n = 0, i, o = 0;

	buf[0] = '\0';
	while (k->names[n] != NULL)
		n++;
	for (i = 0; i < n && o < len; i++) {
		const char *sep = i == 0 ? "" : (i + 1 == n ? " or " : ", ");
		int w = snprintf(buf + o, len - o, "%s%s", sep, k->names[i]);

		if (w < 0)
			break;
		o += (size_t)w;
	}
}

static int
cfg_parse_leaf(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *k, yaml_node_t *node, void *base,
	       const char *dpath)
{
	char got[CFG_SHOW_MAX * 4 + 32];
	char what[160];
	uint32_t v = 0;
	size_t i;
	int rc;

	switch (k->type) {
	case HP_CFG_UINT:
		snprintf(what, sizeof(what), "%s in [%u, %u]%s",
			 (k->flags & HP_CFG_F_POW2) ? "a power of 2" : "an integer", k->min, k->max,
			 (k->flags & HP_CFG_F_AUTO) ? " or \"auto\"" : "");
		if ((k->flags & HP_CFG_F_AUTO) && hp_cfg_scalar_is(node, "auto")) {
			v = 0;
		} else {
			rc = hp_cfg_parse_u32(ctx, node, dpath, k->min, k->max, what, k->zero_hint,
					      &v);
			if (rc < 0)
				return rc;
			if ((k->flags & HP_CFG_F_POW2) && (v & (v - 1)) != 0)
				return hp_cfg_err(ctx, &node->start_mark, dpath,
						  "must be %s, got %s", what,
						  hp_cfg_node_desc(node, got, sizeof(got)));
		}
		cfg_store(base, k, v);
		return 0;
	case HP_CFG_BOOL:
		if (cfg_is_plain(node) &&
		    (hp_cfg_scalar_is(node, "true") || hp_cfg_scalar_is(node, "True") ||
		     hp_cfg_scalar_is(node, "TRUE"))) {
			*(bool *)((unsigned char *)base + k->offset) = true;
			return 0;
		}
		if (cfg_is_plain(node) &&
		    (hp_cfg_scalar_is(node, "false") || hp_cfg_scalar_is(node, "False") ||
		     hp_cfg_scalar_is(node, "FALSE"))) {
			*(bool *)((unsigned char *)base + k->offset) = false;
			return 0;
		}
		return hp_cfg_err(ctx, &node->start_mark, dpath, "must be true or false, got %s",
				  hp_cfg_node_desc(node, got, sizeof(got)));
	case HP_CFG_ENUM:
		for (i = 0; k->names[i] != NULL; i++) {
			if (hp_cfg_scalar_is(node, k->names[i])) {
				cfg_store(base, k, (uint32_t)i);
				return 0;
			}
		}
		cfg_enum_list(k, what, sizeof(what));
		return hp_cfg_err(ctx, &node->start_mark, dpath, "must be %s, got %s", what,
				  hp_cfg_node_desc(node, got, sizeof(got)));
	case HP_CFG_CUSTOM:
		return k->parse(ctx, k, node, base, dpath);
	}
	return hp_cfg_err(ctx, &node->start_mark, dpath, "internal error: bad key type");
}

const struct hp_cfg_key *
hp_cfg_find(const struct hp_cfg_table *t, const char *path, size_t *idx)
{
	size_t i;

	for (i = 0; i < t->n_keys; i++) {
		if (strcmp(t->keys[i].path, path) == 0) {
			if (idx != NULL)
				*idx = i;
			return &t->keys[i];
		}
	}
	return NULL;
}

const struct hp_cfg_seen *
hp_cfg_seen_get(const struct hp_cfg_table *t, const struct hp_cfg_seen *seen, const char *path)
{
	size_t idx;

	if (hp_cfg_find(t, path, &idx) == NULL || !seen[idx].set)
		return NULL;
	return &seen[idx];
}

/* Does a key of t live under section path (path "" is the root)? */
static bool
cfg_is_section(const struct hp_cfg_table *t, const char *path)
{
	size_t n = strlen(path), i;

	for (i = 0; i < t->n_keys; i++) {
		const char *p = t->keys[i].path;

		if (strncmp(p, path, n) == 0 && p[n] == '.')
			return true;
	}
	return false;
}

/* Name of the child of section tprefix that key k lives under, into buf; false if none. */
static bool
cfg_child_name(const char *kpath, const char *tprefix, char *buf, size_t len)
{
	size_t n = strlen(tprefix), c;
	const char *rest;

	if (n > 0) {
		if (strncmp(kpath, tprefix, n) != 0 || kpath[n] != '.')
			return false;
		rest = kpath + n + 1;
	} else {
		rest = kpath;
	}
	c = strcspn(rest, ".");
	if (c + 1 > len)
		return false;
	memcpy(buf, rest, c);
	buf[c] = '\0';
	return true;
}

/* Levenshtein distance of two short strings (both < 64 bytes). */
static size_t
cfg_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t row[64], i, j;

	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The known child of tprefix closest to the unknown name (distance <= 2), into buf. */
static bool
cfg_suggest(const struct hp_cfg_table *t, const char *tprefix, const yaml_node_t *key, char *buf,
	    size_t len)
{
	const char *name = (const char *)key->data.scalar.value;
	size_t ln = key->data.scalar.length, best = 3, i;
	char cand[64];

	if (ln == 0 || ln >= 64)
		return false;
	buf[0] = '\0';
	for (i = 0; i < t->n_keys; i++) {
		size_t d, lc;

		if (!cfg_child_name(t->keys[i].path, tprefix, cand, sizeof(cand)))
			continue;
		lc = strlen(cand);
		d = cfg_distance(name, ln, cand, lc);
		if (d < best && d < lc) {
			best = d;
			snprintf(buf, len, "%s", cand);
		}
	}
	return buf[0] != '\0';
}

static int
cfg_join(char *buf, size_t len, const char *prefix, const char *name)
{
	int w;

	if (prefix[0] == '\0')
		w = snprintf(buf, len, "%s", name);
	else
		w = snprintf(buf, len, "%s.%s", prefix, name);
	return (w < 0 || (size_t)w >= len) ? -ENAMETOOLONG : 0;
}

int
hp_cfg_walk_map(struct hp_cfg_ctx *ctx, const struct hp_cfg_table *t, void *base,
		struct hp_cfg_seen *seen, yaml_node_t *node, const char *tprefix,
		const char *dprefix)
{
	yaml_node_pair_t *pair, *prev;
	char shown[HP_CFG_PATH_MAX];
	char tpath[HP_CFG_PATH_MAX];
	char dpath[HP_CFG_PATH_MAX];
	char got[CFG_SHOW_MAX * 4 + 32];
	char near[64];
	int rc;

	for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(ctx->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(ctx->doc, pair->value);
		const struct hp_cfg_key *key;
		bool known_name;
		size_t idx;

		if (k == NULL || v == NULL)
			return hp_cfg_err(ctx, &node->start_mark, dprefix[0] ? dprefix : NULL,
					  "internal error: dangling YAML node");
		if (k->type != YAML_SCALAR_NODE)
			return hp_cfg_err(ctx, &k->start_mark, dprefix[0] ? dprefix : NULL,
					  "keys must be names, got %s as a key",
					  hp_cfg_node_desc(k, got, sizeof(got)));

		/* A name with '.', NUL or odd bytes is never a table key: show it escaped. */
		cfg_escape(shown, sizeof(shown), k->data.scalar.value, k->data.scalar.length, 64);
		known_name = k->data.scalar.length > 0 &&
			     memchr(k->data.scalar.value, '\0', k->data.scalar.length) == NULL &&
			     memchr(k->data.scalar.value, '.', k->data.scalar.length) == NULL &&
			     cfg_join(tpath, sizeof(tpath), tprefix,
				      (const char *)k->data.scalar.value) == 0;
		if (cfg_join(dpath, sizeof(dpath), dprefix, shown) < 0)
			dpath[sizeof(dpath) - 1] = '\0';

		for (prev = node->data.mapping.pairs.start; prev < pair; prev++) {
			yaml_node_t *pk = yaml_document_get_node(ctx->doc, prev->key);

			if (pk != NULL && pk->type == YAML_SCALAR_NODE &&
			    pk->data.scalar.length == k->data.scalar.length &&
			    memcmp(pk->data.scalar.value, k->data.scalar.value,
				   k->data.scalar.length) == 0)
				return hp_cfg_err(ctx, &k->start_mark, dpath,
						  "duplicate key (first at %zu:%zu)",
						  pk->start_mark.line + 1,
						  pk->start_mark.column + 1);
		}

		key = known_name ? hp_cfg_find(t, tpath, &idx) : NULL;
		if (key != NULL) {
			seen[idx].set = true;
			seen[idx].key_mark = k->start_mark;
			seen[idx].value_mark = v->start_mark;
			rc = cfg_parse_leaf(ctx, key, v, base, dpath);
			if (rc < 0)
				return rc;
			continue;
		}
		if (known_name && cfg_is_section(t, tpath)) {
			if (cfg_is_null(v))
				continue; /* "control:" with every child commented out */
			if (v->type != YAML_MAPPING_NODE)
				return hp_cfg_err(ctx, &v->start_mark, dpath,
						  "must be a mapping of keys, got %s",
						  hp_cfg_node_desc(v, got, sizeof(got)));
			rc = hp_cfg_walk_map(ctx, t, base, seen, v, tpath, dpath);
			if (rc < 0)
				return rc;
			continue;
		}
		if (cfg_suggest(t, tprefix, k, near, sizeof(near))) {
			char full[HP_CFG_PATH_MAX];

			if (cfg_join(full, sizeof(full), dprefix, near) < 0)
				full[sizeof(full) - 1] = '\0';
			return hp_cfg_err(ctx, &k->start_mark, dpath,
					  "unknown key (did you mean %s?)", full);
		}
		return hp_cfg_err(ctx, &k->start_mark, dpath, "unknown key");
	}
	return 0;
}

/* Explicit tags (!!int, !foo) would change what a value means; none is needed. */
static int
cfg_check_tags(struct hp_cfg_ctx *ctx)
{
	char shown[80];
	yaml_node_t *n;

	for (n = ctx->doc->nodes.start; n < ctx->doc->nodes.top; n++) {
		const char *want = n->type == YAML_SCALAR_NODE     ? YAML_DEFAULT_SCALAR_TAG
				   : n->type == YAML_SEQUENCE_NODE ? YAML_DEFAULT_SEQUENCE_TAG
								   : YAML_DEFAULT_MAPPING_TAG;

		if (n->tag != NULL && strcmp((const char *)n->tag, want) != 0) {
			cfg_escape(shown, sizeof(shown), n->tag, strlen((const char *)n->tag), 40);
			return hp_cfg_err(ctx, &n->start_mark, NULL,
					  "YAML tags are not supported, found \"%s\"", shown);
		}
	}
	return 0;
}

/* Turn libyaml's error into our message; -ENOMEM or -EINVAL. */
static int
cfg_yaml_error(struct hp_cfg_ctx *ctx, const yaml_parser_t *p, const char *buf, size_t len)
{
	const char *problem = p->problem != NULL ? p->problem : "unknown error";
	yaml_mark_t m;
	size_t i;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		hp_cfg_err(ctx, NULL, NULL, "out of memory while parsing YAML");
		return -ENOMEM;
	case YAML_READER_ERROR:
		/* the reader has no mark: find the line and column of the offending byte */
		memset(&m, 0, sizeof(m));
		for (i = 0; i < p->problem_offset && i < len; i++) {
			if (buf[i] == '\n') {
				m.line++;
				m.column = 0;
			} else {
				m.column++;
			}
		}
		if (p->problem_value != -1)
			return hp_cfg_err(ctx, &m, NULL, "YAML syntax error: %s (byte 0x%02x)",
					  problem, (unsigned int)p->problem_value & 0xffu);
		return hp_cfg_err(ctx, &m, NULL, "YAML syntax error: %s", problem);
	default:
		if (p->context != NULL)
			return hp_cfg_err(ctx, &p->problem_mark, NULL,
					  "YAML syntax error: %s (%s at %zu:%zu)", problem,
					  p->context, p->context_mark.line + 1,
					  p->context_mark.column + 1);
		return hp_cfg_err(ctx, &p->problem_mark, NULL, "YAML syntax error: %s", problem);
	}
}

/* "control, dataplane": the top-level sections, for the message on a bad top level. */
static void
cfg_top_sections(char *buf, size_t len)
{
	const struct hp_cfg_table *t = &hp_cfg_schema;
	size_t o = 0, i, j;
	char name[64], other[64];

	buf[0] = '\0';
	for (i = 0; i < t->n_keys && o < len; i++) {
		bool dup = false;
		int w;

		cfg_child_name(t->keys[i].path, "", name, sizeof(name));
		for (j = 0; j < i && !dup; j++)
			dup = cfg_child_name(t->keys[j].path, "", other, sizeof(other)) &&
			      strcmp(name, other) == 0;
		if (dup)
			continue;
		w = snprintf(buf + o, len - o, "%s%s", o ? ", " : "", name);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

static int
cfg_load(const char *name, const char *buf, size_t len, struct hp_config *cfg, char *err,
	 size_t errlen, const char *base_dir)
{
	struct hp_cfg_ctx ctx = {
		.name = name != NULL ? name : "<buffer>",
		.err = err,
		.errlen = errlen,
		.base_dir = base_dir,
	};
	bool tmp_set = false;
	struct hp_cfg_seen *seen = NULL;
	yaml_document_t doc, extra;
	bool doc_loaded = false;
	yaml_parser_t parser;
	struct hp_config tmp;
	char got[CFG_SHOW_MAX * 4 + 32];
	char sections[128];
	yaml_node_t *root;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg == NULL || (buf == NULL && len > 0))
		return hp_cfg_err(&ctx, NULL, NULL, "invalid arguments");
	if (!yaml_parser_initialize(&parser)) {
		hp_cfg_err(&ctx, NULL, NULL, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)(buf != NULL ? buf : ""), len);

	if (!yaml_parser_load(&parser, &doc)) {
		rc = cfg_yaml_error(&ctx, &parser, buf, len);
		goto out;
	}
	doc_loaded = true;
	ctx.doc = &doc;
	ctx.root_mark = doc.start_mark;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || cfg_is_null(root)) {
		rc = hp_cfg_err(&ctx, &doc.start_mark, NULL,
				"empty configuration: no YAML document with keys");
		goto out;
	}

	/* One document only: a second one would be silently ignored otherwise. */
	if (!yaml_parser_load(&parser, &extra)) {
		rc = cfg_yaml_error(&ctx, &parser, buf, len);
		goto out;
	}
	if (yaml_document_get_root_node(&extra) != NULL) {
		rc = hp_cfg_err(&ctx, &extra.start_mark, NULL,
				"a second YAML document starts here; the configuration is one "
				"document");
		yaml_document_delete(&extra);
		goto out;
	}
	yaml_document_delete(&extra);

	rc = cfg_check_tags(&ctx);
	if (rc < 0)
		goto out;
	if (root->type != YAML_MAPPING_NODE) {
		cfg_top_sections(sections, sizeof(sections));
		rc = hp_cfg_err(&ctx, &root->start_mark, NULL,
				"top level must be a mapping of sections (%s), got %s", sections,
				hp_cfg_node_desc(root, got, sizeof(got)));
		goto out;
	}

	seen = calloc(hp_cfg_schema.n_keys, sizeof(*seen));
	if (seen == NULL) {
		hp_cfg_err(&ctx, NULL, NULL, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	ctx.ep_marks = calloc(HP_CFG_MAX_ENDPOINTS, sizeof(*ctx.ep_marks));
	if (ctx.ep_marks == NULL) {
		hp_cfg_err(&ctx, NULL, NULL, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	hp_config_defaults(&tmp);
	tmp_set = true;
	rc = hp_cfg_walk_map(&ctx, &hp_cfg_schema, &tmp, seen, root, "", "");
	if (rc < 0)
		goto out;
	rc = hp_cfg_schema_check(&ctx, &tmp, seen);
	if (rc < 0)
		goto out;
	*cfg = tmp;
	tmp_set = false; /* cfg owns the endpoints now */
	rc = 0;
out:
	if (tmp_set)
		hp_config_free(&tmp);
	free(ctx.ep_marks);
	free(seen);
	if (doc_loaded)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int
hp_config_load_buffer(const char *name, const char *buf, size_t len, struct hp_config *cfg,
		      char *err, size_t errlen)
{
	return cfg_load(name, buf, len, cfg, err, errlen, NULL);
}

/* Read a whole regular file (or a pipe) of at most CFG_FILE_MAX bytes. 0 or -errno. */
static int
cfg_read_file(const char *path, char **out, size_t *out_len)
{
	size_t cap = 4096, len = 0;
	char *buf = NULL, *nbuf;
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > (off_t)CFG_FILE_MAX) {
		rc = -EFBIG;
		goto out;
	}
	if (S_ISREG(st.st_mode))
		cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			if (cap >= CFG_FILE_MAX) {
				rc = -EFBIG;
				goto out;
			}
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (nbuf == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nbuf;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

int
hp_config_load_file(const char *path, struct hp_config *cfg, char *err, size_t errlen)
{
	struct hp_cfg_ctx ctx = {
		.name = path != NULL ? path : "<null>",
		.err = err,
		.errlen = errlen,
	};
	size_t len = 0;
	char *buf = NULL;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || cfg == NULL)
		return hp_cfg_err(&ctx, NULL, NULL, "invalid arguments");
	rc = cfg_read_file(path, &buf, &len);
	if (rc < 0) {
		if (rc == -EFBIG)
			hp_cfg_err(&ctx, NULL, NULL, "cannot read: larger than %u MiB",
				   CFG_FILE_MAX >> 20);
		else
			hp_cfg_err(&ctx, NULL, NULL, "cannot read: %s", strerror(-rc));
		return rc;
	}
	{
		/* relative secrets files are found next to the configuration */
		char dir[PATH_MAX];
		const char *slash = strrchr(path, '/');

		if (slash == NULL)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == path)
			snprintf(dir, sizeof(dir), "/");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		rc = cfg_load(path, buf, len, cfg, err, errlen, dir);
	}
	explicit_bzero(buf, len); /* it may hold secrets */
	free(buf);
	return rc;
}
