#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""No call cycle between dataplane files (issue 14): every function or variable a file uses
from another is looked up in the static library's symbol tables (nm), the file graph is
built, and any strongly connected component of more than one file fails the test, printing
the symbols that close the cycle. A file that only reads the shared state (dp_state.c, data,
no functions) is a leaf and creates no cycle.

usage: callgraph.py LIB.a [LIB.a ...]   (exit 1 on a cycle)"""
import collections
import re
import subprocess
import sys


def symbols(libs):
    defs, uses = collections.defaultdict(set), collections.defaultdict(set)
    for lib in libs:
        out = subprocess.run(["nm", "-A", lib], capture_output=True, text=True, check=True)
        for line in out.stdout.splitlines():
            m = re.match(r"^.*[:/]([^:/]+\.o):\s*(.*)$", line)
            if m is None:
                continue
            member = m.group(1).replace(".c.o", ".c")
            parts = m.group(2).split()
            if len(parts) == 3 and parts[1] in "TDBRC":
                defs[member].add(parts[2])
            elif len(parts) == 2 and parts[0] == "U":
                uses[member].add(parts[1])
    return defs, uses


def graph(defs, uses):
    owner = {s: f for f, ss in defs.items() for s in ss}
    edges = collections.defaultdict(lambda: collections.defaultdict(set))
    for f, ss in uses.items():
        for s in ss:
            o = owner.get(s)
            if o is not None and o != f:
                edges[f][o].add(s)
    return edges


def sccs(nodes, edges):
    """Tarjan's algorithm, iterative enough for a few dozen files."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    defs, uses = symbols(sys.argv[1:])
    edges = graph(defs, uses)
    nodes = set(defs) | set(uses)
    bad = [c for c in sccs(nodes, edges) if len(c) > 1]
    n_edges = sum(len(t) for t in edges.values())
    if not bad:
        print(f"ok: {len(nodes)} files, {n_edges} file-to-file uses, no cycle")
        return 0
    for comp in bad:
        print("cycle between: " + " ".join(comp))
        for f in comp:
            for t in sorted(edges[f]):
                if t in comp:
                    print(f"  {f} -> {t}: {' '.join(sorted(edges[f][t]))}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
