#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Driver of test_ml_kserve_client: reference data (make_reference.py: a model, 10 000 vectors
with missing values, python3-xgboost's predictions), kserve_server.py serving that model and
one serving a model of 8 features, then the C test against both; the servers are stopped
whatever happens.

usage: run_kserve_client.py TEST_BINARY"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_ml_kserve import start_server, stop_server  # noqa: E402


def main():
    exe = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="hp-ks-client-") as tmp:
        other = os.path.join(tmp, "other")
        os.mkdir(other)
        for d, nf, n in ((tmp, 16, 10000), (other, 8, 10)):
            subprocess.run(["/usr/bin/python3", os.path.join(HERE, "make_reference.py"), d,
                            str(nf), str(n)], check=True)
        servers = []
        try:
            for d in (tmp, other):
                servers.append(start_server(tmp, os.path.join(d, "model.json")))
            urls = ["http://127.0.0.1:%d" % port for _, port in servers]
            return subprocess.run([exe, tmp] + urls).returncode
        finally:
            for p, _ in servers:
                stop_server(p)


if __name__ == "__main__":
    sys.exit(main())
