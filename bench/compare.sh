#!/usr/bin/env bash
# A/B benchmark of two gateway builds, run by hand: alternates them ROUNDS times on the same small request (1 input,
# 1536 dimensions; base64 and float) against the instant mock upstream, and prints each run's requests/s and gateway
# CPU ms per request, then the median per build. Alternating cancels most of the drift of a shared machine; each run
# first warms the JIT for WARMUP seconds.
# A build is JAR or JAR:ROUTES_DIR (routes of that build, e.g. from `git archive <commit> routes | tar -x -C dir`).
# usage: bench/compare.sh A.jar[:routes] B.jar[:routes] [rounds=5] [concurrency=8] [seconds=10] [warmup=15]
set -euo pipefail
A=$1; B=$2; ROUNDS=${3:-5}; C=${4:-8}; SECS=${5:-10}; WARMUP=${6:-15}
cd "$(dirname "$0")/.."
RESULTS=$(mktemp)
for r in $(seq 1 "$ROUNDS"); do
  for build in "$A" "$B"; do
    jar=${build%%:*}; routes=routes
    [ "$build" != "$jar" ] && routes=${build#*:}
    name=$(basename "$jar")
    out=$(GATEWAY_JAR="$jar" ROUTES="$routes" C="$C" SECS="$SECS" WARMUP="$WARMUP" bash -c 'set -e
      source bench/lib.sh
      start_gateway --no-reload --routes "$ROUTES"
      echo "{\"model\":\"bench-azure\",\"input\":\"The quick brown fox jumps over the lazy dog.\",\"encoding_format\":\"base64\"}" > "$OUT/b64.json"
      echo "{\"model\":\"bench-azure\",\"input\":\"The quick brown fox jumps over the lazy dog.\"}" > "$OUT/float.json"
      java bench/LoadGen.java "http://127.0.0.1:$GW/v1/embeddings" "$OUT/float.json" "$C" "$WARMUP" > /dev/null
      echo "b64 $(java bench/LoadGen.java "http://127.0.0.1:$GW/v1/embeddings" "$OUT/b64.json" "$C" "$SECS" "$GATEWAY")"
      echo "float $(java bench/LoadGen.java "http://127.0.0.1:$GW/v1/embeddings" "$OUT/float.json" "$C" "$SECS" "$GATEWAY")"
    ') || { echo "round $r $name: the run failed"; continue; }
    while read -r kind line; do
      cpu=$(echo "$line" | sed -E 's/.*cpu_ms_per_request=([0-9.]+).*/\1/')
      rps=$(echo "$line" | sed -E 's/.*rps=([0-9]+).*/\1/')
      echo "round $r $name $kind rps=$rps cpu_ms_per_request=$cpu"
      echo "$name $kind $cpu $rps" >> "$RESULTS"
    done <<< "$out"
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "-- medians:"
for build in "$A" "$B"; do
  name=$(basename "${build%%:*}")
  for kind in b64 float; do
    cpu=$(awk -v j="$name" -v k="$kind" '$1==j && $2==k {print $3}' "$RESULTS" | median)
    rps=$(awk -v j="$name" -v k="$kind" '$1==j && $2==k {print $4}' "$RESULTS" | median)
    echo "$name $kind cpu_ms_per_request=$cpu rps=$rps"
  done
done
rm -f "$RESULTS"
