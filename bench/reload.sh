#!/usr/bin/env bash
# Route reload under load, run by hand: clients keep sending embeddings requests through the gateway (Azure
# OpenAI provider, mock upstream answering in 20 ms) while embeddings-api.yaml and provider-azure.yaml are
# edited in turn (a comment appended, saved atomically), every INTERVAL seconds. Under constant traffic Camel
# waits its shutdown timeout (10 s) for the old routes to drain, then stops them; requests caught inside are
# replayed. Prints the load line (errors = answers other than 200) and how many reloads took effect.
# usage: bench/reload.sh [concurrency=16] [seconds=60] [interval=12]
set -euo pipefail
C=${1:-16}
SECS=${2:-60}
INTERVAL=${3:-12}
source "$(dirname "$0")/lib.sh"
mkdir -p "$OUT/routes" "$OUT/kamelets"
cp routes/*.yaml "$OUT/routes/"
cp kamelets/*.yaml "$OUT/kamelets/"
start_gateway --routes "$OUT/routes"
echo '{"model":"bench-azure-20ms","input":"The quick brown fox jumps over the lazy dog.","encoding_format":"base64"}' > "$OUT/slow.json"
(
  sleep 3 # LoadGen's warm-up
  n=0
  while kill -0 "$GATEWAY" 2>/dev/null; do
    for f in embeddings-api.yaml provider-azure.yaml; do
      n=$((n + 1))
      cp "$OUT/routes/$f" "$OUT/$f.tmp" && echo "# bench edit $n" >> "$OUT/$f.tmp" && mv "$OUT/$f.tmp" "$OUT/routes/$f"
      sleep "$INTERVAL"
    done
  done
) &
EDITS=$!
echo "concurrency=$C seconds=$SECS edit every ${INTERVAL}s; $(nproc) cores"
echo -n "through reloads:  "; java bench/LoadGen.java "http://127.0.0.1:$GW/v1/embeddings" "$OUT/slow.json" "$C" "$SECS" "$GATEWAY" "$MOCK"
kill "$EDITS" 2>/dev/null || true
echo "reloads applied: $(grep -c 'Routes reloaded summary' "$OUT/gateway.log" || true);" \
  "requests met a stopped route: $(grep -c 'stopped under a request' "$OUT/gateway.log" || true) in the core" \
  "(each replayed as an attempt), $(grep -c 'On delivery attempt: 0 ' "$OUT/gateway.log" || true) at the HTTP route"
