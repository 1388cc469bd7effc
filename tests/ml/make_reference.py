#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Reference data for the embedded backend's test: a model trained with python3-xgboost on
random labelled vectors of hookpath's feature count, N other vectors (with missing values),
and python3-xgboost's own predictions for them. Writes OUT/model.json, OUT/vectors.f32
(row-major float32), OUT/expected.f32.

usage: make_reference.py OUT N_FEATURES N_VECTORS"""
import os
import sys

import numpy as np
import xgboost as xgb


def main():
    out, nf, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(14)
    x = rng.normal(size=(4000, nf)).astype(np.float32)
    y = ((x[:, 0] + 0.5 * x[:, 2] * x[:, 3] - x[:, min(5, nf - 1)] ** 2) > 0).astype(int)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 5, "eta": 0.3,
                         "nthread": 1, "seed": 1}, xgb.DMatrix(x, label=y),
                        num_boost_round=60)
    booster.save_model(os.path.join(out, "model.json"))
    v = rng.normal(scale=2.0, size=(n, nf)).astype(np.float32)
    v[rng.random(size=v.shape) < 0.05] = np.nan  # missing values take the default branch
    v[:3] = 0.0
    expected = booster.inplace_predict(v).astype(np.float32)
    v.tofile(os.path.join(out, "vectors.f32"))
    expected.tofile(os.path.join(out, "expected.f32"))
    print("reference: %d vectors, %d features, xgboost %s" % (n, nf, xgb.__version__))


if __name__ == "__main__":
    main()
