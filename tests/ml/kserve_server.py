#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A small KServe v2 / Open Inference Protocol server (REST, JSON) over python3-xgboost, for
hookpath's tests and lab: what an operator's inference server (KServe, Triton, MLServer) answers
at the routes hookpath uses. It speaks the protocol; it knows nothing of hookpath.

  GET  /v2/health/live, /v2/health/ready      200 once the model is loaded
  GET  /v2/models/{m}                         metadata: name, versions, platform, inputs, outputs
  GET  /v2/models/{m}/ready                   200 / 404 for another name
  POST /v2/models/{m}/infer                   {"inputs": [{"name", "shape": [n, f], "datatype":
                                              "FP32", "data": [...]}]} -> {"outputs": [...]}

A null in the data is NaN (missing), as numpy reads it. Errors are {"error": "..."} with 400 or
404. For fault tests: --delay-ms (an infer waits this long), --fail-infer (an infer answers
500), --short (one score too few), each from the --faults-after'th infer on (0: all; 1: the
client's warm-up passes, what follows fails); --not-ready (health and model readiness 503).

Usage: kserve_server.py --model FILE [--name hookpath] [--port 0] [--port-file F]"""
import argparse
import http.server
import json
import math
import os
import socketserver
import sys
import threading
import time

import numpy as np
import xgboost as xgb


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_handler(args, booster, n_features, counts, lock):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as inference servers do
        # headers and body are two writes: without this, Nagle holds the body for the
        # client's delayed ACK (40 ms a request)
        disable_nagle_algorithm = True

        def log_message(self, fmt, *a):
            pass

        def reply(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def model_of(self, parts):
            # /v2/models/{name}[/versions/{v}][/ready|/infer]
            if len(parts) < 3 or parts[0] != "v2" or parts[1] != "models":
                return None, None
            name, rest = parts[2], parts[3:]
            if len(rest) >= 2 and rest[0] == "versions":
                rest = rest[2:]
            return name, "/".join(rest)

        def do_GET(self):
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            if parts == ["v2", "health", "live"]:
                return self.reply(200, {"live": True})
            if parts == ["v2", "health", "ready"]:
                return self.reply(503 if args.not_ready else 200, {"ready": not args.not_ready})
            name, rest = self.model_of(parts)
            if name is None:
                return self.reply(404, {"error": "no route %s" % self.path})
            if name != args.name:
                return self.reply(404, {"error": "model %s is not served" % name})
            if rest == "":
                return self.reply(200, {
                    "name": args.name, "versions": ["1"], "platform": "xgboost",
                    "inputs": [{"name": "input-0", "datatype": "FP32",
                                "shape": [-1, n_features]}],
                    "outputs": [{"name": "predict", "datatype": "FP32", "shape": [-1]}]})
            if rest == "ready":
                return self.reply(503 if args.not_ready else 200,
                                  {"name": args.name, "ready": not args.not_ready})
            return self.reply(404, {"error": "no route %s" % self.path})

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(n)
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            name, rest = self.model_of(parts)
            if name is None or rest != "infer":
                return self.reply(404, {"error": "no route %s" % self.path})
            if name != args.name:
                return self.reply(404, {"error": "model %s is not served" % name})
            try:
                req = json.loads(raw)
                inp = req["inputs"][0]
                shape = inp["shape"]
                if inp.get("datatype") not in ("FP32", "FP64") or len(shape) != 2 \
                        or shape[1] != n_features:
                    raise ValueError("input: FP32 [n, %d] expected" % n_features)
                data = inp["data"]
                while data and isinstance(data[0], list):
                    data = [x for row in data for x in row]
                x = np.array([math.nan if v is None else v for v in data],
                             dtype=np.float32).reshape(shape)
            except (ValueError, KeyError, IndexError, TypeError) as e:
                return self.reply(400, {"error": "bad request: %s" % e})
            with lock:
                faulty = counts["infer"] >= args.faults_after
                counts["infer"] += 1
                counts["rows"] += shape[0]
            if faulty and args.delay_ms:
                time.sleep(args.delay_ms / 1000.0)
            if faulty and args.fail_infer:
                return self.reply(500, {"error": "the model failed (--fail-infer)"})
            scores = booster.inplace_predict(x).astype(np.float32).tolist() if shape[0] else []
            if faulty and args.short and scores:
                scores = scores[:-1]
            out = {"model_name": args.name, "model_version": "1",
                   "outputs": [{"name": "predict", "datatype": "FP32", "shape": [len(scores)],
                                "data": scores}]}
            if "id" in req:
                out["id"] = req["id"]
            return self.reply(200, out)

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="XGBoost model file (JSON or UBJSON)")
    ap.add_argument("--name", default="hookpath")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the bound port here once serving")
    ap.add_argument("--delay-ms", type=float, default=0)
    ap.add_argument("--fail-infer", action="store_true")
    ap.add_argument("--short", action="store_true")
    ap.add_argument("--faults-after", type=int, default=0)
    ap.add_argument("--not-ready", action="store_true")
    args = ap.parse_args()
    booster = xgb.Booster()
    booster.load_model(args.model)
    booster.set_param({"nthread": 1})
    n_features = booster.num_features()
    counts, lock = {"infer": 0, "rows": 0}, threading.Lock()
    srv = Server((args.host, args.port), make_handler(args, booster, n_features, counts, lock))
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, args.port_file)
    print("kserve_server: %s on %s:%d (%d features)" % (args.name, args.host,
          srv.server_address[1], n_features), file=sys.stderr, flush=True)
    try:
        srv.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
