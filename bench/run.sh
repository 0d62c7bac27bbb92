#!/usr/bin/env bash
# Gateway overhead benchmark, run by hand: the same small embeddings request (1 input, 1536-dim answer)
# straight to a mock upstream (WireMock, bench/mock), then through the gateway (Azure OpenAI provider) to
# it: once with an instant upstream (the gateway's own cost) and once with a 20 ms one (a real provider).
# Prints requests/s, p50/p99 latency and the gateway's CPU ms per request. Loopback only.
# usage: bench/run.sh [concurrency=16] [seconds=15]
set -euo pipefail
cd "$(dirname "$0")/.."
C=${1:-16}
SECS=${2:-15}
[ -f target/embeddings-gateway.jar ] || mvn -B -q -DskipTests package
WM=$(find ~/.m2/repository/org/wiremock/wiremock-standalone -name 'wiremock-standalone-*.jar' | sort | tail -1)
[ -n "$WM" ] || mvn -B -q dependency:get -Dartifact=org.wiremock:wiremock-standalone:3.13.2
WM=$(find ~/.m2/repository/org/wiremock/wiremock-standalone -name 'wiremock-standalone-*.jar' | sort | tail -1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UP=$(free_port); GW=$(free_port)
OUT=$(mktemp -d)
java -Xmx512m -jar "$WM" --port "$UP" --bind-address 127.0.0.1 --root-dir bench/mock --no-request-journal \
  --disable-request-logging --async-response-enabled true --container-threads 64 > "$OUT/mock.log" 2>&1 &
MOCK=$!
BENCH_UPSTREAM="http://127.0.0.1:$UP" java -jar target/embeddings-gateway.jar --config bench/config.yaml \
  --host 127.0.0.1 --port "$GW" --no-reload > "$OUT/gateway.log" 2>&1 &
GATEWAY=$!
trap 'kill $MOCK $GATEWAY 2>/dev/null || true' EXIT
for i in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$GW/health/readiness" && curl -s -o /dev/null "http://127.0.0.1:$UP/__admin/health" && break
  sleep 0.2
done
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
