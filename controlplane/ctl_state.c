/* SPDX-License-Identifier: BSD-3-Clause
 * The state file (ctl_state.h): read, checked, written whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "ctl_state.h"

#define STATE_VERSION 1
#define STATE_MAX     (16u << 20) /* bytes: 256 endpoints of 8 secrets fit many times */

void
hp_state_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
hex_decode(const char *s, uint8_t *out, size_t n)
{
	if (s == NULL || strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static bool
is_hex64(const char *s)
{
	if (s == NULL || strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The directory of path, created (0700 for the last level) when missing. */
static int
make_dir(const char *path, char *err, size_t errlen)
{
	char buf[HP_CFG_PATH_LEN], *dir;
	struct stat sb;

	snprintf(buf, sizeof(buf), "%s", path);
	dir = dirname(buf);
	if (stat(dir, &sb) == 0)
		return S_ISDIR(sb.st_mode) ? 0
					   : (snprintf(err, errlen,
						       "control.state_file: %s: not a "
						       "directory",
						       dir),
					      -1);
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "control.state_file: cannot create %s: %s", dir,
				 strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "control.state_file: cannot create %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int
read_state(struct hp_state *st, const char *path, char *err, size_t errlen)
{
	struct stat sb;
	json_error_t je;
	json_t *j, *live;
	const char *key, *hash, *at;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) != 0) {
		snprintf(err, errlen, "control.state_file: %s: cannot read it: %s", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_uid != geteuid() && sb.st_uid != 0) ||
	    (sb.st_mode & (S_IRWXG | S_IRWXO)) || sb.st_size > STATE_MAX) {
		snprintf(err, errlen,
			 "control.state_file: %s: must be a regular file of this user or root, "
			 "mode 0600, at most %u MiB (it holds secrets; mode now %03o)",
			 path, STATE_MAX >> 20, (unsigned int)(sb.st_mode & 0777));
		close(fd);
		return -1;
	}
	j = json_loadfd(fd, JSON_REJECT_DUPLICATES, &je);
	close(fd);
	if (j == NULL) {
		snprintf(err, errlen,
			 "control.state_file: %s: not JSON (line %d: %s); move it away to start "
			 "from the configuration file alone",
			 path, je.line, je.text);
		return -1;
	}
	key = json_string_value(json_object_get(j, "id_key"));
	hash = json_string_value(json_object_get(j, "file_live_sha256"));
	at = json_string_value(json_object_get(j, "changed_at"));
	live = json_object_get(j, "live");
	if (json_integer_value(json_object_get(j, "hookpath_state")) != STATE_VERSION ||
	    !is_hex64(key) || (hash != NULL && !is_hex64(hash)) ||
	    (live != NULL &&
	     (!json_is_object(live) || !json_is_array(json_object_get(live, "endpoints")) ||
	      !json_is_object(json_object_get(live, "limits")) || hash == NULL))) {
		snprintf(err, errlen,
			 "control.state_file: %s: not a hookpath state file of version %d; move it "
			 "away to start from the configuration file alone",
			 path, STATE_VERSION);
		json_decref(j);
		return -1;
	}
	hex_decode(key, st->id_key, sizeof(st->id_key));
	snprintf(st->file_hash, sizeof(st->file_hash), "%s", hash != NULL ? hash : "");
	snprintf(st->changed_at, sizeof(st->changed_at), "%s", at != NULL ? at : "");
	st->live = live != NULL ? json_incref(live) : NULL;
	json_decref(j); /* jansson does not wipe: the secrets stay in freed memory, never logged */
	return 0;
}

int
hp_state_load(struct hp_state *st, const char *path, const char *instance, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->path, sizeof(st->path), "%s", path);
	(void)instance;
	if (path[0] != '\0' && access(path, F_OK) == 0)
		return read_state(st, path, err, errlen);
	if (RAND_bytes(st->id_key, sizeof(st->id_key)) != 1) {
		snprintf(err, errlen, "cannot draw the secret id key");
		return -1;
	}
	if (path[0] != '\0') {
		/* the nearest directory that exists must let us write there (mkdir -p, create) */
		char d[HP_CFG_PATH_LEN], *slash;

		snprintf(d, sizeof(d), "%s", path);
		do {
			slash = strrchr(d, '/');
			if (slash == NULL || slash == d) {
				snprintf(d, sizeof(d), "/");
				break;
			}
			*slash = '\0';
		} while (access(d, F_OK) != 0);
		if (access(d, W_OK | X_OK) != 0) {
			snprintf(err, errlen, "control.state_file: %s: cannot write in %s: %s",
				 path, d, strerror(errno));
			return -1;
		}
		st->unsaved = true;
	}
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* path's bytes to path.tmp, synced, renamed over path, the directory synced. */
static int
write_file(const char *path, const char *text, char *err, size_t errlen)
{
	char tmp[HP_CFG_PATH_LEN + 8], dbuf[HP_CFG_PATH_LEN];
	int fd, dfd;

	if (make_dir(path, err, errlen) != 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0 || write_all(fd, text, strlen(text)) != 0 ||
	    fsync(fd) != 0) {
		snprintf(err, errlen, "control.state_file: cannot write %s: %s", tmp,
			 strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "control.state_file: cannot rename %s to %s: %s", tmp, path,
			 strerror(errno));
		unlink(tmp);
		return -1;
	}
	snprintf(dbuf, sizeof(dbuf), "%s", path);
	dfd = open(dirname(dbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int
hp_state_save(struct hp_state *st, const char *instance, const char *file, char *err, size_t errlen)
{
	char key[65];
	json_t *j;
	char *text;
	int rc;

	if (st->path[0] == '\0')
		return 0;
	for (size_t i = 0; i < sizeof(st->id_key); i++)
		snprintf(key + 2 * i, 3, "%02x", st->id_key[i]);
	j = json_pack("{s:i,s:s,s:s}", "hookpath_state", STATE_VERSION, "instance",
		      instance != NULL ? instance : "", "id_key", key);
	explicit_bzero(key, sizeof(key));
	if (j == NULL) {
		snprintf(err, errlen, "control.state_file: out of memory");
		return -1;
	}
	if (file != NULL)
		json_object_set_new(j, "file", json_string(file));
	if (st->file_hash[0] != '\0')
		json_object_set_new(j, "file_live_sha256", json_string(st->file_hash));
	if (st->live != NULL) {
		json_object_set_new(j, "changed_at", json_string(st->changed_at));
		json_object_set(j, "live", st->live);
	}
	text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(j);
	if (text == NULL) {
		snprintf(err, errlen, "control.state_file: out of memory");
		return -1;
	}
	rc = write_file(st->path, text, err, errlen);
	explicit_bzero(text, strlen(text));
	free(text);
	if (rc == 0)
		st->unsaved = false;
	return rc;
}

int
hp_state_set_aside(const struct hp_state *st, char *err, size_t errlen)
{
	char old[HP_CFG_PATH_LEN + 8];

	if (st->path[0] == '\0')
		return 0;
	snprintf(old, sizeof(old), "%s.old", st->path);
	unlink(old);
	if (link(st->path, old) != 0) {
		snprintf(err, errlen, "control.state_file: cannot keep %s as %s: %s", st->path, old,
			 strerror(errno));
		return -1;
	}
	return 0;
}

void
hp_state_free(struct hp_state *st)
{
	json_decref(st->live);
	st->live = NULL;
	explicit_bzero(st->id_key, sizeof(st->id_key));
}
