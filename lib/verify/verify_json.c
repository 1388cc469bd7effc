/* SPDX-License-Identifier: BSD-3-Clause
 * hp_json_top_member(): one top-level member of a JSON object body, for ids inside bodies
 * (stripe "id", paddle "notification_id") and dedup keys "body:<field>".
 *
 * A scanner, not a validator: it walks the top-level members in order, compares each key's raw
 * bytes (escapes as sent) with the field, and skips other values without recursion: nesting is
 * a counter, bounded by HP_VERIFY_JSON_DEPTH (deeper: not found). The first member with the
 * name wins (a body with duplicate keys is the sender's problem, and a signed body cannot be
 * altered anyway). One pass over at most len bytes; no allocation.
 */
#include "verify_priv.h"

#include <string.h>

static size_t
ws(const uint8_t *b, size_t len, size_t i)
{
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
		i++;
	return i;
}

/* b[i] == '"': the offset just past the closing quote, or 0 if unterminated (a real end is
 * at least 2). */
static size_t
skip_string(const uint8_t *b, size_t len, size_t i)
{
	/* memchr to each quote (bodies are mostly long strings), then: escaped by an odd run of
	 * backslashes before it? */
	for (i++; i < len;) {
		const uint8_t *q = memchr(b + i, '"', len - i);
		size_t k, j;

		if (q == NULL)
			return 0;
		j = (size_t)(q - b);
		for (k = j; k > i && b[k - 1] == '\\'; k--)
			;
		if (((j - k) & 1) == 0)
			return j + 1;
		i = j + 1;
	}
	return 0;
}

/* Skips one value at b[i]; returns its end, or len on error (too deep, unterminated). */
static size_t
skip_value(const uint8_t *b, size_t len, size_t i)
{
	unsigned int depth = 0;

	if (i >= len)
		return len;
	if (b[i] == '"') {
		i = skip_string(b, len, i);
		return i == 0 ? len : i;
	}
	if (b[i] != '{' && b[i] != '[') {
		/* scalar: up to the next delimiter */
		while (i < len && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' &&
		       b[i] != '\t' && b[i] != '\n' && b[i] != '\r')
			i++;
		return i;
	}
	while (i < len) {
		uint8_t c = b[i];

		if (c == '"') {
			i = skip_string(b, len, i);
			if (i == 0)
				return len;
			continue;
		}
		if (c == '{' || c == '[') {
			/* the top-level object is level 1 */
			if (++depth + 1 > HP_VERIFY_JSON_DEPTH)
				return len;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
		i++;
	}
	return len;
}

bool
hp_json_top_member(const uint8_t *body, size_t len, const char *field, struct hp_vspan *value)
{
	size_t flen, i;

	if (body == NULL || field == NULL || value == NULL)
		return false;
	flen = strlen(field);
	i = ws(body, len, 0);
	if (i >= len || body[i] != '{')
		return false;
	i = ws(body, len, i + 1);
	if (i < len && body[i] == '}')
		return false;
	while (i < len) {
		size_t ks, ke;

		if (body[i] != '"')
			return false;
		ks = i + 1;
		i = skip_string(body, len, i);
		if (i == 0)
			return false;
		ke = i - 1;
		i = ws(body, len, i);
		if (i >= len || body[i] != ':')
			return false;
		i = ws(body, len, i + 1);
		if (i >= len)
			return false;
		if (ke - ks == flen && memcmp(body + ks, field, flen) == 0) {
			size_t vs = i;

			if (body[i] == '"') {
				i = skip_string(body, len, i);
				if (i == 0)
					return false;
				value->p = body + vs + 1;
				value->len = i - vs - 2;
				return true;
			}
			if (body[i] == '-')
				i++;
			if (i >= len || body[i] < '0' || body[i] > '9')
				return false;
			while (i < len && body[i] >= '0' && body[i] <= '9')
				i++;
			if (i < len && (body[i] == '.' || body[i] == 'e' || body[i] == 'E'))
				return false; /* not an integer */
			value->p = body + vs;
			value->len = i - vs;
			return true;
		}
		i = skip_value(body, len, i);
		i = ws(body, len, i);
		if (i >= len || body[i] != ',')
			return false;
		i = ws(body, len, i + 1);
	}
	return false;
}
