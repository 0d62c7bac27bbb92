#!/usr/bin/env bash
# Gateway overhead benchmark, run by hand: the same small embeddings request (1 input, 1536-dim answer)
# straight to a mock upstream (WireMock, bench/mock), then through the gateway (Azure OpenAI provider) to
# it: once with an instant upstream (the gateway's own cost) and once with a 20 ms one (a real provider).
# Prints requests/s, p50/p99 latency and the gateway's CPU ms per request. Loopback only.
# usage: bench/run.sh [concurrency=16] [seconds=15]
set -euo pipefail
C=${1:-16}
SECS=${2:-15}
source "$(dirname "$0")/lib.sh"
start_gateway --no-reload
echo '{"model":"bench-azure","input":"The quick brown fox jumps over the lazy dog."}' > "$OUT/body.json"
echo '{"model":"bench-azure","input":"The quick brown fox jumps over the lazy dog.","encoding_format":"base64"}' > "$OUT/b64.json"
echo '{"model":"bench-azure-20ms","input":"The quick brown fox jumps over the lazy dog.","encoding_format":"base64"}' > "$OUT/slow.json"
echo '{"model":"all-minilm-l6-v2","input":"The quick brown fox jumps over the lazy dog."}' > "$OUT/local.json"
echo "concurrency=$C seconds=$SECS (after 3 s warm-up each); $(nproc) cores"
echo -n "upstream direct:         "; java bench/LoadGen.java "http://127.0.0.1:$UP/openai/deployments/bench/embeddings?api-version=2024-10-21" "$OUT/body.json" "$C" "$SECS" 0 "$MOCK"
echo -n "gateway, float:          "; java bench/LoadGen.java "http://127.0.0.1:$GW/v1/embeddings" "$OUT/body.json" "$C" "$SECS" "$GATEWAY" "$MOCK"
echo -n "gateway, base64 (SDKs):  "; java bench/LoadGen.java "http://127.0.0.1:$GW/v1/embeddings" "$OUT/b64.json" "$C" "$SECS" "$GATEWAY" "$MOCK"
echo "-- upstream answering in 20 ms (a realistic provider), base64:"
echo -n "upstream direct:         "; java bench/LoadGen.java "http://127.0.0.1:$UP/openai/deployments/bench-slow/embeddings?api-version=2024-10-21" "$OUT/body.json" "$C" "$SECS" 0 "$MOCK"
echo -n "through the gateway:     "; java bench/LoadGen.java "http://127.0.0.1:$GW/v1/embeddings" "$OUT/slow.json" "$C" "$SECS" "$GATEWAY" "$MOCK"
echo -n "local model, 2 clients:  "; java bench/LoadGen.java "http://127.0.0.1:$GW/v1/embeddings" "$OUT/local.json" 2 "$SECS" "$GATEWAY"
