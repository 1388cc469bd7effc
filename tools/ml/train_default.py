#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Train hookpath's default ML model (models/default.json) with python3-xgboost.

Two sources of labelled rows, both in the feature vector of lib/ml/ml_features.h (version 1,
the column names below):

  synthetic (default)  rows drawn from a model of normal webhook traffic and of the anomaly
                       classes the default model is meant to catch: bursts from one source,
                       replay storms (one endpoint hammered), odd sizes and shapes, unusual
                       hours from unknown sources, PII leaking into bodies; label 1 for the
                       anomalies. Deterministic (--seed).
  --postgres DSN       an operator's own history: the events table the Postgres sink writes
                       (deploy/sql), rows whose event has ml.features, labelled by the
                       --label-sql expression (e.g. "verdict <> 'accept'" or a column of
                       your own review). Run, collect, label, train, reload.

usage: train_default.py [-o models/default.json] [--rows N] [--seed S]
                        [--postgres DSN --label-sql EXPR]"""
import argparse
import json
import sys

import numpy as np
import xgboost as xgb

# lib/ml/ml_features.h, foreach_hp_ml_feature, in order
FEATURES = ["endpoint", "provider", "body_len", "n_headers", "json_depth", "json_keys",
            "pii_matches", "pii_entities", "ts_skew_s", "verified", "has_id", "src_rate",
            "ep_rate", "new_source", "gap_ms", "hour"]
FEATURES_VERSION = 1


def normal(rng, n):
    x = np.zeros((n, len(FEATURES)), dtype=np.float32)
    c = {f: i for i, f in enumerate(FEATURES)}
    x[:, c["endpoint"]] = rng.integers(0, 4, n)
    x[:, c["provider"]] = rng.choice([1, 2, 4, 6], n)
    x[:, c["body_len"]] = np.clip(rng.lognormal(6.5, 0.6, n), 20, 20000)
    x[:, c["n_headers"]] = rng.integers(5, 14, n)
    x[:, c["json_depth"]] = rng.integers(1, 5, n)
    x[:, c["json_keys"]] = np.clip(x[:, c["body_len"]] / rng.uniform(20, 40, n), 1, 400)
    x[:, c["pii_matches"]] = np.where(rng.random(n) < 0.5, np.nan, 0)
    x[:, c["pii_entities"]] = np.where(np.isnan(x[:, c["pii_matches"]]), np.nan, 0)
    x[:, c["ts_skew_s"]] = np.where(rng.random(n) < 0.7, rng.normal(1.0, 1.5, n), np.nan)
    # unsigned endpoints (provider none) and senders without a delivery id are common
    x[:, c["verified"]] = (rng.random(n) < 0.6).astype(np.float32)
    x[:, c["has_id"]] = (rng.random(n) < 0.6).astype(np.float32)
    x[:, c["src_rate"]] = rng.integers(1, 60, n)
    x[:, c["ep_rate"]] = np.where(rng.random(n) < 0.1, 0, rng.lognormal(2.5, 1.0, n))
    x[:, c["new_source"]] = (rng.random(n) < 0.3).astype(np.float32)
    x[:, c["gap_ms"]] = 1000.0 / np.maximum(x[:, c["ep_rate"]], 0.01) * rng.uniform(0.5, 1.5, n)
    x[:, c["hour"]] = rng.integers(0, 24, n)
    return x


def anomalies(rng, n):
    """One class per fifth of the rows."""
    c = {f: i for i, f in enumerate(FEATURES)}
    x = normal(rng, n)
    k = rng.integers(0, 5, n)
    m = k == 0  # a burst from one source
    x[m, c["src_rate"]] = rng.integers(300, 5000, m.sum())
    m = k == 1  # a replay storm: one endpoint hammered, tiny gaps, no fresh timestamps
    x[m, c["ep_rate"]] = rng.uniform(2000, 50000, m.sum())
    x[m, c["gap_ms"]] = rng.uniform(0.01, 0.5, m.sum())
    x[m, c["ts_skew_s"]] = rng.uniform(200, 3000, m.sum())
    m = k == 2  # odd sizes and shapes
    big = rng.random(m.sum()) < 0.5
    x[m, c["body_len"]] = np.where(big, rng.uniform(200000, 2000000, m.sum()),
                                   rng.uniform(0, 4, m.sum()))
    x[m, c["json_depth"]] = np.where(big, rng.integers(20, 200, m.sum()), 0)
    x[m, c["n_headers"]] = rng.integers(40, 100, m.sum())
    m = k == 3  # unusual hours, from sources never seen
    x[m, c["hour"]] = rng.integers(2, 5, m.sum())
    x[m, c["new_source"]] = 1
    x[m, c["verified"]] = 0
    x[m, c["has_id"]] = 0
    m = k == 4  # PII leaking into webhook bodies
    x[m, c["pii_matches"]] = rng.integers(3, 40, m.sum())
    x[m, c["pii_entities"]] = rng.integers(2, 6, m.sum())
    return x


def synthetic(rows, seed):
    rng = np.random.default_rng(seed)
    n_bad = rows // 5
    x = np.vstack([normal(rng, rows - n_bad), anomalies(rng, n_bad)])
    y = np.concatenate([np.zeros(rows - n_bad), np.ones(n_bad)])
    return x, y


def from_postgres(dsn, label_sql):
    import psycopg2  # python3-psycopg2: only for this mode

    q = ("SELECT event->'ml'->'features', (%s)::int FROM hookpath_events "
         "WHERE event->'ml'->'features' IS NOT NULL" % label_sql)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(q)
        rows = cur.fetchall()
    x = np.array([[r[0].get(f, np.nan) for f in FEATURES] for r in rows], dtype=np.float32)
    y = np.array([r[1] for r in rows], dtype=np.float32)
    return x, y


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default="models/default.json")
    ap.add_argument("--rows", type=int, default=40000)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--postgres", help="libpq DSN of the events database")
    ap.add_argument("--label-sql", default="verdict <> 'accept'")
    a = ap.parse_args()
    x, y = from_postgres(a.postgres, a.label_sql) if a.postgres else synthetic(a.rows, a.seed)
    perm = np.random.default_rng(a.seed).permutation(len(y))
    x, y = x[perm], y[perm]
    cut = int(len(y) * 0.8)
    dtrain = xgb.DMatrix(x[:cut], label=y[:cut], feature_names=FEATURES)
    dtest = xgb.DMatrix(x[cut:], label=y[cut:], feature_names=FEATURES)
    params = {"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "nthread": 1,
              "seed": a.seed, "eval_metric": ["auc", "logloss"]}
    booster = xgb.train(params, dtrain, num_boost_round=40)
    p = booster.predict(dtest)
    acc = float(((p > 0.5) == (y[cut:] > 0.5)).mean())
    booster.set_attr(hookpath_features_version=str(FEATURES_VERSION))
    booster.save_model(a.output)
    print(json.dumps({"output": a.output, "rows": int(len(y)), "test_accuracy": round(acc, 4),
                      "eval": booster.eval(dtest), "xgboost": xgb.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
