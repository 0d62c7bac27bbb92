#!/usr/bin/env bash
# A/B benchmark of two gateway jars, run by hand: alternates them ROUNDS times on the same small request (1 input,
# 1536 dimensions, base64 and float) against the instant mock upstream, and prints each run's requests/s and gateway
# CPU ms per request, then the median per jar. Alternating cancels most of the drift of a shared machine.
# usage: bench/compare.sh A.jar B.jar [rounds=5] [concurrency=16] [seconds=10]
set -euo pipefail
A=$1; B=$2; ROUNDS=${3:-5}; C=${4:-16}; SECS=${5:-10}
cd "$(dirname "$0")/.."
RESULTS=$(mktemp)
for r in $(seq 1 "$ROUNDS"); do
  for jar in "$A" "$B"; do
    out=$(GATEWAY_JAR="$jar" bash -c 'set -e
      source bench/lib.sh
      start_gateway --no-reload
      echo "{\"model\":\"bench-azure\",\"input\":\"The quick brown fox jumps over the lazy dog.\",\"encoding_format\":\"base64\"}" > "$OUT/b64.json"
      echo "{\"model\":\"bench-azure\",\"input\":\"The quick brown fox jumps over the lazy dog.\"}" > "$OUT/float.json"
      echo "b64 $(java bench/LoadGen.java "http://127.0.0.1:$GW/v1/embeddings" "$OUT/b64.json" '"$C"' '"$SECS"' "$GATEWAY")"
      echo "float $(java bench/LoadGen.java "http://127.0.0.1:$GW/v1/embeddings" "$OUT/float.json" '"$C"' '"$SECS"' "$GATEWAY")"
    ') || { echo "round $r $(basename "$jar"): gateway did not start"; continue; }
    while read -r kind line; do
      cpu=$(echo "$line" | sed -E 's/.*cpu_ms_per_request=([0-9.]+).*/\1/')
      rps=$(echo "$line" | sed -E 's/.*rps=([0-9]+).*/\1/')
      echo "round $r $(basename "$jar") $kind rps=$rps cpu_ms_per_request=$cpu"
      echo "$(basename "$jar") $kind $cpu $rps" >> "$RESULTS"
    done <<< "$out"
  done
done
echo "-- medians (cpu ms per request, requests/s):"
for jar in "$A" "$B"; do
  for kind in b64 float; do
    n=$(basename "$jar")
    cpu=$(awk -v j="$n" -v k="$kind" '$1==j && $2==k {print $3}' "$RESULTS" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
    rps=$(awk -v j="$n" -v k="$kind" '$1==j && $2==k {print $4}' "$RESULTS" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
    echo "$n $kind cpu_ms_per_request=$cpu rps=$rps"
  done
done
rm -f "$RESULTS"
