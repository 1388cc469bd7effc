#!/usr/bin/env bash
# Generate the labelled webhook corpus (seed 1, 2000 bodies) and judge lib/pii on it: every
# built-in entity with 20 labels or more must keep precision >= 0.97 and recall >= 0.99 (what
# was measured, tests/pii/README.md, minus a margin), and no scan may drop spans.
# Usage: run_accuracy.sh PYTHON GEN_CORPUS PII_ACCURACY OUTDIR
set -euo pipefail
py=$1 gen=$2 acc=$3 out=$4
mkdir -p "$out"
"$py" "$gen" --seed 1 --count 2000 --out "$out/pii_corpus.jsonl"
exec "$acc" --min-precision 0.97 --min-recall 0.99 --show-errors 10 "$out/pii_corpus.jsonl"
