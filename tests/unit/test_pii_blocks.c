/* SPDX-License-Identifier: BSD-3-Clause
 * lib/pii: the block versions of the digit-run pass (sse2, avx2, avx512bw, avx512vbmi: whichever
 * this CPU has) against the reference version, which visits every digit-run start and MAC
 * separator. Equal means the same result struct: total, counts, n_dropped and the kept spans in the
 * same order.
 *
 * 1. PII-shaped fragments (cards, SSN, phones, IBAN, IPv4, MAC, wallets, context words) and
 *    decoys (dates, timestamps, versions, hex ids, base64) glued with JSON punctuation, at every
 *    offset around the edges of the block scan's steps (48 bytes), of its 64-byte windows and
 *    of its groups of eight steps, and in bodies shorter than a window.
 * 2. Random bytes over the alphabet the masks look at (digits, separators, hex letters, "bc1").
 * 3. More spans than the result keeps (n_dropped), so the order must match too.
 * 4. Each token entity alone (its own database), and the version a database picks.
 * 4b. Bodies with an IPv6 candidate in many 64-byte blocks: the literal pass notes up to
 *    V6_BLKS of them for the IPv6 visits, the IPv6 pass runs on its own past that.
 * 5. The same bodies through the hyperscan_only database (every built-in through its Hyperscan
 *    prefilter): the same counts and, per entity, the same spans in the same order (leftmost
 *    first). The order across entities differs by design: ipv6 spans come after the other
 *    Hyperscan entities' instead of between them (pii.c, "IPv6 pass").
 * Each body sits at the very end of an allocation of its size (ASan builds see an overread).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pii.h"
#include "pii_priv.h"

static const char *const frags[] = {
	"4111 1111 1111 1111",
	"4111-1111-1111-1111",
	"4111111111111111",
	"5500 0000 0000 0004",
	"378282246310005",
	"123-45-6789",
	"123 45 6789",
	"123.45.6789",
	"078-05-1120",
	"912-70-1234",
	"ssn 219099999",
	"itin 912701234",
	"routing 011000015",
	"aba 0110-0001-5",
	"nhs 943 476 5919",
	"943-476-5919",
	"health 9434765919",
	"(212) 555-1234",
	"(212)555-1234",
	"212-555-1234",
	"212.555.1234",
	"+44 20 7946 0958",
	"+1-202-555-0143",
	"+33612345678",
	"GB82 WEST 1234 5698 7654 32",
	"DE89370400440532013000",
	"FR1420041010050500013M02606",
	"192.168.1.10",
	"10.0.0.255",
	"1.2.3.4.5",
	"256.1.1.1",
	"00:1A:2B:3C:4D:5E",
	"00-1a-2b-3c-4d-5e",
	"0012.3456.789a",
	"aa:bb:cc:dd:ee:ff:00",
	"1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
	"3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
	"1111111111111111111114oLvT2", /* 27 characters: Base58Check of a zero hash160 */
	"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
	"2024-01-15T10:30:00Z",
	"1769841154895",
	"1700000000",
	/* digits only, 11 to 20, Luhn-valid: cards where the first digit and the count allow one
	 * (4..., 13; 1..., 14; 6..., 19), not where they do not (1..., 13 and 11; 4..., 12; 7...;
	 * 0...; 20 digits) */
	"4234567890125",
	"12345678901237",
	"1234567890128",
	"423456789019",
	"6234567890123456780",
	"7234567890123459",
	"023456789012348",
	"12345678903",
	"32345678901234567890",
	"9.16.32",
	"12.50",
	/* IPv4's block event needs four dotted groups of 1-3 digits within 12 bytes of the start
	 * (decimals and versions are not tried); the longest reaches the 12th byte */
	"1.2.3.4",
	"255.255.255.255",
	"12.34.56.789",
	"1.22.333.4444",
	"37.774929",
	"123.4567",
	"9.16.32.1x",
	"1.2.3.",
	"1..2.3.4",
	"10.0.0.0.1",
	"SKU-02371",
	"fc2222d22649c1b0c6",
	"550e8400-e29b-41d4",
	/* separators before a digit run start its numeric token (a digit before them does not
	 * belong to it): short tokens so made are settled without a visit, others not */
	"8ad6c1c4-3350-445f-a4fa-c1e695f2e9b1",
	"a4fa-12345678-9",
	"c4-123-45-6789",
	"c4--12345678",
	"x-+12025550143",
	"id:+12345678",
	"z.-1234567",
	"q- 2345678",
	"Q(212) 555-1234",
	/* "(ddd)" with a first digit no area code has, and fewer than 8 digits after it, is
	 * settled without a visit; 8 or more after it, or another '(' or a separator before it,
	 * are visited */
	"(087) 520-1684",
	"(012)345-6789",
	"(087)",
	"(020) 7946 0958",
	"(011) 219-09-9999",
	"(199) 4111 1111 1111 1111",
	"(100) 1234567",
	"(100) 12345678",
	"((087) 520-1684",
	" (187) 520-1684",
	"+(087) 520-1684",
	"(0871) 520-1684",
	"(08) 7520-1684",
	"(087)(212) 555-1234",
	"5Ih1NKIPCw0Ew27YDnHg/XewdnDrlAvVM1+XPar",
	"x12-345678901",
	"ab-1234 5678 9012 3456",
	"12 34 56 78 90 12 34 56 78 90 12 34 56 78 90 12 34 56 78 90 12 34 56 78 90 12 34 56 78",
	"(((1234567890)))",
	"++1 202 555 0143",
	"..123456789..",
	"--123-45-6789--",
	"2001:db8::1",
	"2001:0db8:85a3:0000:0000:8a2e:0370:7334",
	"fe80::1ff:fe23:4567:890a",
	"::ffff:192.168.1.10",
	"[fe80::1]:443",
	"1:2:3:4:5:6:7:8",
	"1:2:3:4:5:6:7:8:9",
	"::1",
	"a::",
	"12:30:45",
	/* a MAC needs its first three separators within the step's look; an IPv6 start no hex
	 * digit or ':' before it */
	"00:1A:2B:3C",
	"0:1A:2B:3C:4D:5E",
	"00:1A:2B-3C:4D:5E",
	"10:30:00:11:22:33",
	"T10:30:00Z",
	"a::1",
	"7::1",
	"std::vector",
	"dead:beef::cafe:1.2.3.4",
	"ab:cd:ef::12:34",
	"0:0:0:0:0:0:0:0",
	/* a start is tried only where the 45 bytes from it hold "::" or 6 colons (ipv6_block):
	 * six colons and a dotted quad, five and one, seven colons without a ninth group, a
	 * "::" as the run's last bytes, 45 bytes and one more */
	"1:2:3:4:5:6:1.2.3.4",
	"1:2:3:4:5:1.2.3.4",
	"1:2:3:4:5:6:7",
	"1:2:3:4:5:6",
	"10:20:30:40:50:60::",
	"abcd:abcd:abcd:abcd:abcd:abcd:abcd:abcd:abc::",
	"abcd:abcd:abcd:abcd:abcd:abcd:1.2.3.4",
	"0000:0000:0000:0000:0000:ffff:192.168.100.200",
	"00000:1:2:3:4:5:6:7",
	/* the literal pass: emails, the secrets' prefixes, PEM (overlapping, cut, doubled) */
	"jane.doe+tag@example.co.uk",
	"@example.com",
	"a@b.io@c.de",
	"AKIAIOSFODNN7EXAMPLE",
	"ASIAAKIAIOSFODNN7EXAMPLEX",
	"ACCAIOSFODNN7EXAMPL",
	"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
	"ghp_ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789xy",
	("github_pat_11ABCDEFG0123456789abc_"
	 "defghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
	"github_pat_11ABCDEFG0123456789abc_",
	"sk_live_4eC39HqLyjWDarjtT1zdp7dc",
	"rk_test_abcdefghijklmnop1234",
	"sk_sk_live_4eC39HqLyjWDarjtT1zdp7dc",
	"xoxb-1234567890-abcdefghij",
	"xoxoxp-12-3456789012",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
	"eyJeyJeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.",
	"-----BEGIN RSA PRIVATE KEY-----\\nMIIBOgIBAAJBAKj34\\n-----END RSA PRIVATE KEY-----",
	"------BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----",
};

static const char *const glue[] = {
	"\"", "\":\"", "\",\"", ":", ",", " ", "  ", "-", ".", "_", "x", "Q",
	"\n", "\\n",   "{",     "}", "=", "/", "(",  ")", "+", "0", "9", "",
};

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

struct dbs {
	struct hp_pii_db *db;
	struct hp_pii_scratch *scr;
	struct hp_pii_db *hso; /* the same entities, hyperscan_only */
	struct hp_pii_scratch *hso_scr;
};

static struct dbs all;
static struct dbs single[HP_PII__BUILTIN_COUNT];
static struct hp_pii_result ref, got;
static unsigned long n_compared, n_spans_seen, n_dropped_seen;

static void
dbs_make(struct dbs *d, uint64_t enabled)
{
	struct hp_pii_config c = {.enabled = enabled};
	char err[256] = "";

	assert_int_equal(hp_pii_db_create(&c, &d->db, err, sizeof(err)), 0);
	assert_int_equal(hp_pii_scratch_create(d->db, &d->scr), 0);
	c.hyperscan_only = true;
	assert_int_equal(hp_pii_db_create(&c, &d->hso, err, sizeof(err)), 0);
	assert_int_equal(hp_pii_scratch_create(d->hso, &d->hso_scr), 0);
}

static void
dbs_free(struct dbs *d)
{
	hp_pii_scratch_free(d->scr);
	hp_pii_db_free(d->db);
	hp_pii_scratch_free(d->hso_scr);
	hp_pii_db_free(d->hso);
}

static int
setup(void **state)
{
	(void)state;
	dbs_make(&all, HP_PII_ALL_BUILTIN);
	for (unsigned int e = 0; e < HP_PII__BUILTIN_COUNT; e++)
		dbs_make(&single[e], UINT64_C(1) << e);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dbs_free(&all);
	for (unsigned int e = 0; e < HP_PII__BUILTIN_COUNT; e++)
		dbs_free(&single[e]);
	return 0;
}

/* Field by field (a span has padding bytes). */
static bool
same_result(const struct hp_pii_result *a, const struct hp_pii_result *b)
{
	if (a->total != b->total || a->n_spans != b->n_spans || a->n_dropped != b->n_dropped ||
	    memcmp(a->count, b->count, sizeof(a->count)) != 0)
		return false;
	for (uint32_t i = 0; i < a->n_spans; i++)
		if (a->span[i].start != b->span[i].start || a->span[i].end != b->span[i].end ||
		    a->span[i].entity != b->span[i].entity)
			return false;
	return true;
}

/* The same counts and, when every span was kept, per entity the same spans in the same order. */
static bool
same_per_entity(const struct hp_pii_result *a, const struct hp_pii_result *b)
{
	if (a->total != b->total || memcmp(a->count, b->count, sizeof(a->count)) != 0)
		return false;
	if (a->n_dropped != 0 || b->n_dropped != 0)
		return true;
	for (unsigned int e = 0; e < HP_PII_MAX_ENTITIES; e++) {
		uint32_t i = 0, k = 0;

		for (;;) {
			while (i < a->n_spans && a->span[i].entity != e)
				i++;
			while (k < b->n_spans && b->span[k].entity != e)
				k++;
			if (i == a->n_spans || k == b->n_spans)
				break;
			if (a->span[i].start != b->span[k].start ||
			    a->span[i].end != b->span[k].end)
				return false;
			i++;
			k++;
		}
		if (i != a->n_spans || k != b->n_spans)
			return false;
	}
	return true;
}

/* Every version this CPU has (and, framed, the reference too) against ref, scanning buf. */
static void
versions_equal(const struct dbs *d, const uint8_t *buf, size_t len, int n, bool framed,
	       const uint8_t *text)
{
	for (int t = framed ? HP_PII_TOK_REF : HP_PII_TOK_REF + 1; t < HP_PII_TOK__COUNT; t++) {
		if (!hp_pii_tok_impl_supported((enum hp_pii_tok_impl)t))
			continue;
		memset(&got, 0xa5, sizeof(got));
		assert_int_equal(
			hp_pii_scan_impl(d->db, d->scr, buf, len, &got, (enum hp_pii_tok_impl)t),
			n);
		if (!same_result(&got, &ref)) {
			print_error("%s%s differs from ref (total %u vs %u, spans %u vs %u) on %zu "
				    "bytes: %.*s\n",
				    hp_pii_tok_impl_name(d->db, (enum hp_pii_tok_impl)t),
				    framed ? " (framed)" : "", got.total, ref.total, got.n_spans,
				    ref.n_spans, len, (int)len, (const char *)text);
			fail();
		}
		n_compared++;
	}
}

/* Every version this CPU has against the reference, and the reference against the
 * hyperscan_only engine, on text copied to the end of an exact-size allocation; then every
 * version on the same text framed by bytes that would change the result if a pass read them
 * (letters before it: no digit run or numeric token would start at its first byte; digits
 * after it: its last run would go on), so that no version reads outside [buf, buf + len). */
static void
compare(const struct dbs *d, const uint8_t *text, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1), *fr = malloc(len + 128);
	int n;

	assert_non_null(buf);
	assert_non_null(fr);
	memcpy(buf, text, len);
	n = hp_pii_scan_impl(d->db, d->scr, buf, len, &ref, HP_PII_TOK_REF);
	assert_true(n >= 0);
	versions_equal(d, buf, len, n, false, text);
	memset(fr, 'x', 64);
	memcpy(fr + 64, text, len);
	memset(fr + 64 + len, '7', 64);
	versions_equal(d, fr + 64, len, n, true, text);
	assert_true(hp_pii_scan(d->hso, d->hso_scr, buf, len, &got) >= 0);
	if (!same_per_entity(&got, &ref)) {
		print_error("hyperscan_only differs from ref (total %u vs %u) on %zu bytes: %.*s\n",
			    got.total, ref.total, len, (int)len, (const char *)text);
		fail();
	}
	n_spans_seen += ref.n_spans;
	n_dropped_seen += ref.n_dropped;
	free(fr);
	free(buf);
}

static size_t
add(char *out, size_t at, size_t cap, const char *s)
{
	size_t l = strlen(s);

	if (at + l > cap)
		l = cap - at;
	memcpy(out + at, s, l);
	return at + l;
}

/* A body of fragments and glue, up to cap bytes. */
static size_t
make_body(char *out, size_t cap, unsigned int nfrag)
{
	size_t n = 0;

	for (unsigned int k = 0; k < nfrag && n < cap; k++) {
		n = add(out, n, cap, glue[rnd() % (sizeof(glue) / sizeof(glue[0]))]);
		n = add(out, n, cap, frags[rnd() % (sizeof(frags) / sizeof(frags[0]))]);
	}
	return n;
}

/* Each fragment at every offset 0..400 (the steps' edges at 48, 96, 144 and 192, their
 * windows' at 40, 104, 152, the 64-byte blocks' of the literal and IPv6 passes, and the edge
 * of a group of eight steps at 384, its window's at 376; bodies shorter than a window), padded
 * before with JSON-like text and cut inside or after it. */
static void
test_fragments_at_block_edges(void **state)
{
	static const char pad[] =
		"{\"id\":\"hFWCEPyYngFb51yB\",\"qty\":6,\"price\":26426,\"descr\":"
		"\"annual update basic plan gamma delta alpha beta widgets\",\"k\":\"";
	char buf[512];

	(void)state;
	for (size_t f = 0; f < sizeof(frags) / sizeof(frags[0]); f++) {
		size_t fl = strlen(frags[f]);

		for (size_t off = 0; off <= 400; off++) {
			size_t n = 0;

			while (n < off)
				n = add(buf, n, off, pad + (n % (sizeof(pad) - 1)));
			n = add(buf, n, sizeof(buf), frags[f]);
			n = add(buf, n, sizeof(buf), "\",\"n\":1}");
			compare(&all, (const uint8_t *)buf, n);
			/* cut inside or right after the fragment */
			compare(&all, (const uint8_t *)buf, off + fl);
			compare(&all, (const uint8_t *)buf, off + fl / 2);
		}
	}
	assert_true(n_spans_seen > 1000);
}

static void
test_random_bodies(void **state)
{
	static char buf[8192];

	(void)state;
	for (unsigned int i = 0; i < 6000; i++) {
		size_t cap = i % 3 == 0 ? rnd() % 64 : (i % 3 == 1 ? rnd() % 300 : rnd() % 8192);
		size_t n = make_body(buf, cap, 1 + rnd() % 200);

		compare(&all, (const uint8_t *)buf, n);
		if (i % 4 == 0)
			compare(&single[rnd() % HP_PII__BUILTIN_COUNT], (const uint8_t *)buf, n);
	}
}

static void
test_random_alphabet(void **state)
{
	static const char alpha[] = "0123456789012345678901234567890123456789 -.()+:_aAbBcCdDeEfFxX"
				    "bc1GQ\"\n";
	uint8_t buf[600];

	(void)state;
	for (unsigned int i = 0; i < 20000; i++) {
		size_t n = rnd() % sizeof(buf);

		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)alpha[rnd() % (sizeof(alpha) - 1)];
		compare(&all, buf, n);
		if (i % 8 == 0)
			for (unsigned int e = 0; e < HP_PII__BUILTIN_COUNT; e++)
				compare(&single[e], buf, n);
	}
	/* any byte at all, less often */
	for (unsigned int i = 0; i < 2000; i++) {
		size_t n = rnd() % sizeof(buf);

		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rnd();
		compare(&all, buf, n);
	}
}

/* More spans than HP_PII_MAX_SPANS: which ones are kept depends on the order of the visits. */
static void
test_dropped_spans_same_order(void **state)
{
	static char buf[16384];
	size_t n = 0;

	(void)state;
	for (unsigned int k = 0; k < 60; k++) {
		n = add(buf, n, sizeof(buf),
			"{\"c\":\"4111 1111 1111 1111\",\"m\":\"00:1A:2B:3C:4D:5E\",");
		n = add(buf, n, sizeof(buf),
			"\"ip\":\"192.168.1.10\",\"p\":\"212-555-1234\",\"x\":");
		n = add(buf, n, sizeof(buf), k % 2 ? "\"0012.3456.789a\"}," : "\"10.0.0.1\"},");
	}
	n_dropped_seen = 0;
	compare(&all, (const uint8_t *)buf, n);
	assert_true(n_dropped_seen > 0);
	for (size_t cut = n - 200; cut < n; cut += 7)
		compare(&all, (const uint8_t *)buf, cut);
}

/* An address (or colon pair) in each of up to 80 consecutive 64-byte blocks, at a different
 * place in each block, with literal candidates ('@', "eyJ") among them: past the blocks the
 * literal pass notes (pii.c, V6_BLKS), the IPv6 pass takes over from the first one not noted. */
static void
test_ipv6_many_blocks(void **state)
{
	static const char *const v6[] = {"2001:db8::1",     "fe80::1ff:fe23:4567:890a",
					 "12:34:56",        "::ffff:10.0.0.1",
					 "a@b.example.com", "ab:cd:ef::12:34"};
	static char buf[80 * 64 + 64];

	(void)state;
	for (unsigned int nblk = 1; nblk <= 80; nblk += (nblk < 28 ? 9 : 1)) {
		size_t n = 0;

		memset(buf, ' ', sizeof(buf));
		for (unsigned int k = 0; k < nblk; k++) {
			const char *a = v6[(k + nblk) % (sizeof(v6) / sizeof(v6[0]))];
			size_t at = (size_t)k * 64 + (k * 7 + nblk) % 40;

			memcpy(buf + at, "\"", 1);
			memcpy(buf + at + 1, a, strlen(a));
			memcpy(buf + at + 1 + strlen(a), "\",eyJhbGciOi", 12);
			n = (size_t)k * 64 + 64;
		}
		compare(&all, (const uint8_t *)buf, n);
		compare(&all, (const uint8_t *)buf, n - 20);
		compare(&single[HP_PII_IPV6], (const uint8_t *)buf, n);
	}
}

/* Bare 9- and 10-digit tokens (SSN, ITIN, ABA and NHS numbers that pass their checks, and
 * two that pass none) with a context word, a near miss or none 0..60 bytes before them, at
 * offsets on both sides of the body's first 64 bytes and of the steps' edges. The block
 * versions settle such a token without a visit when no context word's first three bytes lie
 * in the 48 bytes has_context reads (pii.c, blk_quiet_token): a word at the window's far edge,
 * one byte past it, or cut by it, in any case, must give what the reference gives. The
 * reference must also find spans in some of these bodies and none in others. */
static void
test_context_window(void **state)
{
	static const char *const words[] = {
		"ssn",
		"SSN",
		"Social Security",
		"social_security",
		"itin",
		"ITIN",
		"Taxpayer",
		"routing",
		"ROUTING",
		"aba",
		"Aba",
		"rtn",
		"transit",
		"nhs",
		"NHS",
		"health",
		"Health",
		"ss",
		"soc",
		"rout",
		"nh",
		"heal",
		"",
	};
	static const char *const tokens[] = {"219099999",  "912701234", "011000015",
					     "9434765919", "123456789", "1733572800"};
	static const char fill[] = "._/=,;:#";
	static const unsigned int offs[] = {0, 3, 20, 41, 47, 60, 64, 79, 101, 140};
	static const unsigned int ents[] = {HP_PII_US_SSN, HP_PII_US_ITIN, HP_PII_ABA_ROUTING,
					    HP_PII_UK_NHS};
	unsigned long with = 0, without = 0;
	char buf[320];

	(void)state;
	/* the rule is on (else every such number is visited and this compares nothing new) */
	assert_true(hp_pii_ctx_leads_ok());
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
		for (size_t t = 0; t < sizeof(tokens) / sizeof(tokens[0]); t++)
			for (unsigned int gap = 0; gap <= 60; gap++)
				for (size_t o = 0; o < sizeof(offs) / sizeof(offs[0]); o++) {
					size_t n = 0;

					while (n < offs[o]) {
						buf[n] = "{\"k\":[7,8],"[n % 11];
						n++;
					}
					n = add(buf, n, sizeof(buf), words[w]);
					for (unsigned int g = 0; g < gap; g++)
						buf[n++] = g + 1 == gap ? '"' : fill[(g + w) % 8];
					n = add(buf, n, sizeof(buf), tokens[t]);
					n = add(buf, n, sizeof(buf), "\",\"n\":1}");
					compare(&all, (const uint8_t *)buf, n);
					if (ref.total > 0)
						with++;
					else
						without++;
					if (gap % 7 == 0 || (gap >= 44 && gap <= 50))
						for (size_t e = 0; e < 4; e++)
							compare(&single[ents[e]],
								(const uint8_t *)buf, n);
				}
	print_message("context window: %lu bodies with a span, %lu without\n", with, without);
	assert_true(with > 1000);
	assert_true(without > 1000);
}

static void
test_versions(void **state)
{
	struct hp_pii_db *db = NULL;
	struct hp_pii_config c = {.enabled = HP_PII_ALL_BUILTIN};
	char err[128];
	const char *name, *why = NULL;
	bool bad = true;

	(void)state;
	assert_true(hp_pii_tok_impl_supported(HP_PII_TOK_REF));
	assert_true(hp_pii_tok_impl_supported(HP_PII_TOK_SSE2));
	name = hp_pii_tok_impl_name(all.db, HP_PII_TOK_AUTO);
	print_message("digit-run pass: %s (%lu comparisons so far)\n", name, n_compared);
	assert_string_not_equal(name, "ref");
	assert_string_not_equal(name, "unknown");
	/* the environment asks a new database for another version */
	setenv("HOOKPATH_PII_SCAN", "ref", 1);
	assert_int_equal(hp_pii_db_create(&c, &db, err, sizeof(err)), 0);
	assert_string_equal(hp_pii_tok_impl_name(db, HP_PII_TOK_AUTO), "ref");
	hp_pii_db_free(db);
	/* what the start's log and hookpath_engine_info say: the same as a database runs */
	assert_string_equal(hp_pii_scan_version(&why, &bad), "ref");
	assert_string_equal(why, "HOOKPATH_PII_SCAN");
	assert_false(bad);
	/* a name no version has (avx512 for avx512bw): said, and the widest one runs */
	setenv("HOOKPATH_PII_SCAN", "avx512", 1);
	assert_string_equal(hp_pii_scan_version(&why, &bad), name);
	assert_true(bad);
	assert_non_null(strstr(why, "ignored"));
	assert_int_equal(hp_pii_db_create(&c, &db, err, sizeof(err)), 0);
	assert_string_equal(hp_pii_tok_impl_name(db, HP_PII_TOK_AUTO), name);
	hp_pii_db_free(db);
	unsetenv("HOOKPATH_PII_SCAN");
	assert_string_equal(hp_pii_scan_version(&why, &bad), name);
	assert_false(bad);
	assert_string_equal(why, "the widest this CPU has");
	assert_int_equal(
		hp_pii_scan_impl(all.db, all.scr, (const uint8_t *)"x", 1, &got, HP_PII_TOK__COUNT),
		-ENOTSUP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fragments_at_block_edges),
		cmocka_unit_test(test_random_bodies),
		cmocka_unit_test(test_random_alphabet),
		cmocka_unit_test(test_dropped_spans_same_order),
		cmocka_unit_test(test_ipv6_many_blocks),
		cmocka_unit_test(test_context_window),
		cmocka_unit_test(test_versions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
