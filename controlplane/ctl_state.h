/* SPDX-License-Identifier: BSD-3-Clause
 * The state file (control.state_file): what the REST API changed in the running configuration
 * (the endpoints with their secrets, the live limits) and the key of the secret ids, kept
 * across restarts so that a restart never brings back a retired secret nor renames one.
 *
 * One JSON object, written whole (file.tmp, fsync, rename, fsync of the directory), mode 0600
 * in a 0700 directory (it holds secrets); read at start, refused when it is not private or not
 * what hookpath wrote (hookpath does not start: it cannot know which secrets were retired).
 *
 *   {"hookpath_state": 1, "instance": "...", "id_key": "<64 hex>",
 *    "file": "/etc/hookpath/hookpath.yaml", "file_live_sha256": "<64 hex>",
 *    "changed_at": "2026-12-05T06:00:00Z",
 *    "live": {"endpoints": [...], "limits": {"pii.max_held_segments": 64, ...}}}
 *
 * "live" is there once the API changed something; file_live_sha256 is the hash of the
 * configuration file's own endpoints and limits when it did. Precedence (ctl_cfgapi.c): the
 * API's changes win while the file's endpoints and limits are still those; once they are
 * edited, the file wins (at the next start or reload) and the API's are set aside in
 * file.old.
 */
#ifndef HP_CTL_STATE_H
#define HP_CTL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hp_config.h"

struct hp_state {
	char path[HP_CFG_PATH_LEN]; /* "" = not kept (control.state_file: none) */
	uint8_t id_key[32];         /* the secret ids' HMAC key */
	char file_hash[65];         /* file_live_sha256 ("" = none yet) */
	char changed_at[32];        /* "" = no API change kept */
	json_t *live;               /* NULL = none */
	bool unsaved;               /* a new key, not in the file yet (hp_state_save writes it) */
};

/* The state at path (control.state_file resolved; "" = not kept: a key drawn for this run):
 * read when the file is there, else a new key, unsaved: the file is written at the first
 * save (the first secret id shown, the first API change), so an instance that never uses
 * the API writes nothing; its directory must be writable (or creatable) all the same. 0, or
 * -1 with a message naming control.state_file. */
int hp_state_load(struct hp_state *st, const char *path, const char *instance, char *err,
		  size_t errlen);

/* Write st whole (live may be NULL): 0, or -1 with a message. Nothing when not kept. */
int hp_state_save(struct hp_state *st, const char *instance, const char *file, char *err,
		  size_t errlen);

/* Copy the file as it is to path.old (the API's changes the configuration file overrode). */
int hp_state_set_aside(const struct hp_state *st, char *err, size_t errlen);

void hp_state_free(struct hp_state *st);

/* The UTC time t as 2026-12-05T06:00:00Z. */
void hp_state_time(int64_t t, char *buf, size_t len);

#endif /* HP_CTL_STATE_H */
