/* SPDX-License-Identifier: BSD-3-Clause
 * The KServe v2 client (lib/ml/kserve.c) against a real Open Inference Protocol server
 * (kserve_server.py over python3-xgboost): the scores that come back for 10 000 vectors (with
 * missing values, sent as null) equal python3-xgboost's own predictions within 1e-6, in
 * batches of 1, 7, 64 and 256 rows with up to 4 requests in flight; a server whose model
 * takes another feature count is refused at the check with both counts named.
 *
 * usage: test_ml_kserve_client DIR URL [URL_OF_A_MODEL_WITH_OTHER_FEATURES]
 *   (DIR made by make_reference.py DIR HP_ML_N_FEATURES N; URL serves DIR/model.json)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kserve.h"
#include "ml_features.h"
#include "ml_test_data.h"

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

struct run {
	float *got;
	size_t answered;
	unsigned int failed;
};

/* tag: the index of the batch's first row */
static void
done(void *arg, uint32_t tag, enum hp_kserve_result r, const float *scores, uint32_t n,
     uint64_t latency_us)
{
	struct run *run = arg;

	(void)latency_us;
	if (r != HP_KSERVE_OK) {
		fprintf(stderr, "batch at %u: %s\n", tag, hp_kserve_result_name(r));
		run->failed++;
		return;
	}
	memcpy(run->got + tag, scores, n * sizeof(float));
	run->answered += n;
}

static struct hp_kserve *
client(const char *url, uint32_t max_batch)
{
	struct hp_kserve_config kc = {.url = url,
				      .model = "hookpath",
				      .n_features = HP_ML_N_FEATURES,
				      .max_batch = max_batch,
				      .timeout_ms = 10000,
				      .inflight = 4,
				      .breaker_failures = 3,
				      .cooldown_ms = 100,
				      .cooldown_max_ms = 1000};
	struct hp_kserve *k;
	char err[256];

	if (hp_kserve_open(&kc, &k, err, sizeof(err)) != 0) {
		fprintf(stderr, "open: %s\n", err);
		exit(1);
	}
	return k;
}

int
main(int argc, char **argv)
{
	static const uint32_t batch[] = {1, 7, 64, 256};
	struct hp_kserve_model_info info;
	char err[256];
	size_t nv, ne;
	float *v, *e;
	int fails = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s DIR URL [URL_OTHER_FEATURES]\n", argv[0]);
		return 2;
	}
	v = ml_test_slurp(argv[1], "vectors.f32", &nv);
	e = ml_test_slurp(argv[1], "expected.f32", &ne);
	if (nv != ne * HP_ML_N_FEATURES)
		return 1;
	for (size_t b = 0; b < sizeof(batch) / sizeof(batch[0]); b++) {
		struct hp_kserve *k = client(argv[2], batch[b]);
		struct run run = {.got = calloc(ne, sizeof(float))};
		uint64_t t0 = mono_us();
		double worst = 0;
		size_t next = 0;

		if (hp_kserve_check(k, &info, err, sizeof(err)) != 0) {
			fprintf(stderr, "check: %s\n", err);
			return 1;
		}
		while (run.answered + (size_t)run.failed * batch[b] < ne) {
			uint64_t now = mono_us();

			while (next < ne && hp_kserve_can_send(k)) {
				uint32_t n =
					(uint32_t)(ne - next < batch[b] ? ne - next : batch[b]);

				if (hp_kserve_send(k, v + next * HP_ML_N_FEATURES, n,
						   (uint32_t)next, now) != 0) {
					fprintf(stderr, "send refused at %zu\n", next);
					return 1;
				}
				next += n;
			}
			hp_kserve_poll(k, now, done, &run);
			if (run.failed != 0 || now - t0 > 120000000ULL)
				break;
		}
		for (size_t i = 0; i < ne; i++) {
			double d = fabs((double)run.got[i] - (double)e[i]);

			if (!(d <= 1e-6)) {
				if (fails++ < 5)
					fprintf(stderr,
						"batch %u row %zu: %.9g, python3-xgboost %.9g\n",
						batch[b], i, run.got[i], e[i]);
			}
			if (d > worst)
				worst = d;
		}
		printf("batch %3u: %zu scores from %s (model %s version %s, %s), largest "
		       "difference "
		       "%.3g, %.0f rows/s\n",
		       batch[b], run.answered, argv[2], info.name, info.version, info.platform,
		       worst, run.answered / ((mono_us() - t0) / 1e6));
		if (run.answered != ne || run.failed != 0)
			fails++;
		free(run.got);
		hp_kserve_close(k);
	}
	if (argc > 3) {
		struct hp_kserve *k = client(argv[3], 8);

		if (hp_kserve_check(k, &info, err, sizeof(err)) == 0 ||
		    strstr(err, "features, hookpath sends 16") == NULL) {
			fprintf(stderr, "a model of another feature count: check said \"%s\"\n",
				err);
			fails++;
		} else {
			printf("refused: %s\n", err);
		}
		hp_kserve_close(k);
	}
	free(v);
	free(e);
	if (fails != 0)
		fprintf(stderr, "%d failures\n", fails);
	return fails != 0;
}
