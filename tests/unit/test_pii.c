/* SPDX-License-Identifier: BSD-3-Clause
 * PII and secret detection tests (lib/pii).
 *
 * 1. Every case of tests/corpus/vectors/pii.json (Presidio's recognizer tests): exact spans of the
 *    case's entity (skipped with a message if the file is not next to the repository).
 * 2. Validators on known-good and known-bad values (SHA-256 FIPS vector, BIP-173/350 addresses,
 *    bitcoin wiki addresses, IBAN registry examples, ABA and NHS check digits); IBAN check
 *    digits against a digit-by-digit reading of ISO 13616, every registered country.
 * 3. Per entity through the engine: positives with exact spans, negatives and decoys (order ids,
 *    timestamps, UUIDs, versions, card-like numbers failing Luhn) in JSON bodies.
 * 4. User-defined entities (SOM, leftmost-longest, validator), refused patterns named.
 * 5. Mask: length kept, only span bytes change, cards keep their last 4 digits.
 * 6. Zero allocation per scan: Hyperscan's allocator is replaced (hs_set_allocator) before the
 *    database and scratch exist; every scan in this file runs inside a counting window.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hs.h>
#include <jansson.h>

#include "pii.h"
#include "pii_priv.h"

#define VECTORS HP_SOURCE_ROOT "/tests/corpus/vectors/pii.json"

/* ---- counting allocator ---- */

static size_t n_allocs;
static int counting;

static void *
cnt_malloc(size_t n)
{
	if (counting)
		n_allocs++;
	return malloc(n);
}

static void
cnt_free(void *p)
{
	free(p);
}

static struct hp_pii_db *db_all;
static struct hp_pii_scratch *scr_all;
static struct hp_pii_result res;

static int
scan_counted(const struct hp_pii_db *db, struct hp_pii_scratch *scr, const char *text)
{
	int rc;

	n_allocs = 0;
	counting = 1;
	rc = hp_pii_scan(db, scr, (const uint8_t *)text, strlen(text), &res);
	counting = 0;
	assert_int_equal(n_allocs, 0);
	return rc;
}

/* Spans of one entity in res as "s-e,s-e" for readable failures. */
static const char *
spans_of(unsigned int ent, char *out, size_t outlen)
{
	size_t o = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < res.n_spans; i++)
		if (res.span[i].entity == ent)
			o += (size_t)snprintf(out + o, outlen - o, "%s%u-%u", o ? "," : "",
					      res.span[i].start, res.span[i].end);
	return out;
}

static void
expect(unsigned int ent, const char *text, const char *want)
{
	char got[512];

	assert_true(scan_counted(db_all, scr_all, text) >= 0);
	spans_of(ent, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s in \"%s\": got [%s], want [%s]", hp_pii_entity_name(db_all, ent), text,
			 got, want);
}

static int
setup(void **state)
{
	struct hp_pii_config cfg = {.enabled = HP_PII_ALL_BUILTIN};
	char err[256];

	(void)state;
	assert_int_equal(hs_set_allocator(cnt_malloc, cnt_free), HS_SUCCESS);
	if (hp_pii_db_create(&cfg, &db_all, err, sizeof(err)) != 0)
		fail_msg("db: %s", err);
	assert_int_equal(hp_pii_scratch_create(db_all, &scr_all), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	hp_pii_scratch_free(scr_all);
	hp_pii_db_free(db_all);
	return 0;
}

/* ---- 1. vectors ---- */

static void
test_vectors(void **state)
{
	json_error_t jerr;
	json_t *root, *cases, *c;
	size_t i, n = 0;

	(void)state;
	root = json_load_file(VECTORS, 0, &jerr);
	if (root == NULL) /* in the repository (tests/corpus): missing is a failure */
		fail_msg("%s: %s", VECTORS, jerr.text);
	cases = json_object_get(root, "cases");
	assert_true(json_is_array(cases));
	json_array_foreach(cases, i, c)
	{
		const char *ename = json_string_value(json_object_get(c, "entity"));
		const char *text = json_string_value(json_object_get(c, "text"));
		json_t *spans = json_object_get(c, "spans"), *sp;
		char want[512];
		size_t k, o = 0;
		int ent = hp_pii_builtin_from_name(ename);

		assert_true(ent >= 0);
		want[0] = '\0';
		json_array_foreach(spans, k, sp)
		{
			o += (size_t)snprintf(want + o, sizeof(want) - o, "%s%lld-%lld",
					      o ? "," : "",
					      json_integer_value(json_array_get(sp, 0)),
					      json_integer_value(json_array_get(sp, 1)));
		}
		expect((unsigned int)ent, text, want);
		n++;
	}
	assert_true(n >= 30);
	json_decref(root);
}

/* ---- 2. validators ---- */

#define V(fn, str) fn((const uint8_t *)(str), strlen(str))

static void
test_sha256(void **state)
{
	static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
					0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
					0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
					0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	/* FIPS 180-2 two-block message */
	static const uint8_t two[32] = {0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8,
					0xe5, 0xc0, 0x26, 0x93, 0x0c, 0x3e, 0x60, 0x39,
					0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff, 0x21, 0x67,
					0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1};
	const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t h[32];

	(void)state;
	hp_pii_sha256((const uint8_t *)"abc", 3, h);
	assert_memory_equal(h, abc, 32);
	hp_pii_sha256((const uint8_t *)m2, strlen(m2), h);
	assert_memory_equal(h, two, 32);
}

static void
test_validators(void **state)
{
	bool bare;

	(void)state;
	/* cards */
	assert_true(V(hp_pii_card_valid, "4111 1111 1111 1111"));
	assert_true(V(hp_pii_card_valid, "378282246310005"));
	assert_false(V(hp_pii_card_valid, "4111  1111 1111 1111")); /* double separator */
	assert_false(V(hp_pii_card_valid, "4111111111111112"));
	assert_false(V(hp_pii_card_valid, "0000000000000000"));
	assert_false(V(hp_pii_card_valid, "41111111111111111111")); /* 20 digits */
	assert_true(V(hp_pii_card_valid, "4111111111111111110"));   /* 19 */
	assert_true(V(hp_pii_card_valid, "4000000000006"));         /* 13 */
	assert_false(V(hp_pii_card_valid, "1000000000009"));        /* 13 from 1: Luhn-valid */
	assert_false(V(hp_pii_card_valid, "4111 -1111 1111 1111"));
	assert_false(V(hp_pii_card_valid, "4111-1111-1111-1111-"));
	assert_false(V(hp_pii_card_valid, "7111111111111111")); /* first digit 7 */
	assert_true(V(hp_pii_luhn_valid, "79927398713"));
	/* SSN */
	assert_true(hp_pii_ssn_valid((const uint8_t *)"078-05-1123", 11, &bare) && !bare);
	assert_false(hp_pii_ssn_valid((const uint8_t *)"123456789", 9, &bare));
	assert_false(hp_pii_ssn_valid((const uint8_t *)"111-11-1111", 11, &bare));
	assert_false(hp_pii_ssn_valid((const uint8_t *)"900-12-3456", 11, &bare));
	assert_true(hp_pii_itin_valid((const uint8_t *)"912-70-1234", 11, &bare));
	assert_false(hp_pii_itin_valid((const uint8_t *)"912-93-1234", 11, &bare));
	assert_false(hp_pii_itin_valid((const uint8_t *)"912-49-1234", 11, &bare));
	/* IBAN */
	assert_true(V(hp_pii_iban_valid, "FR1420041010050500013M02606"));
	assert_true(V(hp_pii_iban_valid, "NO9386011117947"));
	assert_false(V(hp_pii_iban_valid, "NO93860111179470"));         /* too long for NO */
	assert_false(V(hp_pii_iban_valid, "DE89 37040044 0532013000")); /* space mid-group */
	assert_false(V(hp_pii_iban_valid, "ZZ89370400440532013000"));   /* no such country */
	/* the longest ones (letters are two digits of the number) */
	assert_true(V(hp_pii_iban_valid, "LC55HEMM000100010012001200023015"));
	assert_true(V(hp_pii_iban_valid, "LC55 HEMM 0001 0001 0012 0012 0002 3015"));
	assert_true(V(hp_pii_iban_valid, "MT84MALT011000012345MTLCAST001S"));
	assert_true(V(hp_pii_iban_valid, "RU0204452560040702810412345678901"));
	assert_false(V(hp_pii_iban_valid, "RU0204452560040702810412345678902"));
	assert_false(V(hp_pii_iban_valid, "LC55 HEMM 0001 0001 0012 0012 0002 301 5"));
	assert_false(V(hp_pii_iban_valid, "LC55 HEMM 0001 0001 0012 0012 00023015"));
	/* ABA: Federal Reserve Bank of Boston, and a check digit off by one */
	assert_true(V(hp_pii_aba_valid, "011000015"));
	assert_true(V(hp_pii_aba_valid, "0110-0001-5"));
	assert_false(V(hp_pii_aba_valid, "011000016"));
	assert_false(V(hp_pii_aba_valid, "991000015")); /* prefix 99 */
	/* NHS (Presidio's examples) */
	assert_true(hp_pii_nhs_valid((const uint8_t *)"401-023-2137", 12, &bare) && !bare);
	assert_true(hp_pii_nhs_valid((const uint8_t *)"221 395 1837", 12, &bare));
	assert_true(hp_pii_nhs_valid((const uint8_t *)"0032698674", 10, &bare) && bare);
	assert_false(hp_pii_nhs_valid((const uint8_t *)"401-023-2138", 12, &bare));
	assert_false(hp_pii_nhs_valid((const uint8_t *)"401-023 2137", 12, &bare));
	assert_false(hp_pii_nhs_valid((const uint8_t *)"0000000000", 10, &bare));
	/* email */
	assert_true(V(hp_pii_email_valid, "a.b+tag@mail.example.co.uk"));
	assert_false(V(hp_pii_email_valid, "a..b@example.com"));
	assert_false(V(hp_pii_email_valid, "a@-example.com"));
	assert_false(V(hp_pii_email_valid, "a@example.c0m"));
	assert_false(V(hp_pii_email_valid, "a@localhost"));
	/* phone */
	assert_true(V(hp_pii_phone_valid, "+14155552671"));
	assert_true(V(hp_pii_phone_valid, "+44 20 7946 0958"));
	assert_true(V(hp_pii_phone_valid, "(415) 555-2671"));
	assert_true(V(hp_pii_phone_valid, "415.555.2671"));
	assert_false(V(hp_pii_phone_valid, "415-555.2671"));
	assert_false(V(hp_pii_phone_valid, "115-555-2671")); /* area code 1xx */
	assert_false(V(hp_pii_phone_valid, "+1415"));
	/* IP, MAC */
	assert_true(V(hp_pii_ipv4_valid, "192.168.0.1"));
	assert_false(V(hp_pii_ipv4_valid, "256.1.1.1"));
	assert_false(V(hp_pii_ipv4_valid, "01.1.1.1"));
	assert_true(V(hp_pii_ipv6_valid, "2001:db8::1"));
	assert_true(V(hp_pii_ipv6_valid, "::1"));
	assert_true(V(hp_pii_ipv6_valid, "fe80::1:2:3:4:5:6"));
	assert_true(V(hp_pii_ipv6_valid, "2001:0db8:85a3:0000:0000:8a2e:0370:7334"));
	assert_true(V(hp_pii_ipv6_valid, "::ffff:192.0.2.128"));
	assert_false(V(hp_pii_ipv6_valid, "::"));
	assert_false(V(hp_pii_ipv6_valid, "1::2::3"));
	assert_false(V(hp_pii_ipv6_valid, "12:30:45"));
	assert_false(V(hp_pii_ipv6_valid, "1:2:3:4:5:6:7:8:9"));
	assert_false(V(hp_pii_ipv6_valid, "12345::1"));
	assert_true(V(hp_pii_mac_valid, "00:1A:2b:3C:4d:5E"));
	assert_true(V(hp_pii_mac_valid, "00-1a-2b-3c-4d-5e"));
	assert_true(V(hp_pii_mac_valid, "001a.2b3c.4d5e"));
	assert_false(V(hp_pii_mac_valid, "00:1a-2b:3c:4d:5e"));
	assert_false(V(hp_pii_mac_valid, "00:00:00:00:00:00"));
	/* bitcoin: the genesis address, a P2SH example (bitcoin wiki), BIP-173/350 */
	assert_true(V(hp_pii_base58check_valid, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"));
	assert_true(V(hp_pii_base58check_valid, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"));
	assert_false(V(hp_pii_base58check_valid, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"));
	assert_false(V(hp_pii_base58check_valid, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNL0"));
	assert_false(
		V(hp_pii_base58check_valid, "3zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")); /* > 25 B */
	assert_false(V(hp_pii_base58check_valid, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNaa"));
	assert_true(V(hp_pii_bech32_valid, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));
	assert_true(V(hp_pii_bech32_valid,
		      "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"));
	assert_false(V(hp_pii_bech32_valid, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"));
	/* JWT */
	assert_true(V(hp_pii_jwt_valid, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"));
	assert_false(V(hp_pii_jwt_valid, "eyJhbGciOiJIUzI1NiJ9.c3ViIjoiMSJ9.c2ln"));
	assert_false(V(hp_pii_jwt_valid, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0"));
}

/* ---- 3. entities through the engine ---- */

static void
test_cards(void **state)
{
	(void)state;
	expect(HP_PII_CREDIT_CARD, "{\"card\":\"4111-1111-1111-1111\",\"n\":2}", "9-28");
	expect(HP_PII_CREDIT_CARD, "pay 378282246310005 now", "4-19");
	expect(HP_PII_CREDIT_CARD, "5555 5555 5555 4444,4111111111111111", "0-19,20-36");
	/* decoys: order ids and card-like numbers failing Luhn, a longer digit run */
	expect(HP_PII_CREDIT_CARD, "{\"order_id\":4111111111111112,\"ts\":1700000000123}", "");
	expect(HP_PII_CREDIT_CARD, "x41111111111111111", "");
	expect(HP_PII_CREDIT_CARD, "41111111111111110000", "");
	expect(HP_PII_CREDIT_CARD, "ref 4111111111111111a", "");
	/* the digit groups of an IBAN are not cards (found by the labelled corpus: a tenth of
	 * them pass Luhn); a card after a brand name still is */
	expect(HP_PII_CREDIT_CARD, "{\"ref\":\"DE89 4111 1111 1111 1111 00\"}", "");
	expect(HP_PII_CREDIT_CARD, "{\"ref\":\"GB55 SREM 4111 1111 1111 1111 11\"}", "");
	expect(HP_PII_CREDIT_CARD, "VISA 4111 1111 1111 1111", "5-24");
}

static void
test_ids(void **state)
{
	(void)state;
	expect(HP_PII_US_SSN, "{\"ssn\":\"078-05-1123\"}", "8-19");
	expect(HP_PII_US_SSN, "{\"ssn\":\"078051123\"}", "8-17"); /* bare, with context */
	expect(HP_PII_US_SSN, "{\"order\":\"078051123\"}", "");   /* bare, no context */
	/* a context word with '_' (case folding must leave it alone) */
	expect(HP_PII_US_SSN, "{\"social_security_number\":\"220199507\"}", "27-36");
	expect(HP_PII_US_SSN, "1.078-05-1123", "");
	expect(HP_PII_US_ITIN, "itin: 912-70-1234", "6-17");
	expect(HP_PII_US_ITIN, "id 912-49-1234", "");
	expect(HP_PII_ABA_ROUTING, "{\"routing_number\":\"011000015\"}", "19-28");
	expect(HP_PII_ABA_ROUTING, "{\"order_id\":\"011000015\"}", ""); /* context required */
	expect(HP_PII_ABA_ROUTING, "routing 011000016", "");
	expect(HP_PII_UK_NHS, "patient 401 023 2137.", "8-20");
	expect(HP_PII_UK_NHS, "{\"nhs_number\":\"0032698674\"}", "15-25");
	expect(HP_PII_UK_NHS, "{\"created\":1700000004}", ""); /* unix time, no context */
}

static void
test_contact(void **state)
{
	(void)state;
	expect(HP_PII_EMAIL, "{\"email\":\"Jane.Doe+x@mail.example.com\"}", "10-37");
	expect(HP_PII_EMAIL, "mail bob@example.com.", "5-20");
	expect(HP_PII_EMAIL, "a@b.c x@@y.com @example.com me@localhost", "");
	expect(HP_PII_EMAIL, "git@github.com:org/repo a@b.io", "0-14,24-30");
	/* where a local part can start (report_end tries only from the last byte before the '@'
	 * that no local part has): '%' inside it, refused first bytes, 64 bytes at most */
	expect(HP_PII_EMAIL, "{\"to\":\"ann%list@example.com\"}", "7-27");
	expect(HP_PII_EMAIL, "\"x\": \"a b.c-d@example.org\", \"y\":1", "8-25");
	expect(HP_PII_EMAIL, "mail:  zed_@ex.io, q@w.e.com", "7-17,19-28");
	expect(HP_PII_EMAIL, "see %%bob@example.com or .a@b.io or -c@d.io", "6-21,36-43");
	expect(HP_PII_EMAIL,
	       "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@"
	       "example.com\"",
	       "");
	expect(HP_PII_EMAIL,
	       "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb@example.com\"",
	       "1-77");
	expect(HP_PII_PHONE, "{\"phone\":\"+1 415 555 2671\"}", "10-25");
	expect(HP_PII_PHONE, "call (415) 555-2671 or 415.555.2671", "5-19,23-35");
	expect(HP_PII_PHONE, "+14155552671", "0-12");
	expect(HP_PII_PHONE, "{\"date\":\"2024-01-15\",\"id\":4155552671,\"v\":\"1.415.555\"}", "");
	expect(HP_PII_IBAN, "iban=GB29 NWBK 6016 1331 9268 19;", "5-32");
	expect(HP_PII_IBAN, "{\"sku\":\"AB12CDEF34567890XYZ\"}", "");
	/* only the lengths the country code fixes are ends (span_iban): grouped with more groups
	 * after it, bare with groups after it, bare with a word byte after it */
	expect(HP_PII_IBAN, "GB29 NWBK 6016 1331 9268 19 1234", "0-27");
	expect(HP_PII_IBAN, "NO9386011117947 1234", "0-15");
	expect(HP_PII_IBAN, "NO9386011117947X", "");
	expect(HP_PII_IBAN, "ref US2024 1234 5678 9012 3456 78", "");
}

static void
test_network(void **state)
{
	(void)state;
	expect(HP_PII_IPV4, "{\"ip\":\"203.0.113.7\",\"v\":\"1.2.3.4.5\"}", "7-18");
	expect(HP_PII_IPV4, "999.1.1.1 10.0.0.256 version 1.2.3", "");
	expect(HP_PII_IPV6, "{\"ip\":\"2001:db8::8a2e:370:7334\"}", "7-30");
	expect(HP_PII_IPV6, "[fe80::1]:443", "1-8");
	expect(HP_PII_IPV6, "{\"ts\":\"2024-01-15T12:30:45Z\",\"ns\":\"std::vector\"}", "");
	expect(HP_PII_MAC_ADDRESS, "{\"mac\":\"00:1a:2b:3c:4d:5e\"}", "8-25");
	expect(HP_PII_MAC_ADDRESS, "dev 001a.2b3c.4d5e up", "4-18");
	expect(HP_PII_MAC_ADDRESS, "00:1a:2b:3c:4d:5e:6f 12:30:45", "");
	expect(HP_PII_MAC_ADDRESS, "{\"uuid\":\"550e8400-e29b-41d4-a716-446655440000\"}", "");
	expect(HP_PII_CRYPTO_WALLET, "to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.", "3-37");
	expect(HP_PII_CRYPTO_WALLET, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "0-42");
	expect(HP_PII_CRYPTO_WALLET, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb 3J98t1WpEZ73CNmQviecrny",
	       "");
}

static void
test_secrets(void **state)
{
	static const char pem[] = "{\"key\":\"-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA"
				  "x\\n-----END RSA PRIVATE KEY-----\\n\"}";
	static const char pub[] = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----";
	char want[32];

	(void)state;
	expect(HP_PII_AWS_ACCESS_KEY, "{\"k\":\"AKIAIOSFODNN7EXAMPLE\"}", "6-26");
	expect(HP_PII_AWS_ACCESS_KEY, "AKIAIOSFODNN7EXAMPLEX AKIAIOSFODNN7EXAMPL", "");
	expect(HP_PII_GITHUB_TOKEN, "token ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 x", "6-46");
	expect(HP_PII_GITHUB_TOKEN, "ghp_short gho_", "");
	expect(HP_PII_STRIPE_KEY, "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "0-32");
	expect(HP_PII_STRIPE_KEY, "pk_live_4eC39HqLyjWDarjtT1zdp7dc sk_live_short", "");
	expect(HP_PII_SLACK_TOKEN, "xoxb-123456789012-abcdefABCDEF", "0-30");
	expect(HP_PII_JWT,
	       "Bearer "
	       "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_"
	       "wW1gFWFOEjXk.",
	       "7-90");
	expect(HP_PII_JWT, "eyJhbGciOiJIUzI1NiJ9 alone", "");
	snprintf(want, sizeof(want), "8-%zu",
		 sizeof(pem) - 1 - 4); /* up to the END line's dashes */
	expect(HP_PII_PEM_PRIVATE_KEY, pem, want);
	expect(HP_PII_PEM_PRIVATE_KEY, pub, "");
	/* a key cut short still matches up to the end of its body */
	expect(HP_PII_PEM_PRIVATE_KEY, "-----BEGIN PRIVATE KEY-----\nMIIEv", "0-33");
	/* the body is read eight bytes at a time where it can be: a byte that ends it ('"', '!'),
	 * a '-' that starts no END line, and the END line, at every offset from the BEGIN line */
	for (unsigned int k = 0; k < 40; k++) {
		static const char chars[] = "MIIEv+/=\\n:, AbZ09\r";
		char t[160], w[16];
		size_t n = (size_t)snprintf(t, sizeof(t), "-----BEGIN EC PRIVATE KEY-----");

		for (unsigned int i = 0; i < k; i++)
			t[n++] = chars[(i * 7 + k) % (sizeof(chars) - 1)];
		snprintf(t + n, sizeof(t) - n, "%c-x", k % 2 ? '"' : '!');
		snprintf(w, sizeof(w), "0-%zu", n);
		expect(HP_PII_PEM_PRIVATE_KEY, t, w);
		snprintf(t + n, sizeof(t) - n, "-a--b-----END EC PRIVATE KEY-----\"");
		snprintf(w, sizeof(w), "0-%zu", n + 33);
		expect(HP_PII_PEM_PRIVATE_KEY, t, w);
	}
}

/* A realistic body full of decoys: nothing at all may match. */
static void
test_decoy_body(void **state)
{
	static const char body[] =
		"{\"id\":\"evt_1NqXyZ2eZvKYlo2C0a1b2c3d\",\"created\":1700000000,"
		"\"order_id\":\"100045678912\",\"amount\":4999,\"currency\":\"usd\","
		"\"uuid\":\"123e4567-e89b-12d3-a456-426614174000\","
		"\"ts\":\"2024-03-01T10:20:30.123Z\",\"version\":\"2.10.3\",\"sku\":\"SKU-1234-"
		"5678\","
		"\"tracking\":\"1Z999AA10123456784\",\"ratio\":0.123456789,"
		"\"items\":[1234,5678,9012,3456],\"hash\":\"d41d8cd98f00b204e9800998ecf8427e\"}";
	char got[256];

	(void)state;
	assert_int_equal(scan_counted(db_all, scr_all, body), 0);
	(void)got;
}

/* ---- 4. user entities ---- */

static void
test_user_entity(void **state)
{
	const struct hp_pii_user_entity ue[] = {
		{.name = "order_ref", .pattern = "ORD-[0-9]{4,8}"},
		{.name = "luhn_id", .pattern = "LID[0-9]{4,12}", .validator = HP_PII_VAL_NONE},
		{.name = "acct", .pattern = "[0-9]{11}", .validator = HP_PII_VAL_LUHN},
	};
	struct hp_pii_config cfg = {
		.enabled = UINT64_C(1) << HP_PII_EMAIL, .user = ue, .n_user = 3};
	struct hp_pii_db *db;
	struct hp_pii_scratch *scr, *clone;
	char err[256], got[256];
	int rc;

	(void)state;
	rc = hp_pii_db_create(&cfg, &db, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(hp_pii_entity_count(db), HP_PII__BUILTIN_COUNT + 3);
	assert_string_equal(hp_pii_entity_name(db, HP_PII__BUILTIN_COUNT), "order_ref");
	assert_string_equal(hp_pii_entity_name(db, HP_PII__BUILTIN_COUNT + 2), "acct");
	assert_string_equal(hp_pii_entity_name(db, 99), "unknown");
	assert_int_equal(hp_pii_scratch_create(db, &scr), 0);
	assert_int_equal(hp_pii_scratch_clone(scr, &clone), 0);
	/* leftmost-longest: ORD-12345678 is one span, not five */
	rc = scan_counted(db, clone, "x ORD-12345678 ORD-12 ORD-0001 a@b.io 79927398713");
	assert_int_equal(rc, 4);
	assert_string_equal(spans_of(HP_PII__BUILTIN_COUNT, got, sizeof(got)), "2-14,22-30");
	assert_string_equal(spans_of(HP_PII_EMAIL, got, sizeof(got)), "31-37");
	assert_string_equal(spans_of(HP_PII__BUILTIN_COUNT + 2, got, sizeof(got)), "38-49");
	assert_int_equal(res.count[HP_PII__BUILTIN_COUNT], 2);
	assert_int_equal(res.count[HP_PII_CREDIT_CARD], 0); /* not enabled */
	rc = scan_counted(db, scr, "79927398714");          /* fails Luhn */
	assert_int_equal(rc, 0);
	hp_pii_scratch_free(clone);
	hp_pii_scratch_free(scr);
	hp_pii_db_free(db);
}

static void
test_refused(void **state)
{
	const struct hp_pii_user_entity bad[] = {
		{.name = "fine", .pattern = "abc"},
		{.name = "backref", .pattern = "(a)\\1"},
	};
	const struct hp_pii_user_entity clash[] = {{.name = "email", .pattern = "x"}};
	const struct hp_pii_user_entity badname[] = {{.name = "Bad Name", .pattern = "x"}};
	const struct hp_pii_user_entity twice[] = {{.name = "a", .pattern = "x"},
						   {.name = "a", .pattern = "y"}};
	struct hp_pii_config cfg = {.enabled = HP_PII_ALL_BUILTIN, .user = bad, .n_user = 2};
	struct hp_pii_db *db = (struct hp_pii_db *)&cfg;
	char err[256];

	(void)state;
	assert_int_equal(hp_pii_db_create(&cfg, &db, err, sizeof(err)), -EIO);
	assert_null(db);
	print_message("refused: %s\n", err);
	assert_non_null(strstr(err, "'backref'"));
	assert_non_null(strstr(err, "refused by Hyperscan"));
	assert_non_null(strstr(err, "eference")); /* Hyperscan's own message */
	cfg.user = clash;
	cfg.n_user = 1;
	assert_int_equal(hp_pii_db_create(&cfg, &db, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "built-in"));
	cfg.user = badname;
	assert_int_equal(hp_pii_db_create(&cfg, &db, err, sizeof(err)), -EINVAL);
	cfg.user = twice;
	cfg.n_user = 2;
	assert_int_equal(hp_pii_db_create(&cfg, &db, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "twice"));
	/* nothing enabled: a valid db that finds nothing */
	cfg.enabled = 0;
	cfg.n_user = 0;
	assert_int_equal(hp_pii_db_create(&cfg, &db, err, sizeof(err)), 0);
	{
		struct hp_pii_scratch *s;
		assert_int_equal(hp_pii_scratch_create(db, &s), 0);
		assert_int_equal(scan_counted(db, s, "4111111111111111"), 0);
		hp_pii_scratch_free(s);
	}
	hp_pii_db_free(db);
}

/* ---- 5. mask ---- */

static void
test_mask(void **state)
{
	static const char in[] = "{\"card\":\"4111-1111-1111-1111\",\"email\":\"bob@example.com\","
				 "\"note\":\"ok\",\"ip\":\"10.1.2.3\"}";
	static const char want[] =
		"{\"card\":\"####-####-####-1111\",\"email\":\"###############\","
		"\"note\":\"ok\",\"ip\":\"########\"}";
	uint8_t buf[sizeof(in)], inside[sizeof(in)];
	size_t changed;

	(void)state;
	memcpy(buf, in, sizeof(in));
	assert_int_equal(scan_counted(db_all, scr_all, in), 3);
	changed = hp_pii_mask(buf, sizeof(in) - 1, &res, '#');
	assert_memory_equal(buf, want, sizeof(want));
	/* every changed byte lies inside a span */
	memset(inside, 0, sizeof(inside));
	for (uint32_t i = 0; i < res.n_spans; i++)
		memset(inside + res.span[i].start, 1, res.span[i].end - res.span[i].start);
	for (size_t i = 0; i < sizeof(in); i++)
		if (buf[i] != (uint8_t)in[i])
			assert_true(inside[i]);
	assert_int_equal(changed, 12 + 15 + 8);
	/* masked again: finds nothing, changes nothing */
	assert_int_equal(scan_counted(db_all, scr_all, (const char *)buf), 0);
	assert_int_equal(hp_pii_mask(buf, sizeof(in) - 1, &res, '#'), 0);
}

/* One case of test_mask_count: buf filled from seed (heavy: mostly the mask byte), a span of an
 * entity masked whole at [s, s + n) and a card span of 20 bytes from s + n - 10 (its digits but
 * the last 4), masked by version impl; the bytes and the count against a byte-by-byte mask. */
static void
mask_case(uint8_t *buf, uint8_t *want, size_t size, uint32_t *seed, size_t s, size_t n, bool heavy,
	  enum hp_pii_tok_impl impl)
{
	static struct hp_pii_result r;
	size_t nwant = 0;

	for (size_t i = 0; i < size; i++) {
		*seed = *seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(heavy ? "ZZZZZZZZZZZZZZ5"
					 : "0123456789Z*-ab")[(*seed >> 16) % 15];
	}
	memcpy(want, buf, size);
	for (size_t i = s; i < s + n; i++) {
		nwant += want[i] != 'Z';
		want[i] = 'Z';
	}
	size_t cs = s + n > 10 ? s + n - 10 : 0, ce = cs + 20 < size ? cs + 20 : size, keep = ce;
	for (unsigned int nd = 0; keep > cs && nd < 4;)
		nd += (unsigned int)(want[--keep] >= '0' && want[keep] <= '9');
	for (size_t i = cs; i < keep; i++)
		if (want[i] >= '0' && want[i] <= '9') {
			want[i] = 'Z';
			nwant++;
		}
	memset(&r, 0, sizeof(r));
	r.n_spans = 2;
	r.span[0] = (struct hp_pii_span){(uint32_t)s, (uint32_t)(s + n), HP_PII_EMAIL};
	r.span[1] = (struct hp_pii_span){(uint32_t)cs, (uint32_t)ce, HP_PII_CREDIT_CARD};
	assert_int_equal(hp_pii_mask_impl(buf, size, &r, 'Z', UINT64_MAX, impl), nwant);
	assert_memory_equal(buf, want, size);
}

/* hp_pii_mask's count of changed bytes and its bytes, in both its loops (count_byte + memset;
 * AVX-512's byte-masked 64-byte pieces, where the CPU has them), against a byte-by-byte mask:
 * spans of 0 to 8 500 bytes (count_byte sums its byte lanes every 255 steps: spans of mostly
 * the mask byte pass that), and spans ending on every byte around a 4 KB page's end (the
 * AVX-512 loop goes byte by byte where a piece's 64 bytes reach into the next page). */
static void
test_mask_count(void **state)
{
	static uint8_t buf[3 * 4096] __attribute__((aligned(4096))), want[3 * 4096];
	const enum hp_pii_tok_impl impls[] = {HP_PII_TOK_SSE2, HP_PII_TOK_AVX512};
	uint32_t seed = 12345;

	(void)state;
	for (size_t v = 0; v < sizeof(impls) / sizeof(impls[0]); v++) {
		if (!hp_pii_tok_impl_supported(impls[v]))
			continue;
		for (size_t n = 0; n < 8500; n += n < 64 ? 1 : n < 600 ? 7 : 997)
			mask_case(buf, want, sizeof(buf), &seed, (seed >> 8) % 37, n,
				  n > 4000 && n % 2 == 1, impls[v]);
		for (size_t end = 4096 - 80; end <= 4096 + 4; end++)
			for (size_t n = 1; n <= 70; n += 3)
				mask_case(buf, want, 4096 + 64, &seed, end - n, n, false, impls[v]);
	}
}

/* More matches than HP_PII_MAX_SPANS: all counted, the rest dropped and said so. */
static void
test_overflow(void **state)
{
	static char big[(HP_PII_MAX_SPANS + 10) * 12 + 1];
	size_t o = 0;

	(void)state;
	for (int i = 0; i < HP_PII_MAX_SPANS + 10; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "a%d@b.io ", i % 10);
	assert_int_equal(scan_counted(db_all, scr_all, big), HP_PII_MAX_SPANS + 10);
	assert_int_equal(res.n_spans, HP_PII_MAX_SPANS);
	assert_int_equal(res.n_dropped, 10);
	assert_int_equal(res.count[HP_PII_EMAIL], HP_PII_MAX_SPANS + 10);
}

static void
test_api(void **state)
{
	(void)state;
	assert_int_equal(hp_pii_scan(NULL, scr_all, (const uint8_t *)"x", 1, &res), -EINVAL);
	assert_int_equal(hp_pii_scan(db_all, scr_all, NULL, 0, &res), 0);
	for (int i = 0; i < HP_PII__BUILTIN_COUNT; i++)
		assert_int_equal(hp_pii_builtin_from_name(hp_pii_entity_name(db_all, (unsigned)i)),
				 i);
	assert_int_equal(hp_pii_builtin_from_name("nope"), -1);
	assert_string_equal(hp_pii_validator_name(HP_PII_VAL_LUHN), "luhn");
}

/* IBAN check digits against the textbook reading of ISO 13616: the first four characters moved
 * to the end, each letter written as its two digits (A = 10), the decimal number reduced mod 97
 * one digit at a time; valid when it leaves 1. Every country code with a registered length, 400
 * strings each (random characters, then the check digits that make a quarter of them valid), bare
 * and in groups of 4: hp_pii_iban_valid must agree on every one; with a space out of place, or
 * none at the grouped length, it must refuse. */
static bool
iban_ref(const char *s)
{
	char r[40], d[80];
	size_t n = strlen(s), nd = 0;
	unsigned int m = 0;

	memcpy(r, s + 4, n - 4);
	memcpy(r + n - 4, s, 4);
	for (size_t i = 0; i < n; i++) {
		if (r[i] >= 'A' && r[i] <= 'Z') {
			d[nd++] = (char)('0' + (r[i] - 'A' + 10) / 10);
			d[nd++] = (char)('0' + (r[i] - 'A' + 10) % 10);
		} else {
			d[nd++] = r[i];
		}
	}
	for (size_t i = 0; i < nd; i++)
		m = (m * 10 + (unsigned int)(d[i] - '0')) % 97;
	return m == 1;
}

static void
test_iban_mod97(void **state)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	unsigned int seed = 12345, countries = 0, valid = 0, total = 0;

	(void)state;
	for (char a = 'A'; a <= 'Z'; a++) {
		for (char b = 'A'; b <= 'Z'; b++) {
			const uint8_t cc[2] = {(uint8_t)a, (uint8_t)b};
			unsigned int want = hp_pii_iban_len(cc);

			if (want == 0)
				continue;
			countries++;
			for (unsigned int k = 0; k < 400; k++) {
				char s[40], g[48];
				size_t gl = 0;
				bool ref;

				s[0] = a;
				s[1] = b;
				for (unsigned int i = 2; i < want; i++) {
					seed = seed * 1103515245u + 12345u;
					s[i] = i < 4 ? (char)('0' + (seed >> 16) % 10)
						     : alnum[(seed >> 16) % (k & 1 ? 10 : 36)];
				}
				s[want] = '\0';
				if (k % 4 == 0) { /* the check digits that make it valid */
					for (unsigned int c = 0; c < 100 && !iban_ref(s); c++) {
						s[2] = (char)('0' + c / 10);
						s[3] = (char)('0' + c % 10);
					}
				}
				ref = iban_ref(s);
				valid += ref;
				total++;
				if (V(hp_pii_iban_valid, s) != ref)
					fail_msg("%s: hp_pii_iban_valid %d, reference %d", s, !ref,
						 ref);
				for (unsigned int i = 0; i < want; i++) {
					if (i > 0 && i % 4 == 0)
						g[gl++] = ' ';
					g[gl++] = s[i];
				}
				g[gl] = '\0';
				if (V(hp_pii_iban_valid, g) != ref)
					fail_msg("%s: hp_pii_iban_valid %d, reference %d", g, !ref,
						 ref);
				/* a character made a space, bare or beside the groups' spaces:
				 * one character short, never valid (mod 97 of the rest leaves 1
				 * for about one in 97) */
				{
					char sb[40], gb[48];
					size_t at = 4 + (k * 7) % (want - 4), ga = at + at / 4;

					memcpy(sb, s, want + 1);
					sb[at] = ' ';
					assert_false(V(hp_pii_iban_valid, sb));
					memcpy(gb, g, gl + 1);
					gb[ga] = ' ';
					assert_false(V(hp_pii_iban_valid, gb));
				}
				/* a space moved into a group, or every space a character: the
				 * grouped length, never valid */
				g[4] = g[5];
				g[5] = ' ';
				assert_false(V(hp_pii_iban_valid, g));
				for (size_t i = 0; i < gl; i++)
					g[i] = g[i] == ' ' ? alnum[(i + k) % 36] : g[i];
				assert_false(V(hp_pii_iban_valid, g));
			}
		}
	}
	assert_true(countries > 60);
	assert_true(valid > total / 4 && valid < total / 2);
}

/* Card spans against the grammar read end by end: from every digit with no word byte before it
 * (left to right, none inside a span found), the longest end of at most 37 bytes of digits,
 * ' ' and '-' that hp_pii_card_valid takes, with no word byte after it. The scan finds a card's
 * ends in one walk (pii.c, span_card); this reads them the slow way over tokens made to have
 * several valid ends (Luhn-valid numbers with more groups after them), separators doubled or
 * at the end, 19 digits and more, and random ones. */
static bool
is_word(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_';
}

static size_t
card_ref_end(const uint8_t *b, size_t len, size_t s)
{
	size_t run = 0;

	while (s + run < len && run < 37 &&
	       ((b[s + run] >= '0' && b[s + run] <= '9') || b[s + run] == ' ' || b[s + run] == '-'))
		run++;
	for (size_t e = s + run; e >= s + 13; e--)
		if ((e == len || !is_word(b[e])) && hp_pii_card_valid(b + s, e - s))
			return e;
	return 0;
}

static void
luhn_fix(char *d, size_t nd)
{
	unsigned int sum = 0;

	for (size_t i = 0; i + 1 < nd; i++) {
		unsigned int v = (unsigned int)(d[nd - 2 - i] - '0') * (i % 2 == 0 ? 2 : 1);
		sum += v > 9 ? v - 9 : v;
	}
	d[nd - 1] = (char)('0' + (10 - sum % 10) % 10);
}

static void
test_card_ends(void **state)
{
	static const char *const pre[] = {"{\"k\":\"", "x ", "", "(", "id:"};
	static const char *const post[] = {"\"}", "a", ".5", "", " -", "_"};
	struct hp_pii_config cfg = {.enabled = UINT64_C(1) << HP_PII_CREDIT_CARD};
	struct hp_pii_db *db;
	struct hp_pii_scratch *scr;
	struct hp_pii_result r;
	unsigned int seed = 4242, with = 0, multi = 0;
	char err[256];

	(void)state;
	assert_int_equal(hp_pii_db_create(&cfg, &db, err, sizeof(err)), 0);
	assert_int_equal(hp_pii_scratch_create(db, &scr), 0);
	for (unsigned int k = 0; k < 60000; k++) {
		char t[128];
		size_t n = 0, len, want_n = 0, last = 0;
		uint32_t want[64][2];

#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff)
		n = (size_t)snprintf(t, sizeof(t), "%s", pre[k % 5]);
		if (k % 3 != 2) {
			/* Luhn-valid numbers, one to three, in groups with more after them */
			for (unsigned int part = 0, parts = 1 + RND() % 3; part < parts; part++) {
				char d[20];
				size_t nd = 12 + RND() % 8;

				d[0] = (char)('1' + RND() % 9);
				for (size_t i = 1; i < nd; i++)
					d[i] = (char)('0' + RND() % 10);
				if (RND() % 4 != 0)
					luhn_fix(d, nd);
				for (size_t i = 0; i < nd; i++) {
					unsigned int x = RND() % 16;

					if (i > 0 && (i % 4 == 0 ? x < 12 : x == 0))
						t[n++] = x % 5 == 0 ? '-' : ' ';
					if (x == 1 && i > 0 && i % 4 == 0)
						t[n++] = ' '; /* doubled */
					t[n++] = d[i];
				}
				if (part + 1 < parts)
					t[n++] = " -"[RND() % 2];
			}
		} else {
			for (size_t i = 0, tl = 8 + RND() % 40; i < tl; i++) {
				unsigned int x = RND() % 10;

				t[n++] = x < 7 ? (char)('0' + RND() % 10) : x < 9 ? ' ' : '-';
			}
		}
		n += (size_t)snprintf(t + n, sizeof(t) - n, "%s", post[(k / 5) % 6]);
		len = n;
		for (size_t s = 0; s < len; s++) {
			size_t e;

			if (s < last || t[s] < '0' || t[s] > '9' ||
			    (s > 0 && is_word((uint8_t)t[s - 1])))
				continue;
			e = card_ref_end((const uint8_t *)t, len, s);
			if (e != 0 && want_n < 64) {
				want[want_n][0] = (uint32_t)s;
				want[want_n++][1] = (uint32_t)e;
				last = e;
			}
		}
#undef RND
		assert_true(hp_pii_scan(db, scr, (const uint8_t *)t, len, &r) >= 0);
		with += want_n > 0;
		multi += want_n > 1;
		if (r.n_spans != want_n)
			fail_msg("\"%.*s\": %u card spans, the grammar %zu", (int)len, t, r.n_spans,
				 want_n);
		for (size_t i = 0; i < want_n; i++)
			if (r.span[i].start != want[i][0] || r.span[i].end != want[i][1])
				fail_msg("\"%.*s\": span %u-%u, the grammar %u-%u", (int)len, t,
					 r.span[i].start, r.span[i].end, want[i][0], want[i][1]);
	}
	print_message("card ends: %u of 60000 tokens with a card, %u with several\n", with, multi);
	assert_true(with > 10000 && multi > 1000);
	hp_pii_scratch_free(scr);
	hp_pii_db_free(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),     cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_validators),  cmocka_unit_test(test_iban_mod97),
		cmocka_unit_test(test_cards),       cmocka_unit_test(test_ids),
		cmocka_unit_test(test_contact),     cmocka_unit_test(test_network),
		cmocka_unit_test(test_secrets),     cmocka_unit_test(test_decoy_body),
		cmocka_unit_test(test_user_entity), cmocka_unit_test(test_refused),
		cmocka_unit_test(test_mask),        cmocka_unit_test(test_mask_count),
		cmocka_unit_test(test_overflow),    cmocka_unit_test(test_card_ends),
		cmocka_unit_test(test_api),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
