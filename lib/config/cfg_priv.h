/* SPDX-License-Identifier: BSD-3-Clause
 * Private to lib/config (and its unit test): the key table and the walker that applies it.
 *
 * Every key is one struct hp_cfg_key in a static table (cfg_schema.c). A key path is dotted
 * ("dataplane.defrag.max_flows"); the sections ("dataplane", "dataplane.defrag") are not
 * declared, they exist because a key lives under them. The walker (cfg_load.c) visits a YAML
 * mapping, resolves each key against the table, recurses into sections and parses leaves by
 * type into a base struct at the key's offset. The same table gives the defaults
 * (hp_cfg_apply_defaults) and the reference (hp_config_describe, docs/CONFIG.md).
 *
 * Growth:
 *  - a scalar key: one line in the table (KEY_UINT / KEY_AUTO / KEY_BOOL / KEY_ENUM);
 *  - a list or any other shape: HP_CFG_CUSTOM with a parse() handler;
 *  - a list of mappings (endpoints): an HP_CFG_CUSTOM key whose parse() checks the sequence,
 *    and for each item calls hp_cfg_walk_map() with a second table whose paths are relative
 *    to the item ("match.host"), base = the item's struct and dprefix = "endpoints[3]", then
 *    runs its per-item checks with the seen[] array it passed;
 *  - a check across keys: a function in the checks[] list of cfg_schema.c.
 */
#ifndef HP_CFG_PRIV_H
#define HP_CFG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <yaml.h>

#include "hp_config.h"

/* Longest dotted path shown in a message; longer user keys are truncated (they are unknown). */
#define HP_CFG_PATH_MAX 256

enum hp_cfg_type {
	HP_CFG_UINT,   /* plain unsigned decimal in [min, max], into a 1/2/4-byte field */
	HP_CFG_BOOL,   /* plain true/false (also True/TRUE/False/FALSE), into a bool */
	HP_CFG_ENUM,   /* one of names[] (quoted or not), stored as its index */
	HP_CFG_CUSTOM, /* parse() takes the node: lists, lists of mappings */
};

#define HP_CFG_F_POW2 (1u << 0) /* HP_CFG_UINT: must also be a power of 2 */
#define HP_CFG_F_AUTO (1u << 1) /* HP_CFG_UINT: the string "auto" is accepted, stored as 0 */

struct hp_cfg_ctx;

struct hp_cfg_key {
	const char *path; /* dotted, relative to the table's root */
	enum hp_cfg_type type;
	uint32_t flags;           /* HP_CFG_F_* */
	size_t offset;            /* of the field in the base struct */
	size_t size;              /* of the field: 1, 2 or 4 (UINT, ENUM), sizeof(bool) (BOOL) */
	uint32_t min, max;        /* HP_CFG_UINT bounds, inclusive */
	uint32_t def;             /* default (UINT, BOOL, ENUM index); CUSTOM: zeroed */
	const char *const *names; /* HP_CFG_ENUM: value names, index = value, NULL-terminated */
	/* HP_CFG_CUSTOM: parse node into base; 0, or -EINVAL after hp_cfg_err() */
	int (*parse)(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
		     void *base, const char *dpath);
	const char *type_doc;   /* CUSTOM: type as shown in the reference */
	const char *def_doc;    /* CUSTOM: default as shown in the reference */
	const char *bounds_doc; /* CUSTOM: bounds as shown in the reference */
	const char *zero_hint;  /* F_AUTO: why an explicit 0 is refused, appended to the message */
	const char *doc;        /* one line of documentation */
};

struct hp_cfg_table {
	const struct hp_cfg_key *keys;
	size_t n_keys;
};

/* Where a key of a table was set in the file (one per table key, filled by the walker). */
struct hp_cfg_seen {
	bool set;
	yaml_mark_t key_mark;
	yaml_mark_t value_mark;
};

/* Where the checks run after the walk point for endpoint i: the value of the key they name,
 * or the start of the endpoint's mapping when the key was left to its default. */
struct hp_cfg_ep_marks {
	yaml_mark_t max_body;
	yaml_mark_t pii_policy;
};

/* One load. The first error wins: later hp_cfg_err() calls do not overwrite it. */
struct hp_cfg_ctx {
	const char *name; /* file name or buffer name, first field of every message */
	char *err;        /* may be NULL */
	size_t errlen;
	bool failed;
	yaml_document_t *doc;
	yaml_mark_t root_mark; /* where the document starts, for checks on absent keys */
	const char *base_dir;  /* relative secrets_file paths start here (file loads), or NULL */
	struct hp_cfg_ep_marks *ep_marks; /* per endpoint, for the checks after the walk, or NULL */
};

/* The hookpath key table (cfg_schema.c). */
extern const struct hp_cfg_table hp_cfg_schema;

/* The keys of one item of the endpoints list, relative to the item (cfg_endpoints.c). */
extern const struct hp_cfg_table hp_cfg_endpoint_schema;

/* endpoints: the list parser (a HP_CFG_CUSTOM handler) and the checks that need the rest of
 * the configuration (max_body against http.body_copy_max). */
int hp_cfg_parse_endpoints(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
			   void *base, const char *dpath);
int hp_cfg_check_endpoints(struct hp_cfg_ctx *ctx, struct hp_config *cfg,
			   const struct hp_cfg_seen *seen);

/* The top-level pii section (cfg_pii.c): mask_char, custom_entities (each item walked with
 * hp_cfg_pii_entity_schema and compiled by Hyperscan), entity names of endpoints (built-in or
 * custom, wherever the pii section sits in the document), and the cross-section checks. */
extern const struct hp_cfg_table hp_cfg_pii_entity_schema;
int hp_cfg_parse_mask_char(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
			   void *base, const char *dpath);
int hp_cfg_parse_pii_custom(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
			    void *base, const char *dpath);
int hp_cfg_pii_entity_id(struct hp_cfg_ctx *ctx, const char *name);
int hp_cfg_check_pii(struct hp_cfg_ctx *ctx, struct hp_config *cfg, const struct hp_cfg_seen *seen);

/* Generic string key (HP_CFG_CUSTOM with offset/size set): a non-empty scalar of at most
 * size - 1 bytes, no NUL, copied NUL-terminated to base + offset. */
int hp_cfg_parse_string(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
			void *base, const char *dpath);

/* Cross-key checks of the schema, run after a successful walk; 0 or -EINVAL. */
int hp_cfg_schema_check(struct hp_cfg_ctx *ctx, struct hp_config *cfg,
			const struct hp_cfg_seen *seen);

/* The key with this exact path, or NULL; *idx (if not NULL) gets its index. */
const struct hp_cfg_key *hp_cfg_find(const struct hp_cfg_table *t, const char *path, size_t *idx);

/* seen entry of path if the key was set in the file, else NULL. */
const struct hp_cfg_seen *hp_cfg_seen_get(const struct hp_cfg_table *t,
					  const struct hp_cfg_seen *seen, const char *path);

/* Write every non-custom default of t into base (custom keys: the caller zeroes base). */
void hp_cfg_apply_defaults(const struct hp_cfg_table *t, void *base);

/* Reference strings of a key as shown by hp_config_describe() and expected in docs/CONFIG.md
 * (type: "integer", "integer or auto", "power of 2", "bool", "enum" or the custom type_doc;
 * default: e.g. "1024", "auto", "true", "bridge"; bounds: e.g. "[64, 16384]", "bridge, tap").
 * No '|' in them: they are cells of the Markdown table in docs/CONFIG.md.
 * Always NUL-terminate buf; return buf. */
const char *hp_cfg_key_type(const struct hp_cfg_key *k, char *buf, size_t len);
const char *hp_cfg_key_default(const struct hp_cfg_key *k, char *buf, size_t len);
const char *hp_cfg_key_bounds(const struct hp_cfg_key *k, char *buf, size_t len);

/* Record "<name>:<line>:<col>: <path>: <message>" (path may be NULL: omitted) unless an error
 * is already recorded. mark is libyaml's (0-based); the message is 1-based. Returns -EINVAL. */
int hp_cfg_err(struct hp_cfg_ctx *ctx, const yaml_mark_t *mark, const char *path, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));

/* Describe a node for "got ..." in messages: "\"12\"" for a plain scalar, "the quoted string
 * \"12\"", "an empty value", "a list", "a mapping". Non-printable bytes are escaped and long
 * values cut, so the message stays on one line. Returns buf. */
const char *hp_cfg_node_desc(const yaml_node_t *node, char *buf, size_t len);

/* True if node is a scalar whose bytes are exactly s (no embedded NUL tricks). */
bool hp_cfg_scalar_is(const yaml_node_t *node, const char *s);

/* Parse a plain (unquoted) decimal integer in [min, max]: digits only, no sign, no leading
 * zero, no float, at most UINT32_MAX. On failure records "must be <what>, got <node>" plus
 * " (<hint>)" if hint is not NULL and the text was "0". 0 or -EINVAL. */
int hp_cfg_parse_u32(struct hp_cfg_ctx *ctx, yaml_node_t *node, const char *dpath, uint32_t min,
		     uint32_t max, const char *what, const char *hint, uint32_t *out);

/* Walk mapping node: each key is resolved as tprefix.key in t (tprefix "" at the root),
 * sections recursed, leaves parsed into base, seen[] (t->n_keys entries) filled. dprefix is
 * the path shown in messages ("" at the root, "endpoints[2]" for a list item). Refuses unknown
 * keys (with a suggestion when one is close), duplicate keys, non-scalar keys.
 * 0 or -EINVAL with the message recorded. */
int hp_cfg_walk_map(struct hp_cfg_ctx *ctx, const struct hp_cfg_table *t, void *base,
		    struct hp_cfg_seen *seen, yaml_node_t *node, const char *tprefix,
		    const char *dprefix);

#endif /* HP_CFG_PRIV_H */
