/* SPDX-License-Identifier: BSD-3-Clause
 * Config loader tests: every file of tests/unit/config/valid/ and deploy/examples/ loads,
 * every file of tests/unit/config/invalid/ is refused with the message given on its first
 * line ("# expect: <substring>", optional second line "# errno: <NAME>", default EINVAL),
 * a refused load leaves the previous config byte-identical, and docs/CONFIG.md documents
 * every key of the table.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/cfg_priv.h"
#include "config/hp_config.h"
#include "pii/pii.h"

#define SRC(p) HP_SOURCE_ROOT "/" p

/* Lower bounds on the corpus, so an emptied or misplaced directory fails the test. */
#define MIN_VALID_FILES   4
#define MIN_INVALID_FILES 40

static int
load_str(const char *yaml, struct hp_config *cfg, char *err, size_t errlen)
{
	return hp_config_load_buffer("t.yaml", yaml, strlen(yaml), cfg, err, errlen);
}

/* Sorted entries of dir; returns the count (-1: error), *names to free with free_names(). */
static int
list_yaml(const char *dir, struct dirent ***names)
{
	return scandir(dir, names, NULL, alphasort);
}

static bool
is_yaml(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".yaml") == 0;
}

static void
free_names(struct dirent **names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Load every .yaml of dir; returns the number loaded, counts failures in *failed. */
static int
load_dir_valid(const char *dir, int *failed)
{
	struct dirent **names;
	char path[PATH_MAX], err[512];
	int n, i, loaded = 0;

	n = list_yaml(dir, &names);
	if (n < 0) {
		print_error("cannot list %s\n", dir);
		(*failed)++;
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct hp_config cfg;
		int rc;

		if (!is_yaml(names[i]->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		rc = hp_config_load_file(path, &cfg, err, sizeof(err));
		if (rc != 0) {
			print_error("%s: expected to load, got %d: %s\n", path, rc, err);
			(*failed)++;
		}
		hp_config_free(&cfg);
		loaded++;
	}
	free_names(names, n);
	return loaded;
}

static void
test_valid_files(void **state)
{
	int failed = 0, n;

	(void)state;
	n = load_dir_valid(SRC("tests/unit/config/valid"), &failed);
	assert_true(n >= MIN_VALID_FILES);
	n = load_dir_valid(SRC("deploy/examples"), &failed);
	assert_true(n >= 2);
	assert_int_equal(failed, 0);
}

static void
test_defaults(void **state)
{
	struct hp_config cfg;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	hp_config_defaults(&cfg);
	assert_int_equal(cfg.dataplane.mode, HP_MODE_BRIDGE);
	assert_int_equal(cfg.dataplane.n_pairs, 0);
	assert_int_equal(cfg.dataplane.n_ports, 0);
	assert_int_equal(cfg.dataplane.workers, 0);
	assert_int_equal(cfg.dataplane.mtu, 1500);
	assert_int_equal(cfg.dataplane.burst, 32);
	assert_int_equal(cfg.dataplane.rx_desc, 1024);
	assert_int_equal(cfg.dataplane.tx_desc, 1024);
	assert_int_equal(cfg.dataplane.mbufs, 0);
	assert_int_equal(cfg.dataplane.mbuf_cache, 256);
	assert_int_equal(cfg.dataplane.tx_drain_us, 100);
	assert_int_equal(cfg.dataplane.dispatch_ring, 4096);
	assert_true(cfg.dataplane.checksum_validation);
	assert_int_equal(cfg.dataplane.on_malformed, HP_MALFORMED_DROP);
	assert_true(cfg.dataplane.defrag.enabled);
	assert_int_equal(cfg.dataplane.defrag.max_flows, 1024);
	assert_int_equal(cfg.dataplane.defrag.timeout_ms, 2000);
	assert_int_equal(cfg.control.stats_interval_s, 0);
	assert_int_equal(cfg.pii.mask_char, '*');
	assert_int_equal(cfg.pii.max_held_segments, 64);
	assert_int_equal(cfg.pii.n_custom, 0);
	hp_config_free(&cfg);
}

/* minimal.yaml: only the required key; everything else is the default. */
static void
test_valid_minimal_values(void **state)
{
	struct hp_config cfg, def;
	char err[256];

	(void)state;
	assert_int_equal(hp_config_load_file(SRC("tests/unit/config/valid/minimal.yaml"), &cfg, err,
					     sizeof(err)),
			 0);
	hp_config_defaults(&def);
	assert_int_equal(cfg.dataplane.n_pairs, 1);
	assert_int_equal(cfg.dataplane.pairs[0][0], 0);
	assert_int_equal(cfg.dataplane.pairs[0][1], 1);
	assert_int_equal(cfg.dataplane.n_ports, 2);
	/* apart from the pairs and the ports filled from them, it is the defaults */
	def.dataplane.n_pairs = 1;
	def.dataplane.pairs[0][1] = 1;
	def.dataplane.n_ports = 2;
	def.dataplane.ports[1] = 1;
	assert_memory_equal(&cfg, &def, sizeof(cfg));
}

/* pii_custom.yaml: custom entities get ids after the built-ins, in list order, and endpoints
 * name them (the pii section comes after the endpoints in the file). */
static void
test_valid_pii_values(void **state)
{
	struct hp_config cfg;
	char err[512];
	const uint64_t custom0 = UINT64_C(1) << HP_PII__BUILTIN_COUNT;

	(void)state;
	assert_int_equal(hp_config_load_file(SRC("tests/unit/config/valid/pii_custom.yaml"), &cfg,
					     err, sizeof(err)),
			 0);
	assert_int_equal(cfg.pii.mask_char, '#');
	assert_int_equal(cfg.pii.max_held_segments, 128);
	assert_int_equal(cfg.pii.n_custom, 3);
	assert_string_equal(cfg.pii.custom[1].name, "internal_token");
	assert_string_equal(cfg.pii.custom[1].pattern, "itk_[A-Za-z0-9]{24}");
	assert_int_equal(cfg.pii.custom[0].action, HP_PII_ACTION_REPORT);
	assert_int_equal(cfg.pii.custom[1].action, HP_PII_ACTION_BLOCK);
	assert_int_equal(cfg.pii.custom[2].action, HP_PII_ACTION_DEFAULT);
	assert_int_equal(cfg.pii.custom[2].validator, HP_PII_VAL_LUHN);
	assert_int_equal(cfg.endpoints[0].pii_policy, HP_PII_POLICY_MASK);
	assert_true(cfg.endpoints[0].pii_entities ==
		    ((UINT64_C(1) << HP_PII_CREDIT_CARD) | (UINT64_C(1) << HP_PII_EMAIL) | custom0 |
		     custom0 << 1));
	assert_int_equal(cfg.endpoints[1].pii_policy, HP_PII_POLICY_BLOCK);
	assert_true(cfg.endpoints[1].pii_entities ==
		    ((UINT64_C(1) << HP_PII_US_SSN) | custom0 << 2));
	assert_int_equal(cfg.endpoints[2].pii_entities, 0);
	hp_config_free(&cfg);

	/* the pii section before the endpoints; report and off endpoints pass reassembly last */
	assert_int_equal(hp_config_load_file(SRC("tests/unit/config/valid/pii_policy_last.yaml"),
					     &cfg, err, sizeof(err)),
			 0);
	assert_int_equal(cfg.pii.mask_char, '~');
	assert_int_equal(cfg.pii.max_held_segments, 1024);
	assert_int_equal(cfg.pii.n_custom, 2);
	assert_int_equal(cfg.pii.custom[0].action, HP_PII_ACTION_MASK);
	assert_int_equal(cfg.pii.custom[1].validator, HP_PII_VAL_NHS);
	assert_int_equal(cfg.endpoints[0].pii_policy, HP_PII_POLICY_REPORT);
	assert_true(cfg.endpoints[0].pii_entities ==
		    ((UINT64_C(1) << HP_PII_EMAIL) | custom0 << 1));
	assert_int_equal(cfg.endpoints[1].pii_policy, HP_PII_POLICY_OFF);
	hp_config_free(&cfg);

	/* ... but enabling the masking entity (here: every entity, the default) is refused */
	assert_int_equal(load_str("dataplane: {port_pairs: [[0, 1]], reassembly: {policy: last}}\n"
				  "pii: {custom_entities: [{name: cr, pattern: 'CR-[0-9]+', "
				  "action: mask}]}\n"
				  "endpoints: [{name: r, provider: none, pii: {policy: report}}]\n",
				  &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:3:53: endpoints[0].pii.policy: masking or blocking "
				 "holds the body until its verdict (pii.custom_entities[0] "
				 "\"cr\": action mask), and dataplane.reassembly.policy last "
				 "delivers bytes only once the server ACKs them, which it cannot "
				 "do for held bytes: use reassembly.policy first");
}

/* bridge_full.yaml: every key set; ports are filled from the pairs in order. */
static void
test_valid_bridge_values(void **state)
{
	static const uint16_t ports[] = {2, 3, 0, 1, 7, 31};
	struct hp_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(hp_config_load_file(SRC("tests/unit/config/valid/bridge_full.yaml"), &cfg,
					     err, sizeof(err)),
			 0);
	assert_int_equal(cfg.dataplane.mode, HP_MODE_BRIDGE);
	assert_int_equal(cfg.dataplane.n_pairs, 3);
	assert_int_equal(cfg.dataplane.pairs[0][0], 2);
	assert_int_equal(cfg.dataplane.pairs[0][1], 3);
	assert_int_equal(cfg.dataplane.pairs[2][0], 7);
	assert_int_equal(cfg.dataplane.pairs[2][1], 31);
	assert_int_equal(cfg.dataplane.n_ports, 6);
	assert_memory_equal(cfg.dataplane.ports, ports, sizeof(ports));
	assert_int_equal(cfg.dataplane.workers, 4);
	assert_int_equal(cfg.dataplane.mtu, 9000);
	assert_int_equal(cfg.dataplane.burst, 64);
	assert_int_equal(cfg.dataplane.rx_desc, 2048);
	assert_int_equal(cfg.dataplane.tx_desc, 512);
	assert_int_equal(cfg.dataplane.mbufs, 65536);
	assert_int_equal(cfg.dataplane.mbuf_cache, 128);
	assert_int_equal(cfg.dataplane.tx_drain_us, 50);
	assert_int_equal(cfg.dataplane.dispatch_ring, 8192);
	assert_false(cfg.dataplane.checksum_validation);
	assert_int_equal(cfg.dataplane.on_malformed, HP_MALFORMED_FORWARD);
	assert_false(cfg.dataplane.defrag.enabled);
	assert_int_equal(cfg.dataplane.defrag.max_flows, 1048576);
	assert_int_equal(cfg.dataplane.defrag.timeout_ms, 60000);
	assert_int_equal(cfg.control.stats_interval_s, 10);
}

/* tap_auto.yaml: tap with ports, "auto" stored as 0. */
static void
test_valid_tap_values(void **state)
{
	struct hp_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(hp_config_load_file(SRC("tests/unit/config/valid/tap_auto.yaml"), &cfg,
					     err, sizeof(err)),
			 0);
	assert_int_equal(cfg.dataplane.mode, HP_MODE_TAP);
	assert_int_equal(cfg.dataplane.n_pairs, 0);
	assert_int_equal(cfg.dataplane.n_ports, 3);
	assert_int_equal(cfg.dataplane.ports[0], 5);
	assert_int_equal(cfg.dataplane.ports[1], 0);
	assert_int_equal(cfg.dataplane.ports[2], 31);
	assert_int_equal(cfg.dataplane.workers, 0);
	assert_int_equal(cfg.dataplane.mbufs, 0);
	assert_int_equal(cfg.dataplane.mbuf_cache, 0);
	assert_true(cfg.dataplane.checksum_validation);
}

/* First line "# expect: TEXT", optional second "# errno: NAME". */
static int
read_expectation(const char *path, char *expect, size_t len, int *want_rc)
{
	static const struct {
		const char *name;
		int rc;
	} errnos[] = {{"EINVAL", -EINVAL}, {"ENOENT", -ENOENT}, {"EISDIR", -EISDIR}};
	char line[512];
	FILE *f;
	size_t n, i;
	int rc = -1;

	*want_rc = -EINVAL;
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL || strncmp(line, "# expect: ", 10) != 0)
		goto out;
	n = strcspn(line + 10, "\n");
	if (n == 0 || n >= len)
		goto out;
	memcpy(expect, line + 10, n);
	expect[n] = '\0';
	if (fgets(line, sizeof(line), f) != NULL && strncmp(line, "# errno: ", 9) == 0) {
		line[9 + strcspn(line + 9, "\n")] = '\0';
		for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
			if (strcmp(line + 9, errnos[i].name) == 0)
				break;
		if (i == sizeof(errnos) / sizeof(errnos[0]))
			goto out;
		*want_rc = errnos[i].rc;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

static void
test_invalid_files(void **state)
{
	const char *dir = SRC("tests/unit/config/invalid");
	struct dirent **names;
	char path[PATH_MAX], err[512], expect[400];
	int n, i, checked = 0, failed = 0;

	(void)state;
	n = list_yaml(dir, &names);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		struct hp_config cfg, before;
		int rc, want;

		if (!is_yaml(names[i]->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		checked++;
		if (read_expectation(path, expect, sizeof(expect), &want) < 0) {
			print_error("%s: first line must be \"# expect: <text>\"\n", path);
			failed++;
			continue;
		}
		memset(&cfg, 0x5a, sizeof(cfg));
		before = cfg;
		rc = hp_config_load_file(path, &cfg, err, sizeof(err));
		if (rc != want) {
			print_error("%s: expected %d, got %d: %s\n", path, want, rc, err);
			failed++;
		} else if (strstr(err, expect) == NULL) {
			print_error("%s: message \"%s\" lacks \"%s\"\n", path, err, expect);
			failed++;
		} else if (strncmp(err, path, strlen(path)) != 0 || strchr(err, '\n') != NULL) {
			print_error("%s: message must be one line starting with the path: %s\n",
				    path, err);
			failed++;
		} else if (memcmp(&cfg, &before, sizeof(cfg)) != 0) {
			print_error("%s: refused load modified the config\n", path);
			failed++;
		}
	}
	free_names(names, n);
	assert_true(checked >= MIN_INVALID_FILES);
	assert_int_equal(failed, 0);
}

static void
test_missing_file(void **state)
{
	const char *path = "/nonexistent/hookpath/cfg.yaml";
	struct hp_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(hp_config_load_file(path, &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));
	assert_int_equal(hp_config_load_file(SRC("tests/unit/config"), &cfg, err, sizeof(err)),
			 -EISDIR);
}

/* A refused load must not touch a config loaded before (byte for byte). */
static void
test_refused_load_keeps_config(void **state)
{
	static const char *const bad[] = {
		/* fails late: after every key was parsed into the temporary */
		"dataplane: {mode: bridge, mtu: 9000, workers: 2}\n",
		"dataplane: {port_pairs: [[4, 5]], mtu: 9000, mbufs: 1024, workers: 8}\n",
		"dataplane: {port_pairs: [[4, 5]], mtu: 9000, defrag: {max_flows: 0}}\n",
		"dataplane: {port_pairs: [[4, 5], [6, 4]]}\n",
		"",
	};
	struct hp_config cfg, snap;
	char err[256];
	size_t i;

	(void)state;
	assert_int_equal(
		load_str("dataplane: {port_pairs: [[0, 1]], mtu: 1400}\n", &cfg, err, sizeof(err)),
		0);
	memcpy(&snap, &cfg, sizeof(cfg));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load_str(bad[i], &cfg, err, sizeof(err)), -EINVAL);
		assert_memory_equal(&cfg, &snap, sizeof(cfg));
	}
	assert_int_equal(hp_config_load_file("/nonexistent.yaml", &cfg, err, sizeof(err)), -ENOENT);
	assert_memory_equal(&cfg, &snap, sizeof(cfg));
}

/* Exact message shape, including line and column. */
static void
test_message_format(void **state)
{
	struct hp_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(load_str("dataplane:\n  port_pairs: [[0, 1]]\n  defrag:\n"
				  "    max_flows: 0\n",
				  &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:4:16: dataplane.defrag.max_flows: must be an integer "
				 "in [1, 1048576], got \"0\"");
	assert_int_equal(load_str("dataplane:\n  flowz: 1\n", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(
		err, "t.yaml:2:3: dataplane.flowz: unknown key (did you mean dataplane.flows?)");
	assert_int_equal(load_str("dataplane:\n  rx_desc: 1000\n", &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:2:12: dataplane.rx_desc: must be a power of 2 in "
				 "[64, 16384], got \"1000\"");
	/* Hyperscan's own message, at the pattern, naming the entity */
	assert_int_equal(load_str("dataplane: {mode: tap}\npii:\n  custom_entities:\n"
				  "    - {name: ok, pattern: 'x[0-9]+'}\n"
				  "    - {name: ref, pattern: 'a(b'}\n",
				  &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:5:28: pii.custom_entities[1].pattern: entity "
				 "\"ref\": pattern refused by Hyperscan: Missing close "
				 "parenthesis for group started at index 1.");
	/* a custom name unknown to an endpoint that comes before the pii section */
	assert_int_equal(load_str("dataplane: {mode: tap}\nendpoints:\n"
				  "  - {name: s, provider: none, pii: {entities: [email, reff]}}\n"
				  "pii: {custom_entities: [{name: ref, pattern: 'R-[0-9]+'}]}\n",
				  &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:3:55: endpoints[0].pii.entities[1]: unknown entity "
				 "\"reff\" (not built-in, see docs/PII.md, nor in "
				 "pii.custom_entities)");
}

/* Truncated, absent and tiny error buffers are safe; the buffer need not end in NUL. */
static void
test_error_buffers(void **state)
{
	const char yaml[] = "dataplane: {mtu: 1}XXXX";
	struct hp_config cfg;
	char err[8];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(hp_config_load_buffer("t", yaml, strlen(yaml) - 4, &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(hp_config_load_buffer("t", yaml, strlen(yaml) - 4, &cfg, NULL, 0),
			 -EINVAL);
	assert_int_equal(hp_config_load_buffer(NULL, NULL, 0, &cfg, err, sizeof(err)), -EINVAL);
	assert_int_equal(hp_config_load_buffer("t", yaml, 4, NULL, NULL, 0), -EINVAL);
	hp_config_free(NULL);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(hp_mode_name(HP_MODE_BRIDGE), "bridge");
	assert_string_equal(hp_mode_name(HP_MODE_TAP), "tap");
	assert_string_equal(hp_mode_name((enum hp_mode)7), "unknown");
	assert_string_equal(hp_malformed_action_name(HP_MALFORMED_DROP), "drop");
	assert_string_equal(hp_malformed_action_name(HP_MALFORMED_FORWARD), "forward");
	assert_string_equal(hp_malformed_action_name((enum hp_malformed_action)9), "unknown");
}

/* The table is well formed: unique paths, no key doubling as a section, sane fields. */
static void
test_schema_table(void **state)
{
	const struct hp_cfg_table *t = &hp_cfg_schema;
	size_t i, j;

	(void)state;
	assert_true(t->n_keys >= 18);
	for (i = 0; i < t->n_keys; i++) {
		const struct hp_cfg_key *k = &t->keys[i];
		size_t n = strlen(k->path);

		assert_non_null(k->doc);
		assert_true(n > 0 && n < HP_CFG_PATH_MAX);
		for (j = 0; j < t->n_keys; j++) {
			if (i != j) {
				assert_string_not_equal(k->path, t->keys[j].path);
				assert_false(strncmp(t->keys[j].path, k->path, n) == 0 &&
					     t->keys[j].path[n] == '.');
			}
		}
		switch (k->type) {
		case HP_CFG_UINT:
			assert_true(k->size == 1 || k->size == 2 || k->size == 4);
			assert_true(k->min <= k->max);
			assert_true(k->def == 0 ? (k->flags & HP_CFG_F_AUTO) || k->min == 0
						: k->def >= k->min && k->def <= k->max);
			if (k->flags & HP_CFG_F_POW2)
				assert_true((k->def & (k->def - 1)) == 0);
			break;
		case HP_CFG_BOOL:
			assert_int_equal(k->size, sizeof(bool));
			break;
		case HP_CFG_ENUM:
			assert_int_equal(k->size, 4);
			assert_non_null(k->names[k->def]);
			break;
		case HP_CFG_CUSTOM:
			assert_non_null(k->parse);
			assert_non_null(k->type_doc);
			assert_non_null(k->def_doc);
			assert_non_null(k->bounds_doc);
			break;
		}
	}
}

/* describe: one line per key, in table order, with its default. */
static void
test_describe(void **state)
{
	const struct hp_cfg_table *t = &hp_cfg_schema;
	char *text = NULL, *line, *save = NULL, def[64];
	size_t len = 0, i = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	hp_config_describe(f);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		const struct hp_cfg_key *k;

		size_t ne = hp_cfg_endpoint_schema.n_keys;

		assert_true(i < t->n_keys + ne + hp_cfg_pii_entity_schema.n_keys);
		if (i < t->n_keys) {
			k = &t->keys[i];
			assert_int_equal(strncmp(line, k->path, strlen(k->path)), 0);
		} else if (i < t->n_keys + ne) { /* then the keys of one endpoint, prefixed */
			k = &hp_cfg_endpoint_schema.keys[i - t->n_keys];
			assert_int_equal(strncmp(line, "endpoints[].", 12), 0);
			assert_int_equal(strncmp(line + 12, k->path, strlen(k->path)), 0);
		} else { /* then those of one custom PII entity */
			k = &hp_cfg_pii_entity_schema.keys[i - t->n_keys - ne];
			assert_int_equal(strncmp(line, "pii.custom_entities[].", 22), 0);
			assert_int_equal(strncmp(line + 22, k->path, strlen(k->path)), 0);
		}
		assert_non_null(strstr(line, hp_cfg_key_default(k, def, sizeof(def))));
		i++;
	}
	assert_int_equal(i, t->n_keys + hp_cfg_endpoint_schema.n_keys +
				    hp_cfg_pii_entity_schema.n_keys);
	free(text);
}

/* docs/CONFIG.md has a table row "| `key` | type | `default` | bounds | ..." for every key of
 * the schema, with the same type, default and bounds as the table. */
static int
docs_cover_table(const struct hp_cfg_table *t, const char *prefix)
{
	char line[1024], want[192], type[64], def[64], bounds[64];
	size_t i, found;
	int failed = 0;
	FILE *f;

	for (i = 0; i < t->n_keys; i++) {
		const struct hp_cfg_key *k = &t->keys[i];

		f = fopen(SRC("docs/CONFIG.md"), "r");
		assert_non_null(f);
		snprintf(want, sizeof(want), "| `%s%s` | %s | `%s` | %s |", prefix, k->path,
			 hp_cfg_key_type(k, type, sizeof(type)),
			 hp_cfg_key_default(k, def, sizeof(def)),
			 hp_cfg_key_bounds(k, bounds, sizeof(bounds)));
		found = 0;
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, want, strlen(want)) == 0)
				found++;
		fclose(f);
		if (found != 1) {
			print_error("docs/CONFIG.md: want one row starting \"%s\", found %zu\n",
				    want, found);
			failed++;
		}
	}
	return failed;
}

/* ... and for every key of an endpoint, as "endpoints[].<key>". */
static void
test_docs_cover_schema(void **state)
{
	(void)state;
	assert_int_equal(
		docs_cover_table(&hp_cfg_schema, "") +
			docs_cover_table(&hp_cfg_endpoint_schema, "endpoints[].") +
			docs_cover_table(&hp_cfg_pii_entity_schema, "pii.custom_entities[]."),
		0);
}

/* Redis URLs: the parts each form gives, and the forms refused. */
static void
test_redis_urls(void **state)
{
	static const struct {
		const char *url, *host, *sock, *user, *password;
		int port, db;
	} ok[] = {
		{"redis://127.0.0.1:6379", "127.0.0.1", "", "", "", 6379, 0},
		{"redis://h.example:1/15", "h.example", "", "", "", 1, 15},
		{"redis://:pw@127.0.0.1:7000/2", "127.0.0.1", "", "", "pw", 7000, 2},
		{"redis://hookpath:p%40ss%3Aw@[::1]:6380", "::1", "", "hookpath", "p@ss:w", 6380,
		 0},
		{"redis://u:a@b@10.0.0.1:1", "10.0.0.1", "", "u", "a@b", 1, 0},
		{"unix:///run/redis/redis.sock", "", "/run/redis/redis.sock", "", "", 0, 0},
		{"unix://:pw@/tmp/r.sock?db=3", "", "/tmp/r.sock", "", "pw", 0, 3},
	};
	static const char *const bad[] = {
		"redis://127.0.0.1",
		"redis://127.0.0.1:0",
		"redis://127.0.0.1:65536",
		"redis://127.0.0.1:1/16",
		"redis://127.0.0.1:1/x",
		"redis://user@127.0.0.1:1",
		"redis://:@127.0.0.1:1",
		"redis://:p%4@h:1",
		"redis://:p%00@h:1",
		"redis://[::1:6379",
		"redis://h :1",
		"http://h:1",
		"unix://relative.sock",
		"unix:///s.sock?db=99",
		"unix:///s.sock?x=1",
		"redis://:1",
	};
	struct hp_redis_url u;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (hp_redis_url_parse(ok[i].url, &u, &why) != 0)
			fail_msg("%s refused", ok[i].url);
		assert_string_equal(u.host, ok[i].host);
		assert_string_equal(u.unix_path, ok[i].sock);
		assert_string_equal(u.user, ok[i].user);
		assert_string_equal(u.password, ok[i].password);
		assert_int_equal(u.port, ok[i].port);
		assert_int_equal(u.db, ok[i].db);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (hp_redis_url_parse(bad[i], &u, &why) == 0)
			fail_msg("%s accepted", bad[i]);
		assert_non_null(strstr(why, "redis://"));
	}
}

/* A refusal is one line whatever a key or a value holds: a YAML string may carry newlines
 * (fuzz_config found "github\neade" echoed into the message). */
static void
test_messages_one_line(void **state)
{
	static const char *const bad[] = {
		"endpoints:\n  - name: a\n    provider: \"github\\nX-Forged: 1\"\n",
		"dataplane: {mode: tap}\n\"a\\nb\": 1\n",
		"dataplane: {mode: \"tap\\r\\n\"}\n",
	};
	struct hp_config cfg;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(err, 0, sizeof(err));
		assert_int_equal(load_str(bad[i], &cfg, err, sizeof(err)), -EINVAL);
		if (strpbrk(err, "\r\n") != NULL)
			fail_msg("case %zu: message of two lines: %s", i, err);
		assert_non_null(strstr(err, "\\x0a"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_messages_one_line),
		cmocka_unit_test(test_valid_files),
		cmocka_unit_test(test_valid_minimal_values),
		cmocka_unit_test(test_valid_bridge_values),
		cmocka_unit_test(test_valid_pii_values),
		cmocka_unit_test(test_valid_tap_values),
		cmocka_unit_test(test_invalid_files),
		cmocka_unit_test(test_redis_urls),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_refused_load_keeps_config),
		cmocka_unit_test(test_message_format),
		cmocka_unit_test(test_error_buffers),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_schema_table),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_docs_cover_schema),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
