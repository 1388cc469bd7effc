/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON for the control plane. Every answer, status and file is built with jansson; the one
 * hand-written escaper is hp_json_esc, for the event lines the control thread formats at the
 * workers' rate (ctl_events.c) and the sink records made from them. */
#ifndef HP_CTL_JSON_H
#define HP_CTL_JSON_H

#include <stddef.h>

#include <jansson.h>

/* The JSON string body of n raw bytes into dst (room for 6 * n): quote, backslash and
 * control bytes escaped, bytes >= 0x80 written as \u00XX (each byte one code point), so any
 * input yields valid JSON. Returns the length written. */
size_t hp_json_esc(char *dst, const char *s, size_t n);

/* A jansson string of text that may not be UTF-8 (a server's error message, a path): as is
 * when it is, else each byte >= 0x80 as '?'. Never NULL for non-NULL s (json_null on ENOMEM
 * is left to jansson's packers, which fail the whole object). */
json_t *hp_json_text(const char *s);

/* How every JSON document of the control plane is written: compact, reals with 15
 * significant digits (a bucket bound of 16 us stays 1.6e-5, not 1.6000000000000001e-05). */
#define HP_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

#endif
