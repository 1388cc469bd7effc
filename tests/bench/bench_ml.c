/* SPDX-License-Identifier: BSD-3-Clause
 * Rows scored per second by the embedded backend (lib/ml/ml_model.c), batched as the hp-ml
 * thread batches them vs one row per call (the reference: what a service scoring one request
 * at a time pays), same model, same rows, same run. Medians of `runs`.
 *
 * usage: bench_ml [MODEL [ROWS [RUNS]]]   (default: models/default.json, 65536 rows, 5 runs)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ml_features.h"
#include "ml_model.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* rows/s scoring n rows in batches of `batch` */
static double
run(struct hp_ml_model *m, const float *rows, float *out, unsigned int n, unsigned int batch)
{
	char err[256];
	double t0 = now_s();

	for (unsigned int i = 0; i < n; i += batch) {
		unsigned int k = n - i < batch ? n - i : batch;

		if (hp_ml_model_predict(m, rows + (size_t)i * HP_ML_N_FEATURES, k, out + i, err,
					sizeof(err)) != 0) {
			fprintf(stderr, "predict: %s\n", err);
			exit(1);
		}
	}
	return n / (now_s() - t0);
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "models/default.json";
	unsigned int n = argc > 2 ? (unsigned int)atoi(argv[2]) : 65536;
	unsigned int runs = argc > 3 ? (unsigned int)atoi(argv[3]) : 5;
	static const unsigned int sizes[] = {1, 8, 64, 256};
	double r[sizeof(sizes) / sizeof(sizes[0])][16];
	struct hp_ml_model *m;
	char err[512];
	float *rows = malloc((size_t)n * HP_ML_N_FEATURES * sizeof(float));
	float *out = malloc(n * sizeof(float));

	if (rows == NULL || out == NULL || runs == 0 || runs > 16)
		return 2;
	if (hp_ml_model_load(path, HP_ML_N_FEATURES, 256, &m, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	srand(15);
	for (size_t i = 0; i < (size_t)n * HP_ML_N_FEATURES; i++)
		rows[i] = (float)(rand() % 10000) / 10.0f;
	for (unsigned int k = 0; k < runs; k++)
		for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			r[s][k] = run(m, rows, out, n, sizes[s]);
	printf("# bench_ml: %s, %u rows, %d features, median of %u runs\n", path, n,
	       HP_ML_N_FEATURES, runs);
	printf("%-12s %14s %12s\n", "batch", "rows/s", "vs 1 by 1");
	for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		qsort(r[s], runs, sizeof(double), cmp_d);
	for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		printf("%-12u %14.0f %11.1fx\n", sizes[s], r[s][runs / 2],
		       r[s][runs / 2] / r[0][runs / 2]);
	hp_ml_model_free(m);
	free(rows);
	free(out);
	return 0;
}
