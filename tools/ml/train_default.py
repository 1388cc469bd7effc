#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Train hookpath's default ML model (models/default.json) with python3-xgboost.

Three sources of labelled rows, all in the feature vector of lib/ml/ml_features.h (version 1,
the column names below):

  --traffic HOOKPATH   (how models/default.json is made) labelled traffic from the generator:
                       `hp_pcapgen.py traffic --class C` writes pcaps of normal webhooks and
                       of each anomaly class (bursts from one source, replay storms, odd sizes,
                       odd shapes, unknown sources at night, unknown sources at a high rate,
                       PII leaks), each with its own timing in its pcap timestamps; hookpath
                       itself (the binary given, tap mode, dataplane.clock capture, ml policy
                       score) computes the features of every request, read back from its
                       events. Label 1 for the anomalies. Deterministic (--seed). A second
                       set of captures (other seeds) is held out: the score of each class is
                       printed and the run fails if the model does not separate them.
  --synthetic          rows drawn from a hand-written model of the same classes (no
                       hookpath needed; the first default model came from here).
  --postgres DSN       an operator's own history: the events table the Postgres sink writes
                       (deploy/sql), rows whose event has ml.features, labelled by the
                       --label-sql expression (e.g. "verdict <> 'accept'" or a column of
                       your own review). Run, collect, label, train, reload.

usage: train_default.py [-o models/default.json] [--seed S]
                        (--traffic build/controlplane/hookpath | --synthetic [--rows N] |
                         --postgres DSN --label-sql EXPR)"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

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


ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
GEN = os.path.join(ROOT, "pktgen-scripts", "hp_pcapgen.py")
SECRET = "whsec_hookpath_training_0123456789"
# class: (captures for training, requests each); normal is about half of the rows
CLASSES = {"normal": (16, 200), "burst": (2, 200), "replay_storm": (2, 200),
           "odd_size": (2, 200), "odd_shape": (2, 200), "night": (2, 200),
           "unknown_sources": (2, 200), "pii_leak": (2, 200)}


# anomalies seen only in the timing of several requests
RATE_CLASSES = ("burst", "replay_storm", "night", "unknown_sources")


def traffic_rows(hookpath, tmp, cls, seed, requests):
    """The feature vectors hookpath computes for one generated capture of a class."""
    pcap = os.path.join(tmp, "%s-%d.pcap" % (cls, seed))
    labels = pcap + ".json"
    subprocess.run(["/usr/bin/python3", GEN, "traffic", "-q", "--class", cls, "-o", pcap,
                    "--requests", str(requests), "--seed", str(seed), "--provider", "stripe",
                    "--secret", SECRET, "--labels", labels], check=True)
    with open(labels) as f:
        label = json.load(f)["label"]
    events = os.path.join(tmp, "ev.jsonl")
    if os.path.exists(events):
        os.unlink(events)
    cfg = os.path.join(tmp, "train.yaml")
    with open(cfg, "w") as f:
        f.write("dataplane: {mode: tap, clock: capture}\n"
                "http: {max_sessions: 256, body_copy_max: 65536}\n"
                "events: {file: %s}\n"
                "endpoints:\n  - {name: train, match: {host: hooks.example.com}, "
                "provider: stripe, secrets: [%s], max_body: 65536, dedup: {key: none},\n"
                "     pii: {policy: report}, ml: {policy: score}}\n" % (events, SECRET))
    p = subprocess.run([hookpath, "--no-huge", "-m", "1024", "--no-pci", "--file-prefix",
                        "hp-train-%d" % os.getpid(), "--log-level=lib.*:warning", "--vdev",
                        "net_pcap0,rx_pcap=%s" % pcap, "--", "-c", cfg, "--exit-idle-ms",
                        "400"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise SystemExit("hookpath failed on %s:\n%s" % (pcap, p.stdout[-2000:]))
    with open(events) as f:
        evs = [json.loads(line) for line in f]
    x = [[e["ml"]["features"].get(k) for k in FEATURES] for e in evs
         if "features" in e.get("ml", {})]
    os.unlink(pcap)
    if len(x) < requests * 0.9:
        raise SystemExit("%s: only %d of %d requests have features" % (cls, len(x), requests))
    x = np.array([[np.nan if v is None else v for v in r] for r in x], dtype=np.float32)
    if cls in RATE_CLASSES:
        # the first request of a capture has no rate yet (no gap, rate 0): a burst cannot be
        # seen in it, and labelled 1 it would teach that every endpoint's first request is
        # an anomaly
        x = x[~np.isnan(x[:, FEATURES.index("gap_ms")])]
    return x, np.full(len(x), label, dtype=np.float32)


def from_traffic(hookpath, seed, held_out=False):
    """Rows of every class (held_out: one capture per class, other seeds)."""
    xs, ys, cls_of = [], [], []
    with tempfile.TemporaryDirectory(prefix="hp-train-") as tmp:
        for ci, (cls, (n, requests)) in enumerate(sorted(CLASSES.items())):
            for k in range((2 if cls == "normal" else 1) if held_out else n):
                s = seed * 1000 + (500 if held_out else 0) + ci * 20 + k
                x, y = traffic_rows(hookpath, tmp, cls, s, requests)
                xs.append(x)
                ys.append(y)
                cls_of += [cls] * len(y)
    return np.vstack(xs), np.concatenate(ys), np.array(cls_of)


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


def held_out_report(booster, hookpath, seed):
    """Each class's scores on captures the model never saw; fails unless normal scores low
    and every anomaly class high."""
    x, y, cls = from_traffic(hookpath, seed, held_out=True)
    p = booster.predict(xgb.DMatrix(x, feature_names=FEATURES))
    report, ok = {}, True
    for c in sorted(set(cls)):
        m = cls == c
        above = float((p[m] > 0.5).mean())
        report[c] = {"rows": int(m.sum()), "mean_score": round(float(p[m].mean()), 4),
                     "above_0.5": round(above, 4)}
        ok &= above < 0.05 if c == "normal" else above > 0.9
    return report, ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default="models/default.json")
    ap.add_argument("--rows", type=int, default=40000)
    ap.add_argument("--seed", type=int, default=15)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--traffic", metavar="HOOKPATH", help="the hookpath binary that computes "
                     "the features of the generated captures")
    src.add_argument("--synthetic", action="store_true")
    src.add_argument("--postgres", help="libpq DSN of the events database")
    ap.add_argument("--label-sql", default="verdict <> 'accept'")
    a = ap.parse_args()
    if a.traffic:
        x, y, _ = from_traffic(a.traffic, a.seed)
    elif a.postgres:
        x, y = from_postgres(a.postgres, a.label_sql)
    else:
        x, y = synthetic(a.rows, a.seed)
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
    out = {"output": a.output, "rows": int(len(y)), "anomalies": int(y.sum()),
           "test_accuracy": round(acc, 4), "eval": booster.eval(dtest),
           "xgboost": xgb.__version__}
    ok = True
    if a.traffic:
        out["held_out"], ok = held_out_report(booster, a.traffic, a.seed)
    print(json.dumps(out, indent=1))
    if not ok:
        print("train_default: the held-out captures are not separated", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
