#!/usr/bin/env python3
"""Top frames of a JFR recording's CPU samples (jdk.ExecutionSample), by hand after bench/matrix.py --jfr FILE.

Prints the methods most often on top of the stack (self) and the methods most often anywhere in it (total),
as a share of all samples. usage: bench/jfr_top.py FILE [top=25] [filter-regex for total, e.g. 'dev\\.embeddings']
"""
import collections
import json
import re
import subprocess
import sys

path = sys.argv[1]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
flt = re.compile(sys.argv[3]) if len(sys.argv) > 3 else None
events = json.loads(subprocess.run(["jfr", "print", "--json", "--stack-depth", "256", "--events", "jdk.ExecutionSample",
                                    path], capture_output=True, text=True, check=True).stdout)["recording"]["events"]
self_c, total_c = collections.Counter(), collections.Counter()
for e in events:
    frames = e["values"]["stackTrace"]["frames"] if e["values"].get("stackTrace") else []
    names = [f["method"]["type"]["name"].replace("/", ".") + "." + f["method"]["name"] for f in frames]
    if names:
        self_c[names[0]] += 1
    for n in set(names):
        if flt is None or flt.search(n):
            total_c[n] += 1
n = len(events) or 1
print(f"{len(events)} CPU samples")
print("self (top of stack):")
for name, c in self_c.most_common(top):
    print(f"  {100 * c / n:5.1f} %  {name}")
print("total (anywhere in the stack):")
for name, c in total_c.most_common(top):
    print(f"  {100 * c / n:5.1f} %  {name}")
