/* SPDX-License-Identifier: BSD-3-Clause
 * The embedded backend (lib/ml/ml_model.c) predicts what python3-xgboost predicts: the same
 * model file, the same vectors (10 000, with missing values), every score within 1e-6, in
 * batches of every size the batcher may send. Also: a model of another feature count and a
 * file that is no model are refused with a message.
 *
 * usage: test_ml_model DIR (made by make_reference.py DIR HP_ML_N_FEATURES N)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_features.h"
#include "ml_test_data.h"
#include "ml_model.h"

int
main(int argc, char **argv)
{
	static const uint32_t batch[] = {1, 7, 64, 256, 10000};
	struct hp_ml_model *m;
	char path[512], err[512];
	size_t nv, ne;
	float *v, *e, *got;
	double worst = 0;
	int fails = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	v = ml_test_slurp(argv[1], "vectors.f32", &nv);
	e = ml_test_slurp(argv[1], "expected.f32", &ne);
	if (nv != ne * HP_ML_N_FEATURES) {
		fprintf(stderr, "%zu values for %zu scores of %d features\n", nv, ne,
			HP_ML_N_FEATURES);
		return 1;
	}
	got = calloc(ne, sizeof(*got));
	snprintf(path, sizeof(path), "%s/model.json", argv[1]);
	if (got == NULL ||
	    hp_ml_model_load(path, HP_ML_N_FEATURES, 64, &m, err, sizeof(err)) != 0) {
		fprintf(stderr, "load: %s\n", err);
		return 1;
	}
	printf("loaded: %d rounds, load %.3f ms (warm-up %.3f ms)\n", hp_ml_model_info(m)->rounds,
	       hp_ml_model_info(m)->load_ns / 1e6, hp_ml_model_info(m)->warmup_ns / 1e6);
	for (size_t k = 0; k < sizeof(batch) / sizeof(batch[0]); k++) {
		memset(got, 0, ne * sizeof(*got));
		for (size_t i = 0; i < ne; i += batch[k]) {
			uint32_t n = (uint32_t)(ne - i < batch[k] ? ne - i : batch[k]);

			if (hp_ml_model_predict(m, v + i * HP_ML_N_FEATURES, n, got + i, err,
						sizeof(err)) != 0) {
				fprintf(stderr, "predict: %s\n", err);
				return 1;
			}
		}
		for (size_t i = 0; i < ne; i++) {
			double d = fabs((double)got[i] - (double)e[i]);

			if (d > worst)
				worst = d;
			if (!(d <= 1e-6)) {
				if (fails++ < 5)
					fprintf(stderr, "batch %u row %zu: %.9g, python %.9g\n",
						batch[k], i, got[i], e[i]);
			}
		}
	}
	printf("%zu vectors x %zu batch sizes: largest difference %.3g (limit 1e-6), %d over\n", ne,
	       sizeof(batch) / sizeof(batch[0]), worst, fails);
	hp_ml_model_free(m);
	/* refusals: another feature count, not a model */
	if (hp_ml_model_load(path, HP_ML_N_FEATURES + 1, 1, &m, err, sizeof(err)) == 0 ||
	    strstr(err, "features") == NULL) {
		fprintf(stderr, "a model of another feature count was not refused (%s)\n", err);
		return 1;
	}
	printf("refused: %s\n", err);
	snprintf(path, sizeof(path), "%s/vectors.f32", argv[1]);
	if (hp_ml_model_load(path, HP_ML_N_FEATURES, 1, &m, err, sizeof(err)) == 0) {
		fprintf(stderr, "a file that is no model was loaded\n");
		return 1;
	}
	printf("refused: %.120s\n", err);
	free(v);
	free(e);
	free(got);
	return fails == 0 ? 0 : 1;
}
