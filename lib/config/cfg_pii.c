/* SPDX-License-Identifier: BSD-3-Clause
 * The top-level pii section (issue 6): the mask byte, the hold limit of masking endpoints, and
 * the custom entities, each walked with its own key table, then compiled by Hyperscan through
 * lib/pii at load so that a pattern it refuses is reported with the entity's name and
 * Hyperscan's message, at the key that holds it. Also the checks across sections: endpoints
 * that mask or block need reassembly.policy first in bridge mode.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"
#include "pii.h"

_Static_assert(HP_CFG_PII_MAX_CUSTOM == HP_PII_MAX_USER, "custom entities fit lib/pii");
_Static_assert(HP_CFG_PII_NAME_LEN == HP_PII_NAME_MAX, "entity names fit lib/pii");
_Static_assert(HP_PII__BUILTIN_COUNT + HP_CFG_PII_MAX_CUSTOM <= 64, "entity ids fit a uint64_t");

static const char *const validator_names[] = {"none", "luhn", "iban", "aba", "nhs", NULL};
static const char *const action_names[] = {"policy", "report", "mask", "block", NULL};

_Static_assert(sizeof(validator_names) / sizeof(validator_names[0]) == HP_PII_VAL__COUNT + 1,
	       "a name per lib/pii validator");

#define PE_FIELD(f)                                                                                \
	.offset = offsetof(struct hp_pii_custom_entity, f),                                        \
	.size = sizeof(((struct hp_pii_custom_entity *)NULL)->f)

static const struct hp_cfg_key pe_keys[] = {
	{.path = "name",
	 .type = HP_CFG_CUSTOM,
	 .parse = hp_cfg_parse_string,
	 PE_FIELD(name),
	 .type_doc = "string",
	 .def_doc = "required",
	 .bounds_doc = "[a-z0-9_]{1,31}",
	 .doc = "entity name in events and in endpoints[].pii.entities; not a built-in name"},
	{.path = "pattern",
	 .type = HP_CFG_CUSTOM,
	 .parse = hp_cfg_parse_string,
	 PE_FIELD(pattern),
	 .type_doc = "string",
	 .def_doc = "required",
	 .bounds_doc = "Hyperscan syntax, < 1024 B",
	 .doc = "regular expression (Hyperscan: no lookaround, no backreferences, not "
		"empty-matching)"},
	{.path = "validator",
	 .type = HP_CFG_ENUM,
	 PE_FIELD(validator),
	 .def = HP_PII_VAL_NONE,
	 .names = validator_names,
	 .doc = "checksum a match must pass: none, luhn, iban, aba, nhs"},
	{.path = "action",
	 .type = HP_CFG_ENUM,
	 PE_FIELD(action),
	 .def = HP_PII_ACTION_DEFAULT,
	 .names = action_names,
	 .doc = "policy = the endpoint's pii.policy; report, mask or block override it"},
};

const struct hp_cfg_table hp_cfg_pii_entity_schema = {
	.keys = pe_keys,
	.n_keys = sizeof(pe_keys) / sizeof(pe_keys[0]),
};

int
hp_cfg_parse_mask_char(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
		       void *base, const char *dpath)
{
	struct hp_config *cfg = base;
	char desc[96];
	unsigned char c;

	(void)key;
	if (node->type != YAML_SCALAR_NODE || node->data.scalar.length != 1)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must be one ASCII character (one byte), got %s",
				  hp_cfg_node_desc(node, desc, sizeof(desc)));
	c = node->data.scalar.value[0];
	/* a masked value must not read as data, and must keep a JSON string valid */
	if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || (c >= '0' && c <= '9') ||
	    ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
		return hp_cfg_err(
			ctx, &node->start_mark, dpath,
			"must be a printable ASCII symbol other than '\"' and '\\' (not a "
			"letter, digit or space), got %s",
			hp_cfg_node_desc(node, desc, sizeof(desc)));
	cfg->pii.mask_char = (char)c;
	return 0;
}

/* The value of key in mapping node map (the walker refuses duplicate keys), or NULL. */
static yaml_node_t *
cfg_map_get(struct hp_cfg_ctx *ctx, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);

		if (k != NULL && hp_cfg_scalar_is(k, key))
			return yaml_document_get_node(ctx->doc, p->value);
	}
	return NULL;
}

/* Hyperscan's message as one printable line (a byte of the pattern could be quoted in it). */
static void
cfg_clean_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s >= 0x7f)
			*s = '?';
}

static bool
entity_name_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return false;
	return n >= 1 && n < HP_CFG_PII_NAME_LEN;
}

int
hp_cfg_parse_pii_custom(struct hp_cfg_ctx *ctx, const struct hp_cfg_key *key, yaml_node_t *node,
			void *base, const char *dpath)
{
	struct hp_config *cfg = base;
	struct hp_cfg_seen seen[sizeof(pe_keys) / sizeof(pe_keys[0])];
	char ipath[HP_CFG_PATH_MAX + 16], kpath[HP_CFG_PATH_MAX + 32], desc[96];
	yaml_node_item_t *it;
	uint32_t i = 0;
	int rc;

	(void)key;
	if (node->type != YAML_SEQUENCE_NODE)
		return hp_cfg_err(ctx, &node->start_mark, dpath,
				  "must be a list of entity mappings (name, pattern, validator, "
				  "action), got %s",
				  hp_cfg_node_desc(node, desc, sizeof(desc)));
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++, i++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, *it);
		struct hp_pii_custom_entity *ce;
		const struct hp_cfg_seen *sn;

		snprintf(ipath, sizeof(ipath), "%s[%u]", dpath, i);
		if (i >= HP_CFG_PII_MAX_CUSTOM)
			return hp_cfg_err(ctx, item != NULL ? &item->start_mark : &node->start_mark,
					  ipath, "too many custom entities: at most %d",
					  HP_CFG_PII_MAX_CUSTOM);
		if (item == NULL || item->type != YAML_MAPPING_NODE)
			return hp_cfg_err(ctx, item != NULL ? &item->start_mark : &node->start_mark,
					  ipath,
					  "must be a mapping (name, pattern, validator, action), "
					  "got %s",
					  item != NULL ? hp_cfg_node_desc(item, desc, sizeof(desc))
						       : "nothing");
		ce = &cfg->pii.custom[i];
		memset(ce, 0, sizeof(*ce));
		hp_cfg_apply_defaults(&hp_cfg_pii_entity_schema, ce);
		memset(seen, 0, sizeof(seen));
		rc = hp_cfg_walk_map(ctx, &hp_cfg_pii_entity_schema, ce, seen, item, "", ipath);
		if (rc < 0)
			return rc;
		for (size_t k = 0; k < 2; k++) { /* name and pattern are required */
			if (seen[k].set)
				continue;
			snprintf(kpath, sizeof(kpath), "%s.%s", ipath, pe_keys[k].path);
			return hp_cfg_err(ctx, &item->start_mark, kpath, "is required");
		}
		sn = hp_cfg_seen_get(&hp_cfg_pii_entity_schema, seen, "name");
		snprintf(kpath, sizeof(kpath), "%s.name", ipath);
		if (!entity_name_ok(ce->name))
			return hp_cfg_err(ctx, &sn->value_mark, kpath,
					  "must be 1-31 of a-z 0-9 _, got %s",
					  hp_cfg_node_desc(cfg_map_get(ctx, item, "name"), desc,
							   sizeof(desc)));
		if (hp_pii_builtin_from_name(ce->name) >= 0)
			return hp_cfg_err(
				ctx, &sn->value_mark, kpath,
				"\"%s\" is a built-in entity (docs/PII.md); pick another name",
				ce->name);
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(cfg->pii.custom[j].name, ce->name) == 0)
				return hp_cfg_err(ctx, &sn->value_mark, kpath,
						  "\"%s\" is already pii.custom_entities[%u]",
						  ce->name, j);
		cfg->pii.n_custom = i + 1;
		{ /* Hyperscan judges the pattern now: its message names what it refused */
			struct hp_pii_user_entity ue = {
				.name = ce->name,
				.pattern = ce->pattern,
				.validator = (enum hp_pii_validator)ce->validator};
			struct hp_pii_config pc = {.enabled = 0, .user = &ue, .n_user = 1};
			struct hp_pii_db *db = NULL;
			char perr[384];
			const char *msg;

			perr[0] = '\0';
			rc = hp_pii_db_create(&pc, &db, perr, sizeof(perr));
			hp_pii_db_free(db);
			if (rc == 0)
				continue;
			sn = hp_cfg_seen_get(&hp_cfg_pii_entity_schema, seen, "pattern");
			snprintf(kpath, sizeof(kpath), "%s.pattern", ipath);
			/* lib/pii says "pii entity 'x': pattern refused by Hyperscan: ...": the key
			 * path already names the entity's place, the name is said once */
			cfg_clean_line(perr);
			msg = strstr(perr, "': ");
			msg = msg != NULL ? msg + 3 : perr;
			return hp_cfg_err(ctx, &sn->value_mark, kpath, "entity \"%s\": %s%s",
					  ce->name, msg,
					  strstr(msg, "empty buffer") != NULL
						  ? " (a PII pattern must match at least one byte)"
						  : "");
		}
	}
	cfg->pii.n_custom = i;
	return 0;
}

/* Entity id of a name for endpoints[].pii.entities: a built-in, or a custom entity of the
 * top-level pii.custom_entities (looked up in the document, which may list it after the
 * endpoints). -1 if neither. */
int
hp_cfg_pii_entity_id(struct hp_cfg_ctx *ctx, const char *name)
{
	yaml_node_t *list;
	int id = hp_pii_builtin_from_name(name);

	if (id >= 0)
		return id;
	list = cfg_map_get(ctx, cfg_map_get(ctx, yaml_document_get_root_node(ctx->doc), "pii"),
			   "custom_entities");
	if (list == NULL || list->type != YAML_SEQUENCE_NODE)
		return -1;
	/* the same index the item gets when the section is parsed; a list that is refused
	 * there (too long, bad item, duplicate name) fails the load anyway */
	id = 0;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top && id < HP_CFG_PII_MAX_CUSTOM; it++, id++) {
		yaml_node_t *v = cfg_map_get(ctx, yaml_document_get_node(ctx->doc, *it), "name");

		if (v != NULL && hp_cfg_scalar_is(v, name))
			return HP_PII__BUILTIN_COUNT + id;
	}
	return -1;
}

/* Why endpoint ep holds its body in bridge mode: -1 its pii.policy (mask or block), k the
 * action of custom entity k it enables; -2 it holds nothing. Same rules as the dataplane's
 * route table: a custom action applies on endpoints whose policy is not off. */
static int
ep_holds(const struct hp_config *cfg, const struct hp_endpoint_config *ep)
{
	if (ep->pii_policy == HP_PII_POLICY_OFF)
		return -2;
	if (ep->pii_policy == HP_PII_POLICY_MASK || ep->pii_policy == HP_PII_POLICY_BLOCK)
		return -1;
	for (uint32_t k = 0; k < cfg->pii.n_custom; k++) {
		uint32_t a = cfg->pii.custom[k].action;

		if ((ep->pii_entities == 0 ||
		     (ep->pii_entities & (UINT64_C(1) << (HP_PII__BUILTIN_COUNT + k)))) &&
		    (a == HP_PII_ACTION_MASK || a == HP_PII_ACTION_BLOCK))
			return (int)k;
	}
	return -2;
}

int
hp_cfg_check_pii(struct hp_cfg_ctx *ctx, struct hp_config *cfg, const struct hp_cfg_seen *seen)
{
	(void)seen;
	if (cfg->dataplane.mode != HP_MODE_BRIDGE ||
	    cfg->dataplane.reassembly.policy != HP_REASM_LAST)
		return 0;
	for (uint32_t i = 0; i < cfg->n_endpoints; i++) {
		const struct hp_endpoint_config *ep = &cfg->endpoints[i];
		const yaml_mark_t *mark =
			ctx->ep_marks != NULL ? &ctx->ep_marks[i].pii_policy : &ctx->root_mark;
		char kpath[HP_CFG_PATH_MAX], why[96];
		int k = ep_holds(cfg, ep);

		if (k == -2)
			continue;
		snprintf(kpath, sizeof(kpath), "endpoints[%u].pii.policy", i);
		if (k >= 0)
			snprintf(why, sizeof(why), " (pii.custom_entities[%d] \"%s\": action %s)",
				 k, cfg->pii.custom[k].name,
				 action_names[cfg->pii.custom[k].action]);
		else
			why[0] = '\0';
		return hp_cfg_err(ctx, mark, kpath,
				  "masking or blocking holds the body until its verdict%s, and "
				  "dataplane.reassembly.policy last delivers bytes only once the "
				  "server ACKs them, which it cannot do for held bytes: use "
				  "reassembly.policy first",
				  why);
	}
	return 0;
}
