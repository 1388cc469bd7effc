/* SPDX-License-Identifier: BSD-3-Clause
 * The control plane's JSON helpers (controlplane/ctl_json.c): the event lines' escaper gives a
 * string jansson reads back byte for byte (each byte >= 0x80 one code point) for every byte
 * value; text that is not UTF-8 (a server's error message) still makes a JSON string, and a
 * document holding it is written and read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_json.h"

static void
test_esc_every_byte(void **state)
{
	char raw[256], line[2 + 6 * sizeof(raw) + 1];
	size_t n;
	json_t *j;
	json_error_t err;
	const char *back;

	(void)state;
	for (int i = 0; i < 256; i++)
		raw[i] = (char)(255 - i); /* NUL last */
	line[0] = '"';
	n = 1 + hp_json_esc(line + 1, raw, sizeof(raw));
	line[n++] = '"';
	line[n] = '\0';
	j = json_loads(line, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	assert_non_null(j);
	assert_int_equal(json_string_length(j) >= sizeof(raw), 1);
	back = json_string_value(j);
	/* bytes < 0x80 come back as they were; each byte >= 0x80 as its code point U+0080..FF,
	 * two bytes of UTF-8 */
	size_t o = 0;
	for (int i = 0; i < 256; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c < 0x80) {
			assert_int_equal((unsigned char)back[o], c);
			o++;
		} else {
			assert_int_equal((unsigned char)back[o], 0xc0 | (c >> 6));
			assert_int_equal((unsigned char)back[o + 1], 0x80 | (c & 0x3f));
			o += 2;
		}
	}
	assert_int_equal(o, json_string_length(j));
	json_decref(j);
}

static void
test_text_not_utf8(void **state)
{
	json_t *doc, *s;
	char *text;

	(void)state;
	s = hp_json_text("caf\xc3\xa9 \"quoted\" \\ ok");
	assert_non_null(s);
	assert_string_equal(json_string_value(s), "caf\xc3\xa9 \"quoted\" \\ ok");
	json_decref(s);
	s = hp_json_text("ERR bad \xff\xfe byte\n");
	assert_non_null(s);
	assert_string_equal(json_string_value(s), "ERR bad ?? byte\n");
	doc = json_pack("{s:o}", "last_error", s);
	assert_non_null(doc);
	text = json_dumps(doc, HP_JSON_FLAGS);
	assert_non_null(text);
	assert_string_equal(text, "{\"last_error\":\"ERR bad ?? byte\\n\"}");
	free(text);
	json_decref(doc);
	/* a histogram bound of 16 us stays short (1.6e-5, not 1.6000000000000001e-05), a large sum
	 * keeps its nanoseconds */
	doc = json_pack("[f,f]", 16000 / 1e9, 12345678901234 / 1e9);
	text = json_dumps(doc, HP_JSON_FLAGS);
	assert_string_equal(text, "[1.6e-5,12345.678901234]");
	free(text);
	json_decref(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_esc_every_byte),
		cmocka_unit_test(test_text_not_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
