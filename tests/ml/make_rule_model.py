#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A model for the tests whose score does not depend on the clock or the machine: trained by
python3-xgboost on random feature vectors (lib/ml/ml_features.h, version 1) labelled by one
rule, body_len > 10000. Small bodies score near 0, large ones near 1.

usage: make_rule_model.py OUT.json [--inverse]   (--inverse: body_len < 10000 scores ~1)"""
import sys

import numpy as np
import xgboost as xgb

N_FEATURES = 16
BODY_LEN = 2


def main():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(6000, N_FEATURES)).astype(np.float32)
    x[:, BODY_LEN] = np.exp(rng.uniform(0, np.log(2e6), len(x)))
    y = (x[:, BODY_LEN] > 10000).astype(int)
    if "--inverse" in sys.argv[2:]:
        y = 1 - y
    b = xgb.train({"objective": "binary:logistic", "max_depth": 2, "eta": 0.5, "nthread": 1,
                   "seed": 1}, xgb.DMatrix(x, label=y), num_boost_round=20)
    b.save_model(sys.argv[1])


if __name__ == "__main__":
    main()
