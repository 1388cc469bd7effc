/* SPDX-License-Identifier: BSD-3-Clause
 * PII accuracy report (issue 6): scan every body of a labelled corpus with all built-in entities
 * of lib/pii and compare the reported spans with the labels, per entity.
 *
 * Input: JSON Lines written by tests/pii/gen_corpus.py, one body a line:
 *   {"body": "<webhook body>", "spans": [{"entity": "email", "start": S, "end": E}, ...]}
 * with [start, end) byte offsets in the body. A reported span is a true positive when a label
 * has the same entity, start and end; a reported span no label matches is a false positive, a
 * label no reported span matches a false negative (a span off by one byte counts as both).
 *
 * Output: one row per built-in entity (labelled, reported, TP, FP, FN, precision, recall) and
 * the totals. With --min-precision / --min-recall the exit status is 1 when an entity with at
 * least MIN_LABELLED labels is below either, or when a scan dropped spans (HP_PII_MAX_SPANS): the
 * corpus keeps every body under that limit, so a drop means the figures are incomplete.
 * Exit 2: usage, unreadable corpus, bad label, scan error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pii.h"

#define MIN_LABELLED 20 /* entities with fewer labels are reported, not judged */
#define CTX_BYTES    32 /* context printed on each side of an error */

struct ent_stats {
	uint64_t labelled;
	uint64_t reported;
	uint64_t tp;
	uint64_t fp;
	uint64_t fn;
};

struct label {
	uint32_t start;
	uint32_t end;
	uint16_t entity;
	bool matched;
};

struct report {
	struct ent_stats ent[HP_PII__BUILTIN_COUNT];
	uint64_t bodies;
	uint64_t bytes;
	uint64_t bodies_labelled;
	uint64_t bodies_dropped; /* scans that kept fewer spans than they counted */
	long show_left;          /* FP/FN examples still to print */
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: pii_accuracy [--min-precision X] [--min-recall Y] [--show-errors N] "
		"CORPUS.jsonl\n"
		"  Scans each body of the corpus with every built-in entity of lib/pii and prints\n"
		"  precision and recall per entity. Exit 1 if an entity with >= %d labels is\n"
		"  below a given minimum, or if a scan dropped spans; 2 on errors.\n",
		MIN_LABELLED);
}

static bool
parse_ratio(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0.0 || v > 1.0)
		return false;
	*out = v;
	return true;
}

static double
ratio(uint64_t num, uint64_t den)
{
	return den == 0 ? 1.0 : (double)num / (double)den;
}

/* One error with CTX_BYTES of context each side; the span between '[' and ']'. Bytes outside
 * printable ASCII are shown as \xNN. */
static void
show_error(const char *kind, uint64_t line, const char *ename, const uint8_t *b, size_t len,
	   uint32_t s, uint32_t e)
{
	size_t lo = s > CTX_BYTES ? s - CTX_BYTES : 0;
	size_t hi = (size_t)e + CTX_BYTES < len ? (size_t)e + CTX_BYTES : len;

	printf("%s line %llu %s [%u,%u): ", kind, (unsigned long long)line, ename, s, e);
	for (size_t i = lo; i < hi; i++) {
		if (i == s)
			putchar('[');
		if (b[i] >= 0x20 && b[i] < 0x7f)
			putchar(b[i]);
		else
			printf("\\x%02x", b[i]);
		if (i + 1 == e)
			putchar(']');
	}
	putchar('\n');
}

/* Labels of one corpus line into *lab (grown as needed). Returns the count, or -1 with a
 * message. */
static long
read_labels(json_t *spans, size_t body_len, uint64_t line, struct label **lab, size_t *cap)
{
	size_t i, n = json_array_size(spans);
	json_t *sp;

	if (!json_is_array(spans)) {
		fprintf(stderr, "line %llu: \"spans\" is not an array\n", (unsigned long long)line);
		return -1;
	}
	if (n > *cap) {
		struct label *p = realloc(*lab, n * sizeof(*p));
		if (p == NULL) {
			fprintf(stderr, "line %llu: out of memory\n", (unsigned long long)line);
			return -1;
		}
		*lab = p;
		*cap = n;
	}
	json_array_foreach(spans, i, sp)
	{
		const char *ename = json_string_value(json_object_get(sp, "entity"));
		json_t *js = json_object_get(sp, "start"), *je = json_object_get(sp, "end");
		int ent = hp_pii_builtin_from_name(ename);
		json_int_t s, e;

		if (ent < 0 || !json_is_integer(js) || !json_is_integer(je)) {
			fprintf(stderr, "line %llu: span %zu: unknown entity or bad offsets\n",
				(unsigned long long)line, i);
			return -1;
		}
		s = json_integer_value(js);
		e = json_integer_value(je);
		if (s < 0 || e <= s || (size_t)e > body_len) {
			fprintf(stderr, "line %llu: span %zu: [%lld,%lld) outside the body (%zu)\n",
				(unsigned long long)line, i, (long long)s, (long long)e, body_len);
			return -1;
		}
		(*lab)[i] = (struct label){.start = (uint32_t)s,
					   .end = (uint32_t)e,
					   .entity = (uint16_t)ent,
					   .matched = false};
	}
	return (long)n;
}

/* Scan one body and fold its comparison into rep. 0, or -1 on a scan error. */
static int
judge_body(const struct hp_pii_db *db, struct hp_pii_scratch *scr, const uint8_t *body, size_t len,
	   struct label *lab, size_t nlab, uint64_t line, struct report *rep,
	   struct hp_pii_result *res)
{
	bool rep_matched[HP_PII_MAX_SPANS] = {false};
	int rc = hp_pii_scan(db, scr, body, len, res);

	if (rc < 0) {
		fprintf(stderr, "line %llu: scan failed (%d)\n", (unsigned long long)line, rc);
		return -1;
	}
	if (res->n_dropped > 0) {
		rep->bodies_dropped++;
		fprintf(stderr, "line %llu: %u spans dropped (more than %d)\n",
			(unsigned long long)line, res->n_dropped, HP_PII_MAX_SPANS);
	}
	for (size_t i = 0; i < nlab; i++) {
		struct label *l = &lab[i];
		rep->ent[l->entity].labelled++;
		for (uint32_t k = 0; k < res->n_spans; k++) {
			const struct hp_pii_span *sp = &res->span[k];
			if (!rep_matched[k] && sp->entity == l->entity && sp->start == l->start &&
			    sp->end == l->end) {
				rep_matched[k] = true;
				l->matched = true;
				break;
			}
		}
		if (l->matched) {
			rep->ent[l->entity].tp++;
		} else {
			rep->ent[l->entity].fn++;
			if (rep->show_left > 0) {
				rep->show_left--;
				show_error("FN", line, hp_pii_entity_name(db, l->entity), body, len,
					   l->start, l->end);
			}
		}
	}
	for (uint32_t k = 0; k < res->n_spans; k++) {
		const struct hp_pii_span *sp = &res->span[k];
		if (sp->entity >= HP_PII__BUILTIN_COUNT)
			continue;
		rep->ent[sp->entity].reported++;
		if (rep_matched[k])
			continue;
		rep->ent[sp->entity].fp++;
		if (rep->show_left > 0) {
			rep->show_left--;
			show_error("FP", line, hp_pii_entity_name(db, sp->entity), body, len,
				   sp->start, sp->end);
		}
	}
	return 0;
}

static int
run_corpus(const char *path, const struct hp_pii_db *db, struct hp_pii_scratch *scr,
	   struct report *rep)
{
	struct hp_pii_result *res = malloc(sizeof(*res));
	struct label *lab = NULL;
	size_t cap = 0, lcap = 0;
	char *line = NULL;
	uint64_t lineno = 0;
	ssize_t n;
	int rc = 0;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "corpus %s: %s\n", path, strerror(errno));
		free(res);
		return -1;
	}
	if (res == NULL) {
		fprintf(stderr, "out of memory\n");
		rc = -1;
		goto out;
	}
	while ((n = getline(&line, &lcap, f)) >= 0) {
		json_error_t jerr;
		json_t *root, *jbody;
		long nlab;

		lineno++;
		if (n == 0 || line[0] == '\n')
			continue;
		root = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &jerr);
		if (root == NULL) {
			fprintf(stderr, "corpus %s line %llu: %s\n", path,
				(unsigned long long)lineno, jerr.text);
			rc = -1;
			goto out;
		}
		jbody = json_object_get(root, "body");
		if (!json_is_string(jbody)) {
			fprintf(stderr, "corpus %s line %llu: no \"body\" string\n", path,
				(unsigned long long)lineno);
			json_decref(root);
			rc = -1;
			goto out;
		}
		nlab = read_labels(json_object_get(root, "spans"), json_string_length(jbody),
				   lineno, &lab, &cap);
		if (nlab < 0 || judge_body(db, scr, (const uint8_t *)json_string_value(jbody),
					   json_string_length(jbody), lab, (size_t)nlab, lineno,
					   rep, res) != 0) {
			json_decref(root);
			rc = -1;
			goto out;
		}
		rep->bodies++;
		rep->bytes += json_string_length(jbody);
		if (nlab > 0)
			rep->bodies_labelled++;
		json_decref(root);
	}
	if (ferror(f)) {
		fprintf(stderr, "corpus %s: read error\n", path);
		rc = -1;
	}
out:
	free(line);
	free(lab);
	free(res);
	fclose(f);
	return rc;
}

/* The table; returns the number of entities below a minimum (min < 0: not checked). */
static int
print_report(const struct hp_pii_db *db, const struct report *rep, const char *path, double min_p,
	     double min_r)
{
	struct ent_stats tot = {0};
	int below = 0;

	printf("corpus %s: %llu bodies, %llu bytes (mean %llu), %llu with labels\n", path,
	       (unsigned long long)rep->bodies, (unsigned long long)rep->bytes,
	       (unsigned long long)(rep->bodies ? rep->bytes / rep->bodies : 0),
	       (unsigned long long)rep->bodies_labelled);
	printf("%-16s %8s %8s %7s %6s %6s %9s %7s\n", "entity", "labelled", "reported", "TP", "FP",
	       "FN", "precision", "recall");
	for (unsigned int i = 0; i < HP_PII__BUILTIN_COUNT; i++) {
		const struct ent_stats *s = &rep->ent[i];
		double p = ratio(s->tp, s->reported), r = ratio(s->tp, s->labelled);
		printf("%-16s %8llu %8llu %7llu %6llu %6llu %9.4f %7.4f\n",
		       hp_pii_entity_name(db, i), (unsigned long long)s->labelled,
		       (unsigned long long)s->reported, (unsigned long long)s->tp,
		       (unsigned long long)s->fp, (unsigned long long)s->fn, p, r);
		tot.labelled += s->labelled;
		tot.reported += s->reported;
		tot.tp += s->tp;
		tot.fp += s->fp;
		tot.fn += s->fn;
	}
	printf("%-16s %8llu %8llu %7llu %6llu %6llu %9.4f %7.4f\n", "total",
	       (unsigned long long)tot.labelled, (unsigned long long)tot.reported,
	       (unsigned long long)tot.tp, (unsigned long long)tot.fp, (unsigned long long)tot.fn,
	       ratio(tot.tp, tot.reported), ratio(tot.tp, tot.labelled));
	if (rep->bodies_dropped > 0) {
		printf("FAIL: %llu bodies had more than %d spans (dropped): figures incomplete\n",
		       (unsigned long long)rep->bodies_dropped, HP_PII_MAX_SPANS);
		below++;
	}
	for (unsigned int i = 0; i < HP_PII__BUILTIN_COUNT; i++) {
		const struct ent_stats *s = &rep->ent[i];
		double p = ratio(s->tp, s->reported), r = ratio(s->tp, s->labelled);
		if (s->labelled < MIN_LABELLED)
			continue;
		if (min_p >= 0.0 && p < min_p) {
			printf("FAIL: %s precision %.4f < %.4f\n", hp_pii_entity_name(db, i), p,
			       min_p);
			below++;
		}
		if (min_r >= 0.0 && r < min_r) {
			printf("FAIL: %s recall %.4f < %.4f\n", hp_pii_entity_name(db, i), r,
			       min_r);
			below++;
		}
	}
	return below;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"min-precision", required_argument, NULL, 'p'},
		{"min-recall", required_argument, NULL, 'r'},
		{"show-errors", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct hp_pii_config cfg = {.enabled = HP_PII_ALL_BUILTIN};
	struct hp_pii_scratch *scr = NULL;
	struct hp_pii_db *db = NULL;
	double min_p = -1.0, min_r = -1.0;
	struct report *rep;
	char err[256];
	int c, rc = 2;

	rep = calloc(1, sizeof(*rep));
	if (rep == NULL)
		return 2;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_ratio(optarg, &min_p)) {
				fprintf(stderr, "--min-precision: want a number in [0, 1]\n");
				goto out;
			}
			break;
		case 'r':
			if (!parse_ratio(optarg, &min_r)) {
				fprintf(stderr, "--min-recall: want a number in [0, 1]\n");
				goto out;
			}
			break;
		case 's':
			rep->show_left = strtol(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		goto out;
	}
	if (hp_pii_db_create(&cfg, &db, err, sizeof(err)) != 0) {
		fprintf(stderr, "pii database: %s\n", err);
		goto out;
	}
	if (hp_pii_scratch_create(db, &scr) != 0) {
		fprintf(stderr, "pii scratch: out of memory\n");
		goto out;
	}
	if (run_corpus(argv[optind], db, scr, rep) != 0)
		goto out;
	rc = print_report(db, rep, argv[optind], min_p, min_r) > 0 ? 1 : 0;
out:
	hp_pii_scratch_free(scr);
	hp_pii_db_free(db);
	free(rep);
	return rc;
}
