/* SPDX-License-Identifier: BSD-3-Clause
 * lib/pii private: validators (pii_validate.c) shared by the engine and the unit tests.
 * Every validator takes the exact candidate text [s, s + n), separators included, allocates
 * nothing, reads nothing outside it, and returns true only if the whole text is valid.
 */
#ifndef HP_PII_PRIV_H
#define HP_PII_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pii.h"

/* 13-19 digits, single ' ' or '-' between digits, first digit 1-6, 13 digits starting with 1
 * excluded (Presidio), Luhn sum. */
bool hp_pii_card_valid(const uint8_t *s, size_t n);
/* The card's first digit and fewest digits (14 after a leading '1', which millisecond
 * timestamps have): hp_pii_card_valid's rules, also read by the passes that skip a try. */
static inline bool
hp_pii_card_first(uint8_t c)
{
	return c >= '1' && c <= '6';
}

static inline unsigned int
hp_pii_card_min_digits(uint8_t first)
{
	return 13u + (first == '1');
}
/* Luhn over digits, separators ' ' and '-' skipped, any length >= 2 (user validator "luhn"). */
bool hp_pii_luhn_valid(const uint8_t *s, size_t n);
/* ddd-dd-dddd with one delimiter among '-', '.', ' ' used twice, or 9 bare digits; Presidio's
 * invalid values rejected. *bare says which form it was. */
bool hp_pii_ssn_valid(const uint8_t *s, size_t n, bool *bare);
bool hp_pii_itin_valid(const uint8_t *s, size_t n, bool *bare);
/* Compact or grouped by 4 with single spaces; country length; mod 97 == 1. */
bool hp_pii_iban_valid(const uint8_t *s, size_t n);
/* The IBAN length of the country code cc[0..1] (no spaces), 0 if it is none:
 * hp_pii_iban_valid takes only that length, or that length with a space every 4. */
unsigned int hp_pii_iban_len(const uint8_t *cc);
/* 9 digits or dddd-dddd-d; prefix 00-12, 21-32, 61-72, 80; 3-7-1 weighted checksum. */
bool hp_pii_aba_valid(const uint8_t *s, size_t n);
/* ddd-ddd-dddd, ddd ddd dddd or 10 bare digits; mod 11. */
bool hp_pii_nhs_valid(const uint8_t *s, size_t n, bool *bare);
bool hp_pii_email_valid(const uint8_t *s, size_t n);
bool hp_pii_email_local_ok(const uint8_t *s, size_t n);
bool hp_pii_email_label_ok(const uint8_t *s, size_t n);
bool hp_pii_email_tld_ok(const uint8_t *s, size_t n);

/* a byte of an address's local part: [A-Za-z0-9._%+-] */
static inline bool
hp_pii_email_local_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
/* +[1-9] then 8-15 digits in all with single ' ', '.', '-' between digits, or North American
 * (ddd) ddd-dddd, (ddd)ddd-dddd, ddd-ddd-dddd (same separator twice), area/exchange 2-9. */
bool hp_pii_phone_valid(const uint8_t *s, size_t n);
/* A North American area code's or exchange's first digit (its value): 2-9. hp_pii_phone_valid's
 * rule for the "(ddd) ddd-dddd" and "ddd-ddd-dddd" forms, also read by the pass that skips a
 * try (pii.c, num_token_win). */
static inline bool
hp_pii_nanp_lead(unsigned int digit)
{
	return digit >= 2 && digit <= 9;
}
bool hp_pii_ipv4_valid(const uint8_t *s, size_t n);
/* RFC 4291 text forms incl. '::' and a trailing dotted quad; the bare "::" is refused. */
bool hp_pii_ipv6_valid(const uint8_t *s, size_t n);
/* xx:xx:xx:xx:xx:xx, xx-xx-..., xxxx.xxxx.xxxx; all-zero refused. */
bool hp_pii_mac_valid(const uint8_t *s, size_t n);
/* Bitcoin P2PKH/P2SH: 26-35 base58 chars, 25 bytes, version 0x00 or 0x05, double SHA-256. */
bool hp_pii_base58check_valid(const uint8_t *s, size_t n);
/* Segwit "bc1": Bech32 for witness v0 (20 or 32 byte program), Bech32m for v1-16. */
bool hp_pii_bech32_valid(const uint8_t *s, size_t n);
bool hp_pii_jwt_valid(const uint8_t *s, size_t n);

void hp_pii_sha256(const uint8_t *m, size_t n, uint8_t out[32]);

/* Versions of the digit-run pass (pii.c): the reference visits every digit-run start and MAC
 * separator; the block versions decide from 64-byte bit masks where a visit can find something
 * and give the same result (spans, order, counts). A database runs the widest the CPU has
 * (HOOKPATH_PII_SCAN=ref|sse2|avx2|avx512bw|avx512vbmi in the environment at hp_pii_db_create
 * asks for another). */
enum hp_pii_tok_impl {
	HP_PII_TOK_AUTO = 0, /* the database's */
	HP_PII_TOK_REF,
	HP_PII_TOK_SSE2, /* "bytes" where there is no SSE2 */
	HP_PII_TOK_AVX2,
	HP_PII_TOK_AVX512,
	HP_PII_TOK_VBMI, /* avx512bw's passes, the token pass's masks by VBMI and GFNI */
	HP_PII_TOK__COUNT
};

/* hp_pii_scan with that version of the pass; -ENOTSUP if this CPU or build lacks it. */
int hp_pii_scan_impl(const struct hp_pii_db *db, struct hp_pii_scratch *scratch, const uint8_t *buf,
		     size_t len, struct hp_pii_result *res, enum hp_pii_tok_impl impl);
bool hp_pii_tok_impl_supported(enum hp_pii_tok_impl impl);
/* hp_pii_mask_sel with the mask loop of that version (avx512bw and avx512vbmi: byte-masked
 * 64-byte pieces; the others count_byte and memset); a version the CPU lacks: the others'. */
size_t hp_pii_mask_impl(uint8_t *buf, size_t len, const struct hp_pii_result *res, char mask_char,
			uint64_t entities, enum hp_pii_tok_impl impl);
/* "ref", "sse2", "avx2", "avx512bw", "avx512vbmi"; HP_PII_TOK_AUTO: the one db runs. */
const char *hp_pii_tok_impl_name(const struct hp_pii_db *db, enum hp_pii_tok_impl impl);
/* Do the block versions' context-word leads (pii.c, ctx_leads) cover every context word of
 * the numeric entities? Known after the first hp_pii_db_create; false: bare 9- and 10-digit
 * numbers are always visited. */
bool hp_pii_ctx_leads_ok(void);

#endif /* HP_PII_PRIV_H */
