/* SPDX-License-Identifier: BSD-3-Clause
 * The embedded XGBoost backend (see ml_model.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xgboost/c_api.h>

#include "ml_model.h"

struct hp_ml_model {
	BoosterHandle booster;
	/* the proxy each prediction hands its rows to: made once, because one made per call
	 * (xgboost's default for a NULL proxy) reads two cgroup files on every batch */
	DMatrixHandle proxy;
	struct hp_ml_model_info info;
};

/* xgboost's last error, its first line (the rest is a C++ stack trace). */
static const char *
xgb_error(void)
{
	static __thread char line[256];
	const char *e = XGBGetLastError();

	snprintf(line, sizeof(line), "%.*s", (int)strcspn(e, "\n"), e);
	return line;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int
hp_ml_model_predict(struct hp_ml_model *m, const float *rows, uint32_t n, float *out, char *err,
		    size_t errlen)
{
	/* the array interface of a dense row-major float32 matrix, read in place */
	static const char config[] = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0,"
				     " \"iteration_end\": 0, \"strict_shape\": false,"
				     " \"missing\": NaN, \"cache_id\": 0}";
	char values[160];
	const bst_ulong *shape = NULL;
	bst_ulong dim = 0;
	const float *res = NULL;

	if (n == 0)
		return 0;
	snprintf(values, sizeof(values),
		 "{\"data\": [%" PRIuPTR ", true], \"shape\": [%u, %u], \"typestr\": \"<f4\","
		 " \"version\": 3}",
		 (uintptr_t)rows, n, m->info.n_features);
	if (XGBoosterPredictFromDense(m->booster, values, config, m->proxy, &shape, &dim, &res) !=
	    0) {
		snprintf(err, errlen, "xgboost: %s", xgb_error());
		return -1;
	}
	if (dim < 1 || shape[0] != n || (dim == 2 && shape[1] != 1) || dim > 2) {
		snprintf(err, errlen, "xgboost: a score per row expected, got shape of %u dims",
			 (unsigned int)dim);
		return -1;
	}
	memcpy(out, res, n * sizeof(*out));
	return 0;
}

int
hp_ml_model_load(const char *path, uint32_t n_features, uint32_t warm_rows,
		 struct hp_ml_model **out, char *err, size_t errlen)
{
	struct hp_ml_model *m = calloc(1, sizeof(*m));
	uint64_t t0 = mono_ns(), t1;
	bst_ulong nf = 0;
	float *rows = NULL, *scores = NULL;
	char perr[256];

	if (m == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (XGBoosterCreate(NULL, 0, &m->booster) != 0 ||
	    XGBoosterSetParam(m->booster, "nthread", "1") != 0 ||
	    XGBoosterLoadModel(m->booster, path) != 0 || XGProxyDMatrixCreate(&m->proxy) != 0) {
		snprintf(err, errlen, "%s: cannot load the model: %s", path, xgb_error());
		goto fail;
	}
	if (XGBoosterGetNumFeature(m->booster, &nf) != 0 || nf != n_features) {
		snprintf(err, errlen, "%s: the model takes %llu features, hookpath's vector has %u",
			 path, (unsigned long long)nf, n_features);
		goto fail;
	}
	if (XGBoosterBoostedRounds(m->booster, &m->info.rounds) != 0)
		m->info.rounds = -1;
	m->info.n_features = n_features;
	/* warm-up: one full batch, so that lazily built structures are built now */
	if (warm_rows == 0)
		warm_rows = 1;
	rows = calloc((size_t)warm_rows * n_features, sizeof(*rows));
	scores = calloc(warm_rows, sizeof(*scores));
	if (rows == NULL || scores == NULL) {
		snprintf(err, errlen, "%s: out of memory for the warm-up", path);
		goto fail;
	}
	t1 = mono_ns();
	if (hp_ml_model_predict(m, rows, warm_rows, scores, perr, sizeof(perr)) != 0) {
		snprintf(err, errlen, "%s: warm-up failed: %s", path, perr);
		goto fail;
	}
	m->info.warmup_ns = mono_ns() - t1;
	m->info.load_ns = mono_ns() - t0;
	free(rows);
	free(scores);
	*out = m;
	return 0;
fail:
	free(rows);
	free(scores);
	hp_ml_model_free(m);
	return -1;
}

void
hp_ml_model_free(struct hp_ml_model *m)
{
	if (m == NULL)
		return;
	if (m->proxy != NULL)
		XGDMatrixFree(m->proxy);
	if (m->booster != NULL)
		XGBoosterFree(m->booster);
	free(m);
}

const struct hp_ml_model_info *
hp_ml_model_info(const struct hp_ml_model *m)
{
	return &m->info;
}
