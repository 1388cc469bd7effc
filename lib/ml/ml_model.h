/* SPDX-License-Identifier: BSD-3-Clause
 * The embedded scoring backend: an XGBoost model in process, through its C API (Debian's
 * libxgboost). Loaded from a file (JSON or UBJSON, what xgboost's save_model writes), checked
 * against the feature count, and warmed up before it is used: a prediction over a full batch
 * at load, so that the first real batch costs what the thousandth does. One thread per model
 * (nthread 1): the control plane's batches are small, threads would only wake for them.
 *
 * Not thread-safe per model: the control thread's ML dispatcher is its only user.
 */
#ifndef HP_ML_MODEL_H
#define HP_ML_MODEL_H

#include <stddef.h>
#include <stdint.h>

struct hp_ml_model;

struct hp_ml_model_info {
	uint32_t n_features;
	int rounds;         /* boosted rounds in the model */
	uint64_t load_ns;   /* load + warm-up */
	uint64_t warmup_ns; /* the warm-up prediction alone */
};

/* Load path, expecting n_features columns, warm it up with a batch of warm_rows: 0, or -1 with
 * a message (the file, what xgboost said). */
int hp_ml_model_load(const char *path, uint32_t n_features, uint32_t warm_rows,
		     struct hp_ml_model **out, char *err, size_t errlen);
void hp_ml_model_free(struct hp_ml_model *m);
const struct hp_ml_model_info *hp_ml_model_info(const struct hp_ml_model *m);

/* Scores of n rows (row-major, n_features floats each; NaN: missing) into out[n]: 0, or -1
 * with a message. */
int hp_ml_model_predict(struct hp_ml_model *m, const float *rows, uint32_t n, float *out, char *err,
			size_t errlen);

#endif /* HP_ML_MODEL_H */
