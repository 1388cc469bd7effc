/* SPDX-License-Identifier: BSD-3-Clause
 * bench_pii: lib/pii scan rate on one core over a corpus of JSON webhook bodies, next to PCRE2
 * (JIT) and RE2 running the same expressions over the same bodies in the same run (DESIGN §7).
 *
 *   build/tests/bench/bench_pii CORPUS.jsonl [--seconds S] [--runs N] [--cpu C]
 *                               [--slice BYTES] [--per-entity] [--max-bodies N]
 *
 * CORPUS is JSONL, one {"body": "...", ...} per line (tests/pii/gen_corpus.py); the bodies are
 * loaded into memory, each in its own 64-byte aligned buffer, and every figure is a pass over
 * all of them, one body after the other, on one core. tests/bench/bench_pii.sh generates the
 * corpus and runs this.
 *
 * The expressions are hp_pii_db_patterns() of a database of every built-in entity: the
 * prefilters lib/pii compiles into Hyperscan, then those that define what its digit-run pass
 * finds (numeric entities, IBAN, wallets, IPv4, MAC). What is measured (GB/s = 1e9 bytes of body
 * per second; median of N runs of ~S s each, runs interleaved across jobs so that drift of a
 * shared machine hits every job alike):
 *   hookpath report  hp_pii_scan() per body, every built-in entity: Hyperscan prefilters with
 *                    look-back, the digit-run pass, grammars, validators, context words
 *   hookpath mask    copy of the body, hp_pii_scan() on it, hp_pii_mask(); shown with the copy
 *                    and with its cost (the memcpy job) subtracted: the dataplane scans the HTTP
 *                    parser's contiguous copy, which it has anyway
 *   reference pass   hp_pii_scan() with the reference version of the digit-run pass (one
 *                    visit per digit-run start; the default decides them by 64-byte masks)
 *   hyperscan_only   hp_pii_scan() with every entity through Hyperscan prefilters (the
 *                    config's hyperscan_only: the engine before the digit-run pass)
 *   hyperscan raw    hs_scan with a counting callback: of lib/pii's own database (the engine
 *                    floor under hookpath), and of every expression (the engine comparison)
 *   PCRE2 JIT, RE2   every expression, each compiled on its own, every non-overlapping match
 *                    of every expression over every body (one expression after the other)
 * The baselines only find raw matches of the prefilter expressions: they run no look-back, no
 * grammar and no validator, so the comparison favours them.
 * Then: the expressions with HS_FLAG_SOM_LEFTMOST against without (and against hp_pii_scan),
 * block vs vectored vs streaming mode with the body cut in TCP-segment-sized slices, and (with
 * --per-entity) each entity on its own.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs.h>
#include <jansson.h>
#include <pcre2.h>
#include <re2/re2.h>

extern "C" {
#include "pii/pii.h" /* no C++ guards of its own */
#include "pii/pii_priv.h"
}

#define MAX_RUNS 31
#define MAX_PAT  (HP_PII__BUILTIN_COUNT * 3 + HP_PII_MAX_USER)

namespace
{

/* ---- corpus ---- */

struct corpus {
	std::vector<const uint8_t *> body;
	std::vector<size_t> len;
	size_t bytes = 0;
	size_t max_len = 0;
	uint8_t *arena = nullptr;
};

/* Loads the "body" string of each JSONL line. 0 or -errno. */
int
corpus_load(const char *path, size_t max_bodies, struct corpus *c)
{
	FILE *f = fopen(path, "r");
	std::vector<std::string> bodies;
	char *line = nullptr;
	size_t cap = 0, off = 0;
	ssize_t n;
	unsigned long lineno = 0;

	if (f == nullptr) {
		fprintf(stderr, "bench_pii: corpus %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while ((n = getline(&line, &cap, f)) > 0 && bodies.size() < max_bodies) {
		json_error_t jerr;
		json_t *root, *b;

		lineno++;
		if (n == 1 && line[0] == '\n')
			continue;
		root = json_loadb(line, (size_t)n, 0, &jerr);
		b = root != nullptr ? json_object_get(root, "body") : nullptr;
		if (b == nullptr || !json_is_string(b)) {
			fprintf(stderr, "bench_pii: corpus %s line %lu: no \"body\" string (%s)\n",
				path, lineno, root == nullptr ? jerr.text : "missing");
			json_decref(root);
			continue;
		}
		if (json_string_length(b) > 0)
			bodies.emplace_back(json_string_value(b), json_string_length(b));
		json_decref(root);
	}
	free(line);
	fclose(f);
	for (const auto &s : bodies)
		off += (s.size() + 63) & ~(size_t)63;
	if (bodies.empty() || posix_memalign((void **)&c->arena, 64, off) != 0) {
		fprintf(stderr, "bench_pii: corpus %s: no bodies\n", path);
		return -EINVAL;
	}
	off = 0;
	for (const auto &s : bodies) {
		memcpy(c->arena + off, s.data(), s.size());
		c->body.push_back(c->arena + off);
		c->len.push_back(s.size());
		c->bytes += s.size();
		c->max_len = std::max(c->max_len, s.size());
		off += (s.size() + 63) & ~(size_t)63;
	}
	return 0;
}

/* ---- timing ---- */

double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One kind of work: pass() goes over the whole corpus once and returns a count (matches). */
struct job {
	std::string name;
	std::function<uint64_t()> pass;
	uint64_t count = 0;      /* of one pass, from the warm-up pass */
	double run_gbs[MAX_RUNS];
	double med = 0, lo = 0, hi = 0;
	bool ok = true;
};

volatile uint64_t sink;

/* GB/s of whole passes over ~secs (at least one pass). */
double
measure(struct job *j, size_t bytes, double secs)
{
	unsigned long passes = 0;
	double t0 = now_s(), t;

	do {
		sink += j->pass();
		passes++;
		t = now_s();
	} while (t - t0 < secs);
	return (double)bytes * (double)passes / (t - t0) / 1e9;
}

void
summarise(job *j, int runs)
{
	std::vector<double> v(j->run_gbs, j->run_gbs + runs);

	std::sort(v.begin(), v.end());
	j->med = v[v.size() / 2];
	j->lo = v.front();
	j->hi = v.back();
}

void
run_jobs(const std::vector<job *> &jobs, size_t bytes, int runs, double secs)
{
	for (job *j : jobs)
		if (j->ok)
			j->count = j->pass(); /* warm-up, and the sanity count */
	for (int r = 0; r < runs; r++)
		for (job *j : jobs)
			if (j->ok)
				j->run_gbs[r] = measure(j, bytes, secs);
	for (job *j : jobs)
		if (j->ok)
			summarise(j, runs);
}

/* ---- Hyperscan ---- */

struct pattern {
	std::string expr;
	unsigned int flags;
	uint16_t entity;
	bool in_hs;              /* literal-led: lib/pii's Hyperscan database before the literal pass */
};

int
hs_count_cb(unsigned int, unsigned long long, unsigned long long, unsigned int, void *ctx)
{
	++*(uint64_t *)ctx;
	return 0;
}

/* Compiles pats with extra flags in mode; on failure names the refused expression. */
hs_database_t *
hs_build(const std::vector<pattern> &pats, unsigned int extra, unsigned int mode, const char *what)
{
	std::vector<const char *> ex;
	std::vector<unsigned int> fl, id;
	hs_database_t *db = nullptr;
	hs_compile_error_t *cerr = nullptr;

	for (size_t i = 0; i < pats.size(); i++) {
		ex.push_back(pats[i].expr.c_str());
		fl.push_back(pats[i].flags | extra);
		id.push_back((unsigned int)i);
	}
	if (ex.empty())
		return nullptr;
	if (hs_compile_multi(ex.data(), fl.data(), id.data(), (unsigned int)ex.size(), mode,
			     nullptr, &db, &cerr) == HS_SUCCESS)
		return db;
	fprintf(stderr, "bench_pii: %s: Hyperscan refused expression %d (%s): %s\n", what,
		cerr->expression, cerr->expression >= 0 ? ex[cerr->expression] : "-",
		cerr->message);
	hs_free_compile_error(cerr);
	return nullptr;
}

hs_scratch_t *
hs_scratch_for(const hs_database_t *db)
{
	hs_scratch_t *s = nullptr;

	if (db != nullptr && hs_alloc_scratch(db, &s) != HS_SUCCESS)
		return nullptr;
	return s;
}

/* A block-mode hs_scan job over every body. */
job
hs_block_job(const std::string &name, const corpus &c, hs_database_t *db, hs_scratch_t *s)
{
	job j;

	j.name = name;
	j.ok = db != nullptr && s != nullptr;
	j.pass = [&c, db, s]() {
		uint64_t n = 0;
		for (size_t b = 0; b < c.body.size(); b++)
			hs_scan(db, (const char *)c.body[b], (unsigned int)c.len[b], 0, s,
				hs_count_cb, &n);
		return n;
	};
	return j;
}

/* One pattern set compiled in the three modes, for the mode comparison. */
struct mode_set {
	hs_database_t *blk = nullptr, *vec = nullptr, *str = nullptr;
	hs_scratch_t *blk_s = nullptr, *vec_s = nullptr, *str_s = nullptr;
	hs_stream_t *reuse = nullptr; /* one stream reset after each body */
	std::vector<job> jobs;
};

/* Body b's slices are sp/sl[first[b], first[b + 1]). */
struct slices {
	std::vector<const char *> sp;
	std::vector<unsigned int> sl;
	std::vector<size_t> first;
};

void
mode_set_build(mode_set *m, const std::vector<pattern> &pats, const std::string &tag,
	       const corpus &c, const slices &sc)
{
	m->blk = hs_build(pats, 0, HS_MODE_BLOCK, "block");
	m->vec = hs_build(pats, 0, HS_MODE_VECTORED, "vectored");
	m->str = hs_build(pats, 0, HS_MODE_STREAM, "stream");
	m->blk_s = hs_scratch_for(m->blk);
	m->vec_s = hs_scratch_for(m->vec);
	m->str_s = hs_scratch_for(m->str);
	if (m->str != nullptr && hs_open_stream(m->str, 0, &m->reuse) != HS_SUCCESS)
		m->reuse = nullptr;
	bool str_ok = m->str != nullptr && m->str_s != nullptr && m->reuse != nullptr;
	hs_database_t *vec = m->vec, *str = m->str;
	hs_scratch_t *vec_s = m->vec_s, *str_s = m->str_s;
	hs_stream_t *reuse = m->reuse;
	job j;

	m->jobs.push_back(hs_block_job(tag + "block: hs_scan, whole body", c, m->blk, m->blk_s));
	j.name = tag + "vectored: hs_scan_vector, slices";
	j.ok = vec != nullptr && vec_s != nullptr;
	j.pass = [&c, &sc, vec, vec_s]() {
		uint64_t n = 0;
		for (size_t b = 0; b < c.body.size(); b++)
			hs_scan_vector(vec, &sc.sp[sc.first[b]], &sc.sl[sc.first[b]],
				       (unsigned int)(sc.first[b + 1] - sc.first[b]), 0, vec_s,
				       hs_count_cb, &n);
		return n;
	};
	m->jobs.push_back(j);
	j.name = tag + "stream: open, scan slices, close";
	j.ok = str_ok;
	j.pass = [&c, &sc, str, str_s]() {
		uint64_t n = 0;
		for (size_t b = 0; b < c.body.size(); b++) {
			hs_stream_t *st;
			if (hs_open_stream(str, 0, &st) != HS_SUCCESS)
				continue;
			for (size_t k = sc.first[b]; k < sc.first[b + 1]; k++)
				hs_scan_stream(st, sc.sp[k], sc.sl[k], 0, str_s, hs_count_cb, &n);
			hs_close_stream(st, str_s, hs_count_cb, &n);
		}
		return n;
	};
	m->jobs.push_back(j);
	j.name = tag + "stream: reset per body, slices";
	j.pass = [&c, &sc, reuse, str_s]() {
		uint64_t n = 0;
		for (size_t b = 0; b < c.body.size(); b++) {
			for (size_t k = sc.first[b]; k < sc.first[b + 1]; k++)
				hs_scan_stream(reuse, sc.sp[k], sc.sl[k], 0, str_s, hs_count_cb,
					       &n);
			hs_reset_stream(reuse, 0, str_s, hs_count_cb, &n);
		}
		return n;
	};
	m->jobs.push_back(j);
	j.name = tag + "stream: reset per body, whole body";
	j.pass = [&c, reuse, str_s]() {
		uint64_t n = 0;
		for (size_t b = 0; b < c.body.size(); b++) {
			hs_scan_stream(reuse, (const char *)c.body[b], (unsigned int)c.len[b], 0,
				       str_s, hs_count_cb, &n);
			hs_reset_stream(reuse, 0, str_s, hs_count_cb, &n);
		}
		return n;
	};
	m->jobs.push_back(j);
}

void
mode_set_free(mode_set *m)
{
	if (m->reuse != nullptr)
		hs_close_stream(m->reuse, m->str_s, nullptr, nullptr);
	hs_free_scratch(m->blk_s);
	hs_free_scratch(m->vec_s);
	hs_free_scratch(m->str_s);
	hs_free_database(m->blk);
	hs_free_database(m->vec);
	hs_free_database(m->str);
}

/* ---- PCRE2 and RE2 ---- */

struct pcre_pat {
	pcre2_code *code = nullptr;
	pcre2_match_data *md = nullptr;
	PCRE2_SIZE *ov = nullptr;
};

uint32_t
pcre_options(unsigned int hsf)
{
	uint32_t o = 0;

	if (hsf & HS_FLAG_CASELESS)
		o |= PCRE2_CASELESS;
	if (hsf & HS_FLAG_DOTALL)
		o |= PCRE2_DOTALL;
	if (hsf & HS_FLAG_MULTILINE)
		o |= PCRE2_MULTILINE;
	if (hsf & HS_FLAG_UTF8)
		o |= PCRE2_UTF;
	if (hsf & HS_FLAG_UCP)
		o |= PCRE2_UCP;
	return o;
}

/* 0 or -1 with the reason printed. */
int
pcre_build(const pattern &p, pcre_pat *out)
{
	int ec;
	PCRE2_SIZE eo;
	PCRE2_UCHAR msg[256];

	out->code = pcre2_compile((PCRE2_SPTR)p.expr.c_str(), PCRE2_ZERO_TERMINATED,
				  pcre_options(p.flags), &ec, &eo, nullptr);
	if (out->code == nullptr) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		fprintf(stderr, "bench_pii: PCRE2 refused %s at %zu: %s\n", p.expr.c_str(),
			(size_t)eo, (const char *)msg);
		return -1;
	}
	ec = pcre2_jit_compile(out->code, PCRE2_JIT_COMPLETE);
	if (ec != 0) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		fprintf(stderr, "bench_pii: PCRE2 JIT refused %s: %s\n", p.expr.c_str(),
			(const char *)msg);
		return -1;
	}
	out->md = pcre2_match_data_create_from_pattern(out->code, nullptr);
	out->ov = pcre2_get_ovector_pointer(out->md);
	return 0;
}

/* Non-overlapping matches of one expression in b, each search from the previous match's end. */
inline uint64_t
pcre_count(const pcre_pat &p, const uint8_t *b, size_t n)
{
	uint64_t c = 0;
	size_t off = 0;

	while (off <= n && pcre2_jit_match(p.code, b, n, off, 0, p.md, nullptr) >= 0) {
		c++;
		off = p.ov[1] > p.ov[0] ? p.ov[1] : p.ov[1] + 1;
	}
	return c;
}

std::unique_ptr<RE2>
re2_build(const pattern &p)
{
	RE2::Options o;
	std::string e;

	o.set_encoding(RE2::Options::EncodingLatin1); /* bytes, as Hyperscan without UTF8 */
	o.set_log_errors(false);
	if (p.flags & HS_FLAG_CASELESS)
		o.set_case_sensitive(false);
	if (p.flags & HS_FLAG_DOTALL)
		o.set_dot_nl(true);
	if (p.flags & HS_FLAG_UTF8)
		o.set_encoding(RE2::Options::EncodingUTF8);
	e = (p.flags & HS_FLAG_MULTILINE) ? "(?m)" + p.expr : p.expr;
	std::unique_ptr<RE2> re(new RE2(e, o));
	if (!re->ok()) {
		fprintf(stderr, "bench_pii: RE2 refused %s: %s\n", p.expr.c_str(),
			re->error().c_str());
		return nullptr;
	}
	return re;
}

inline uint64_t
re2_count(const RE2 &re, const uint8_t *b, size_t n)
{
	re2::StringPiece text((const char *)b, n), m;
	uint64_t c = 0;
	size_t pos = 0;

	while (pos <= n && re.Match(text, pos, n, RE2::UNANCHORED, &m, 1)) {
		size_t s = (size_t)(m.data() - text.data()), e = s + m.size();
		c++;
		pos = e > s ? e : e + 1;
	}
	return c;
}

/* ---- lib/pii jobs ---- */

struct hp_engine {
	struct hp_pii_db *db = nullptr;
	struct hp_pii_scratch *scr = nullptr;
};

/* 0 or -1 with the reason printed. */
int
hp_engine_create(hp_engine *e, uint64_t enabled, bool hyperscan_only)
{
	struct hp_pii_config cfg = {};
	char err[256] = "";

	cfg.enabled = enabled;
	cfg.hyperscan_only = hyperscan_only;
	if (hp_pii_db_create(&cfg, &e->db, err, sizeof(err)) != 0 ||
	    hp_pii_scratch_create(e->db, &e->scr) != 0) {
		fprintf(stderr, "bench_pii: hp_pii_db_create: %s\n", err);
		return -1;
	}
	return 0;
}

void
hp_engine_free(hp_engine *e)
{
	hp_pii_scratch_free(e->scr);
	hp_pii_db_free(e->db);
}

struct hp_pii_result scan_res;

/* hp_pii_scan of every body; counts validated spans. */
job
hp_report_job(const std::string &name, const corpus &c, const hp_engine &e)
{
	job j;
	struct hp_pii_db *db = e.db;
	struct hp_pii_scratch *scr = e.scr;

	j.name = name;
	j.ok = db != nullptr;
	j.pass = [&c, db, scr]() {
		uint64_t n = 0;
		for (size_t b = 0; b < c.body.size(); b++)
			if (hp_pii_scan(db, scr, c.body[b], c.len[b], &scan_res) > 0)
				n += scan_res.total;
		return n;
	};
	return j;
}

/* ---- output ---- */

void
print_row(const job &j, const corpus &c, double ref1, double ref2)
{
	if (!j.ok) {
		printf("  %-50s %s\n", j.name.c_str(), "(not available)");
		return;
	}
	printf("  %-50s %7.3f %6.3f-%-6.3f %10.0f", j.name.c_str(), j.med, j.lo, j.hi,
	       j.med * 1e9 / ((double)c.bytes / (double)c.body.size()));
	if (ref1 > 0)
		printf(" %8.2fx", j.med / ref1);
	else
		printf(" %9s", "");
	if (ref2 > 0)
		printf(" %8.2fx", j.med / ref2);
	else
		printf(" %9s", "");
	printf(" %12llu\n", (unsigned long long)j.count);
}

void
print_head(const char *ref1, const char *ref2)
{
	printf("  %-50s %7s %13s %10s %9s %9s %12s\n", "", "GB/s", "min-max", "bodies/s", ref1,
	       ref2, "count/pass");
}

/* ns per KB of body from GB/s */
double
ns_kb(double gbs)
{
	return 1e3 / gbs;
}

const char *
met(bool b)
{
	return b ? "met" : "NOT met";
}

void
usage(void)
{
	fprintf(stderr, "usage: bench_pii CORPUS.jsonl [--seconds S] [--runs N] [--cpu C] "
			"[--slice BYTES] [--per-entity] [--max-bodies N]\n");
}

} /* namespace */

int
main(int argc, char **argv)
{
	const char *path = nullptr;
	double secs = 1.0;
	int runs = 5, cpu = -1;
	size_t slice = 1448, max_bodies = SIZE_MAX;
	bool per_entity = false;
	struct corpus c;
	struct hp_pii_pattern hpp[MAX_PAT];
	std::vector<pattern> pats, pats_hs;
	uint64_t hs_ents = 0, tok_ents = 0;

	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--seconds" && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (a == "--runs" && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (a == "--cpu" && i + 1 < argc)
			cpu = atoi(argv[++i]);
		else if (a == "--slice" && i + 1 < argc)
			slice = (size_t)atol(argv[++i]);
		else if (a == "--max-bodies" && i + 1 < argc)
			max_bodies = (size_t)atol(argv[++i]);
		else if (a == "--per-entity")
			per_entity = true;
		else if (a[0] != '-' && path == nullptr)
			path = argv[i];
		else {
			usage();
			return 2;
		}
	}
	if (path == nullptr || runs < 1 || runs > MAX_RUNS || secs <= 0 || slice == 0) {
		usage();
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			fprintf(stderr, "bench_pii: cannot pin to cpu %d: %s\n", cpu,
				strerror(errno));
	}
	if (corpus_load(path, max_bodies, &c) != 0)
		return 1;

	hp_engine hp, hp_hso, hp_hsent, hp_tokent;
	if (hp_engine_create(&hp, HP_PII_ALL_BUILTIN, false) != 0 ||
	    hp_engine_create(&hp_hso, HP_PII_ALL_BUILTIN, true) != 0)
		return 1;
	unsigned int np = hp_pii_db_patterns(hp.db, hpp, MAX_PAT);
	for (unsigned int i = 0; i < np && i < MAX_PAT; i++) {
		pats.push_back({hpp[i].expr, hpp[i].flags, hpp[i].entity, hpp[i].hyperscan});
		if (hpp[i].hyperscan || hpp[i].literal) {
			pats_hs.push_back(pats.back());
			hs_ents |= UINT64_C(1) << hpp[i].entity;
		} else {
			tok_ents |= UINT64_C(1) << hpp[i].entity;
		}
	}
	/* lib/pii split in two: the entities it finds through Hyperscan, and the others */
	if (hp_engine_create(&hp_hsent, hs_ents, false) != 0 ||
	    hp_engine_create(&hp_tokent, tok_ents, false) != 0)
		return 1;

	printf("bench_pii: %zu bodies, %.1f MB (%zu-%zu B, mean %.0f B) from %s\n", c.body.size(),
	       (double)c.bytes / 1e6, *std::min_element(c.len.begin(), c.len.end()), c.max_len,
	       (double)c.bytes / (double)c.body.size(), path);
	printf("one core%s, median of %d runs of ~%.2f s each, runs interleaved; GB/s = 1e9 B/s\n",
	       cpu >= 0 ? (" (pinned to cpu " + std::to_string(cpu) + ")").c_str() : "", runs,
	       secs);
	printf("expressions: %zu prefilters of the %d built-in entities (hp_pii_db_patterns), %zu "
	       "of them literal-led (its literal pass finds them), the others define what its "
	       "digit-run pass finds; Hyperscan %s\n",
	       pats.size(), HP_PII__BUILTIN_COUNT, pats_hs.size(), hs_version());

	/* ---- engines ---- */
	hs_database_t *hall = hs_build(pats, 0, HS_MODE_BLOCK, "block, all");
	hs_database_t *hhp = hs_build(pats_hs, 0, HS_MODE_BLOCK, "block, lib/pii's");
	hs_scratch_t *hall_s = hs_scratch_for(hall), *hhp_s = hs_scratch_for(hhp);
	std::vector<pcre_pat> pc(pats.size());
	std::vector<std::unique_ptr<RE2>> rx(pats.size());
	unsigned int pcre_bad = 0, re2_bad = 0;
	for (size_t i = 0; i < pats.size(); i++) {
		if (pcre_build(pats[i], &pc[i]) != 0)
			pcre_bad++;
		rx[i] = re2_build(pats[i]);
		if (rx[i] == nullptr)
			re2_bad++;
	}
	if (hall == nullptr || hall_s == nullptr)
		return 1;

	/* Sanity: per expression, the bodies holding at least one match must be the same in the
	 * three engines (counts of matches differ by semantics: Hyperscan reports every end
	 * offset, PCRE2 and RE2 non-overlapping leftmost-first matches). */
	{
		std::vector<uint64_t> hsb(pats.size()), pcb(pats.size()), rxb(pats.size());
		std::vector<uint8_t> seen(pats.size());
		unsigned int disagree = 0;
		for (size_t b = 0; b < c.body.size(); b++) {
			std::fill(seen.begin(), seen.end(), 0);
			hs_scan(hall, (const char *)c.body[b], (unsigned int)c.len[b], 0, hall_s,
				[](unsigned int id, unsigned long long, unsigned long long,
				   unsigned int, void *ctx) {
					((uint8_t *)ctx)[id] = 1;
					return 0;
				},
				seen.data());
			for (size_t i = 0; i < pats.size(); i++) {
				hsb[i] += seen[i];
				if (pc[i].code != nullptr)
					pcb[i] += pcre2_jit_match(pc[i].code, c.body[b], c.len[b],
								  0, 0, pc[i].md, nullptr) >= 0;
				if (rx[i] != nullptr)
					rxb[i] += rx[i]->Match(
						re2::StringPiece((const char *)c.body[b], c.len[b]),
						0, c.len[b], RE2::UNANCHORED, nullptr, 0);
			}
		}
		printf("\nexpressions (hs: in lib/pii's Hyperscan db; bodies with >= 1 match: "
		       "hyperscan / pcre2 / re2)\n");
		for (size_t i = 0; i < pats.size(); i++) {
			bool same = hsb[i] == pcb[i] && hsb[i] == rxb[i];
			disagree += !same;
			printf("  %-16s %-2s %-58s %6llu %6llu %6llu%s\n",
			       hp_pii_entity_name(hp.db, pats[i].entity), pats[i].in_hs ? "hs" : "",
			       pats[i].expr.c_str(), (unsigned long long)hsb[i],
			       (unsigned long long)pcb[i], (unsigned long long)rxb[i],
			       same ? "" : "  DIFFERENT");
		}
		printf("  compiled unchanged in all three engines: %zu of %zu (PCRE2 refused %u, RE2 "
		       "refused %u); engines %s\n",
		       pats.size() - std::max(pcre_bad, re2_bad), pats.size(), pcre_bad, re2_bad,
		       disagree == 0 ? "agree on every expression" : "DISAGREE (see above)");
	}

	/* ---- 1. hookpath vs the engines ---- */
	uint8_t *work = nullptr;
	if (posix_memalign((void **)&work, 64, c.max_len + 64) != 0)
		return 1;
	job j_rep = hp_report_job("hookpath report  (hp_pii_scan)", c, hp);
	job j_mask, j_copy, j_pcre, j_re2;
	job j_hso = hp_report_job("hookpath report, hyperscan_only engine", c, hp_hso);
	job j_ref = hp_report_job("hookpath report, reference digit-run pass", c, hp);
	j_ref.pass = [&c, &hp]() {
		uint64_t n = 0;
		for (size_t b = 0; b < c.body.size(); b++)
			if (hp_pii_scan_impl(hp.db, hp.scr, c.body[b], c.len[b], &scan_res,
					     HP_PII_TOK_REF) > 0)
				n += scan_res.total;
		return n;
	};
	job j_hsent = hp_report_job("  split: hp_pii_scan, literal-led entities", c, hp_hsent);
	job j_tokent = hp_report_job("  split: hp_pii_scan, digit-run entities only", c, hp_tokent);
	job j_hhp = hs_block_job("hyperscan raw, literal-led (" + std::to_string(pats_hs.size()) +
					 " exprs)",
				 c, hhp, hhp_s);
	job j_hall = hs_block_job("hyperscan raw, all " + std::to_string(pats.size()) + " exprs", c,
				  hall, hall_s);
	j_mask.name = "hookpath mask    (copy + scan + hp_pii_mask)";
	j_mask.pass = [&]() {
		uint64_t n = 0;
		for (size_t b = 0; b < c.body.size(); b++) {
			memcpy(work, c.body[b], c.len[b]);
			if (hp_pii_scan(hp.db, hp.scr, work, c.len[b], &scan_res) > 0)
				n += hp_pii_mask(work, c.len[b], &scan_res, '*');
		}
		return n;
	};
	j_copy.name = "memcpy of each body (the mask's copy)";
	j_copy.pass = [&]() {
		uint64_t n = 0;
		for (size_t b = 0; b < c.body.size(); b++) {
			memcpy(work, c.body[b], c.len[b]);
			n += work[c.len[b] - 1];
		}
		return n;
	};
	j_pcre.name = "PCRE2 JIT, all " + std::to_string(pats.size()) + " exprs in turn";
	j_pcre.ok = pcre_bad == 0;
	j_pcre.pass = [&]() {
		uint64_t n = 0;
		for (size_t b = 0; b < c.body.size(); b++)
			for (const auto &p : pc)
				n += pcre_count(p, c.body[b], c.len[b]);
		return n;
	};
	j_re2.name = "RE2, all " + std::to_string(pats.size()) + " exprs in turn";
	j_re2.ok = re2_bad == 0;
	j_re2.pass = [&]() {
		uint64_t n = 0;
		for (size_t b = 0; b < c.body.size(); b++)
			for (const auto &r : rx)
				n += re2_count(*r, c.body[b], c.len[b]);
		return n;
	};
	run_jobs({&j_rep, &j_mask, &j_copy, &j_ref, &j_hso, &j_hsent, &j_tokent, &j_hhp, &j_hall,
		  &j_pcre, &j_re2},
		 c.bytes, runs, secs);

	/* the mask without its copy: per-byte times subtract, run by run */
	job j_mask_nc;
	j_mask_nc.name = "hookpath mask    (copy subtracted)";
	for (int r = 0; r < runs; r++)
		j_mask_nc.run_gbs[r] = 1.0 / (1.0 / j_mask.run_gbs[r] - 1.0 / j_copy.run_gbs[r]);
	summarise(&j_mask_nc, runs);
	j_mask_nc.count = j_mask.count;
	double rp = j_pcre.ok ? j_pcre.med : 0, rr = j_re2.ok ? j_re2.med : 0;
	printf("\n1. hookpath vs the same expressions in other engines (count/pass: hookpath = "
	       "validated spans, mask = bytes masked, engines = raw matches)\n");
	print_head("vs PCRE2", "vs RE2");
	for (job *j : {&j_rep, &j_mask_nc, &j_mask, &j_ref, &j_hso, &j_hsent, &j_tokent, &j_hhp,
		       &j_hall, &j_pcre, &j_re2, &j_copy})
		print_row(*j, c, rp, rr);
	printf("  PCRE2 and RE2 only find raw matches of the prefilter expressions: no look-back, "
	       "grammar,\n  validator or context words (hookpath does all of that), so the "
	       "comparison favours them.\n");
	printf("  Hyperscan counts every end offset of every match; PCRE2/RE2 count "
	       "non-overlapping leftmost matches.\n");
	printf("  digit-run pass: %s (HOOKPATH_PII_SCAN to choose), %.2fx the reference version\n",
	       hp_pii_tok_impl_name(hp.db, HP_PII_TOK_AUTO),
	       j_ref.med > 0 ? j_rep.med / j_ref.med : 0);
	printf("  hp_pii_scan: %.0f ns/KB = literal-led entities %.0f (hs_scan on them %.0f) + "
	       "digit-run entities %.0f (sum of the two %.0f)\n",
	       ns_kb(j_rep.med), ns_kb(j_hsent.med), j_hhp.ok ? ns_kb(j_hhp.med) : 0.0,
	       ns_kb(j_tokent.med), ns_kb(j_hsent.med) + ns_kb(j_tokent.med));
	printf("  goal >= 2 GB/s per worker: report %.2f GB/s %s, mask %.2f GB/s %s "
	       "(copy subtracted; %.2f with it)\n",
	       j_rep.med, met(j_rep.med >= 2.0), j_mask_nc.med, met(j_mask_nc.med >= 2.0),
	       j_mask.med);
	if (rp > 0)
		printf("  goal >= 20x PCRE2 JIT: report %.1fx %s, mask %.1fx %s\n", j_rep.med / rp,
		       met(j_rep.med / rp >= 20), j_mask_nc.med / rp, met(j_mask_nc.med / rp >= 20));

	/* ---- 2. start of match ---- */
	hs_database_t *hall_som = hs_build(pats, HS_FLAG_SOM_LEFTMOST, HS_MODE_BLOCK, "SOM, all");
	hs_database_t *hhp_som =
		hs_build(pats_hs, HS_FLAG_SOM_LEFTMOST, HS_MODE_BLOCK, "SOM, lib/pii's");
	hs_scratch_t *hall_som_s = hs_scratch_for(hall_som), *hhp_som_s = hs_scratch_for(hhp_som);
	job s_all = j_hall, s_hp = j_hhp, s_hso = j_hso, s_rep = j_rep;
	job s_all_som = hs_block_job("hyperscan raw, all exprs, SOM_LEFTMOST", c, hall_som,
				     hall_som_s);
	job s_hp_som = hs_block_job("hyperscan raw, literal-led, SOM_LEFTMOST", c, hhp_som,
				    hhp_som_s);
	s_all.name = "hyperscan raw, all exprs, end offsets only";
	s_hp.name = "hyperscan raw, literal-led, end offsets only";
	s_hso.name = "hp_pii_scan hyperscan_only (look-back+validate)";
	s_rep.name = "hp_pii_scan (its passes, no Hyperscan)";
	run_jobs({&s_all, &s_all_som, &s_hso, &s_hp, &s_hp_som, &s_rep}, c.bytes, runs, secs);
	printf("\n2. start of match: the same expressions in block mode with and without "
	       "HS_FLAG_SOM_LEFTMOST, counting callback\n");
	print_head("vs noSOM", "");
	print_row(s_all, c, s_all.med, 0);
	print_row(s_all_som, c, s_all.med, 0);
	print_row(s_hso, c, s_all.med, 0);
	print_row(s_hp, c, s_hp.med, 0);
	print_row(s_hp_som, c, s_hp.med, 0);
	print_row(s_rep, c, s_hp.med, 0);
	if (s_all_som.ok) {
		size_t s1 = 0, s2 = 0;
		hs_database_size(hall, &s1);
		hs_database_size(hall_som, &s2);
		printf("  all exprs: database %zu B without SOM, %zu B with; hp_pii_scan "
		       "hyperscan_only (end offsets, look-back, validators) is %.2fx the SOM engine "
		       "alone (which finds starts but validates nothing)\n",
		       s1, s2, s_hso.med / s_all_som.med);
	}

	/* ---- 3. block, vectored, streaming ---- */
	slices sc;
	sc.first.resize(c.body.size() + 1);
	for (size_t b = 0; b < c.body.size(); b++) {
		sc.first[b] = sc.sp.size();
		for (size_t o = 0; o < c.len[b]; o += slice) {
			sc.sp.push_back((const char *)c.body[b] + o);
			sc.sl.push_back((unsigned int)std::min(slice, c.len[b] - o));
		}
	}
	sc.first[c.body.size()] = sc.sp.size();
	mode_set m_hp, m_all;
	mode_set_build(&m_hp, pats_hs, "literal-led, ", c, sc);
	mode_set_build(&m_all, pats, "all exprs, ", c, sc);
	std::vector<job *> mode_jobs;
	for (auto &j : m_hp.jobs)
		mode_jobs.push_back(&j);
	for (auto &j : m_all.jobs)
		mode_jobs.push_back(&j);
	run_jobs(mode_jobs, c.bytes, runs, secs);
	printf("\n3. Hyperscan modes, counting callback; slices of %zu B (%.2f per body on "
	       "average)\n",
	       slice, (double)sc.sp.size() / (double)c.body.size());
	print_head("vs block", "");
	for (mode_set *m : {&m_hp, &m_all}) {
		size_t dbs[3] = {0, 0, 0}, scs[3] = {0, 0, 0}, ss = 0;

		for (auto &j : m->jobs)
			print_row(j, c, m->jobs[0].med, 0);
		if (m->blk != nullptr) {
			hs_database_size(m->blk, &dbs[0]);
			hs_scratch_size(m->blk_s, &scs[0]);
		}
		if (m->vec != nullptr) {
			hs_database_size(m->vec, &dbs[1]);
			hs_scratch_size(m->vec_s, &scs[1]);
		}
		if (m->str != nullptr) {
			hs_database_size(m->str, &dbs[2]);
			hs_scratch_size(m->str_s, &scs[2]);
			hs_stream_size(m->str, &ss);
		}
		printf("    database / scratch bytes: block %zu / %zu, vectored %zu / %zu, stream "
		       "%zu / %zu; stream state %zu B per open stream (per flow)\n",
		       dbs[0], scs[0], dbs[1], scs[1], dbs[2], scs[2], ss);
	}

	/* ---- 4. per entity (optional): where hp_pii_scan's time goes ---- */
	if (per_entity) {
		printf("\n4. per entity: hp_pii_scan with only this entity enabled vs hs_scan of its "
		       "prefilters alone (hs: lib/pii uses Hyperscan for it; else the digit-run "
		       "pass)\n");
		printf("  %-16s %-2s %9s %9s %9s %9s %12s %9s\n", "entity", "", "hp GB/s",
		       "hs GB/s", "hp ns/KB", "hs ns/KB", "hs matches", "spans");
		double hp_sum = 0;
		for (unsigned int e = 0; e < HP_PII__BUILTIN_COUNT; e++) {
			hp_engine he;
			std::vector<pattern> ep;

			if (hp_engine_create(&he, UINT64_C(1) << e, false) != 0)
				continue;
			for (const auto &p : pats)
				if (p.entity == e)
					ep.push_back(p);
			hs_database_t *ed = hs_build(ep, 0, HS_MODE_BLOCK, "entity");
			hs_scratch_t *es = hs_scratch_for(ed);
			job jr = hp_report_job("", c, he), jh = hs_block_job("", c, ed, es);
			run_jobs({&jr, &jh}, c.bytes, runs, secs);
			hp_sum += ns_kb(jr.med);
			printf("  %-16s %-2s %9.2f %9.2f %9.1f %9.1f %12llu %9llu\n",
			       hp_pii_entity_name(hp.db, e), (hs_ents >> e) & 1 ? "hs" : "", jr.med,
			       jh.med, ns_kb(jr.med), ns_kb(jh.med), (unsigned long long)jh.count,
			       (unsigned long long)jr.count);
			hs_free_scratch(es);
			hs_free_database(ed);
			hp_engine_free(&he);
		}
		printf("  sum of per-entity hp_pii_scan costs %.0f ns/KB; all entities in one "
		       "hp_pii_scan %.0f ns/KB\n",
		       hp_sum, ns_kb(j_rep.med));
	}

	mode_set_free(&m_hp);
	mode_set_free(&m_all);
	for (auto &p : pc) {
		pcre2_match_data_free(p.md);
		pcre2_code_free(p.code);
	}
	hs_free_scratch(hall_s);
	hs_free_scratch(hhp_s);
	hs_free_scratch(hall_som_s);
	hs_free_scratch(hhp_som_s);
	hs_free_database(hall);
	hs_free_database(hhp);
	hs_free_database(hall_som);
	hs_free_database(hhp_som);
	for (hp_engine *e : {&hp, &hp_hso, &hp_hsent, &hp_tokent})
		hp_engine_free(e);
	free(work);
	free(c.arena);
	return 0;
}
