/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "ctl_json.h"

size_t
hp_json_esc(char *dst, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			memcpy(dst + o, "\\u00", 4);
			dst[o + 4] = hex[c >> 4];
			dst[o + 5] = hex[c & 15];
			o += 6;
		} else {
			dst[o++] = (char)c;
		}
	}
	return o;
}

json_t *
hp_json_text(const char *s)
{
	json_t *j = json_string(s);
	char *a;

	if (j != NULL || s == NULL)
		return j;
	a = strdup(s);
	if (a == NULL)
		return NULL;
	for (char *p = a; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(a);
	free(a);
	return j;
}
