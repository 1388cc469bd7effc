/* SPDX-License-Identifier: BSD-3-Clause
 * Redis URLs (sinks.redis.url, replay_cache.global.url, tokens.redis_url), see hp_config.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hp_config.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode s[0, n) into dst (at most len - 1 bytes): 0, or -1 (a bad escape, a NUL,
 * too long). */
static int
decode(char *dst, size_t len, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0 || o + 1 >= len)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

/* "?db=N" or "/N": the database, 0-15. */
static int
parse_db(const char *s, int *db)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || *end != '\0' || v > 15 || !isdigit((unsigned char)s[0]))
		return -1;
	*db = (int)v;
	return 0;
}

int
hp_redis_url_parse(const char *url, struct hp_redis_url *u, const char **why)
{
	const char *p, *at, *rest, *colon;
	int unix_sock;
	size_t n;

	memset(u, 0, sizeof(*u));
	*why = "redis://[[user]:password@]host:port[/db] or unix://[[user]:password@]/path[?db=N] "
	       "(db 0-15; %XX escapes in user and password)";
	if (!strncmp(url, "redis://", 8)) {
		unix_sock = 0;
		p = url + 8;
	} else if (!strncmp(url, "unix://", 7)) {
		unix_sock = 1;
		p = url + 7;
	} else {
		return -1;
	}
	for (const char *c = p; *c != '\0'; c++)
		if (!isgraph((unsigned char)*c))
			return -1;
	/* credentials: up to the last '@' (the host never holds one; a password may, escaped
	 * as %40 or not) */
	at = strrchr(p, '@');
	if (at != NULL) {
		const char *sep = memchr(p, ':', (size_t)(at - p));

		if (sep == NULL) /* user without password: refused (nothing to AUTH with) */
			return -1;
		if (decode(u->user, sizeof(u->user), p, (size_t)(sep - p)) != 0 ||
		    decode(u->password, sizeof(u->password), sep + 1, (size_t)(at - sep - 1)) !=
			    0 ||
		    u->password[0] == '\0')
			return -1;
		p = at + 1;
	}
	if (unix_sock) {
		const char *q = strchr(p, '?');

		n = q != NULL ? (size_t)(q - p) : strlen(p);
		if (p[0] != '/' || n < 2 || n >= sizeof(u->unix_path))
			return -1;
		memcpy(u->unix_path, p, n);
		u->unix_path[n] = '\0';
		if (q != NULL && (strncmp(q, "?db=", 4) != 0 || parse_db(q + 4, &u->db) != 0))
			return -1;
		return 0;
	}
	/* host:port[/db], host possibly [IPv6] */
	if (p[0] == '[') {
		const char *close = strchr(p, ']');

		if (close == NULL)
			return -1;
		rest = strchr(close, '/');
	} else {
		rest = strchr(p, '/');
	}
	n = rest != NULL ? (size_t)(rest - p) : strlen(p);
	colon = NULL;
	for (size_t i = n; i > 0; i--)
		if (p[i - 1] == ':') {
			colon = p + i - 1;
			break;
		}
	if (colon == NULL || colon == p) {
		return -1;
	} else {
		char port[8], *end;
		size_t hl = (size_t)(colon - p), pl = n - hl - 1;
		unsigned long v;

		if (pl == 0 || pl >= sizeof(port))
			return -1;
		memcpy(port, colon + 1, pl);
		port[pl] = '\0';
		v = strtoul(port, &end, 10);
		if (*end != '\0' || !isdigit((unsigned char)port[0]) || v == 0 || v > 65535)
			return -1;
		u->port = (int)v;
		if (p[0] == '[') {
			if (hl < 3 || p[hl - 1] != ']')
				return -1;
			p++;
			hl -= 2;
		}
		if (hl == 0 || hl >= sizeof(u->host))
			return -1;
		memcpy(u->host, p, hl);
		u->host[hl] = '\0';
		if (strpbrk(u->host, "@/?#[]") != NULL)
			return -1;
	}
	if (rest != NULL && parse_db(rest + 1, &u->db) != 0)
		return -1;
	return 0;
}
