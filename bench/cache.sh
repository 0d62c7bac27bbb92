#!/usr/bin/env bash
# Embedding cache benchmark, run by hand (loopback only): one request of 64 inputs (1536-dimension vectors,
# encoding_format base64) through the gateway to a mock Azure upstream answering in 20 ms, three ways:
#   uncached   every input goes upstream ("cache": {"no-cache": true, "no-store": true})
#   local      63 inputs served by the in-process store (Caffeine), 1 miss upstream
#   redis      63 inputs served by a redis-server (/usr/bin/redis-server, started here), 1 miss upstream
# The miss is sent with "no-store", so it stays a miss on every request. Prints requests/s, p50/p99 and the
# gateway's CPU ms per request (bench/LoadGen.java), then the cost of the cache steps alone (bench/CacheSteps.java).
# usage: bench/cache.sh [concurrency=4] [seconds=10]
#   ROUNDS=n repeats the four runs (the machine is shared: compare within a round); GATEWAY_JAVA_OPTS adds JVM
#   flags to both gateways (e.g. a JFR recording)
set -euo pipefail
C=${1:-4}
SECS=${2:-10}
source "$(dirname "$0")/lib.sh"
REDIS_PORT=$(free_port); GW2=$(free_port)
REDIS=; GATEWAY2=
trap 'kill $MOCK $GATEWAY $GATEWAY2 $REDIS 2>/dev/null || true' EXIT

# mock upstream: 64 inputs -> 64 vectors, 63 -> 63 (priming), anything else -> 1; each after 20 ms
mkdir -p "$OUT/mock/mappings"
python3 - "$OUT/mock/mappings" <<'EOF'
import json, random, sys
random.seed(7)
def answer(n):
    data = [{"object": "embedding", "index": i,
             "embedding": [round(random.uniform(-0.1, 0.1), 6) for _ in range(1536)]} for i in range(n)]
    return {"object": "list", "data": data, "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 8 * n, "total_tokens": 8 * n}}
for prio, n, pattern in [(1, 64, "$.input[63]"), (2, 63, "$.input[62]"), (3, 1, None)]:
    req = {"method": "POST", "urlPath": "/openai/deployments/bench-cache/embeddings"}
    if pattern:
        req["bodyPatterns"] = [{"matchesJsonPath": pattern}]
    m = {"priority": prio, "request": req, "response": {"status": 200, "headers": {"Content-Type": "application/json"},
         "jsonBody": answer(n), "fixedDelayMilliseconds": 20}}
    json.dump(m, open(f"{sys.argv[1]}/bench-cache-{n}.json", "w"))
EOF
cat > "$OUT/config.yaml" <<'EOF'
model_list:
  - model_name: bench-cache
    litellm_params:
      model: azure/bench-cache
      api_base: os.environ/BENCH_UPSTREAM
      api_key: bench-key
      api_version: "2024-10-21"
litellm_settings:
  cache: true
  cache_params: {type: os.environ/BENCH_CACHE, host: 127.0.0.1, port: os.environ/BENCH_REDIS_PORT}
EOF
python3 - "$OUT" <<'EOF'
import json, sys
chunks = [f"Chunk {i} of a document that is being re-indexed, with a few words of text." for i in range(63)]
def body(inputs, cache=None):
    b = {"model": "bench-cache", "input": inputs, "encoding_format": "base64"}
    if cache:
        b["cache"] = cache
    return json.dumps(b)
open(f"{sys.argv[1]}/prime.json", "w").write(body(chunks))
open(f"{sys.argv[1]}/hit63.json", "w").write(body(chunks + ["A new chunk."], {"no-store": True}))
open(f"{sys.argv[1]}/uncached.json", "w").write(body(chunks + ["A new chunk."], {"no-cache": True, "no-store": True}))
EOF

/usr/bin/redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$OUT" \
  --logfile "$OUT/redis.log" &
REDIS=$!
java -Xmx512m -jar "$WM" --port "$UP" --bind-address 127.0.0.1 --root-dir "$OUT/mock" --no-request-journal \
  --disable-request-logging --async-response-enabled true --container-threads 64 > "$OUT/mock.log" 2>&1 &
MOCK=$!
start() { # port cache-type -> pid
  BENCH_UPSTREAM="http://127.0.0.1:$UP" BENCH_CACHE=$2 BENCH_REDIS_PORT=$REDIS_PORT java ${GATEWAY_JAVA_OPTS:-} -jar target/embeddings-gateway.jar \
    --config "$OUT/config.yaml" --host 127.0.0.1 --port "$1" --no-reload > "$OUT/gateway-$2.log" 2>&1 &
  echo $!
}
GATEWAY=$(start "$GW" local)
GATEWAY2=$(start "$GW2" redis)
for port in "$GW" "$GW2"; do
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/health/readiness" && break
    sleep 0.2
  done
  curl -s -o /dev/null -D - "http://127.0.0.1:$port/v1/embeddings" -H 'Content-Type: application/json' \
    -d @"$OUT/prime.json" | grep -i x-gateway-cache-hits
  sleep 0.5
  curl -s -o /dev/null -D - "http://127.0.0.1:$port/v1/embeddings" -H 'Content-Type: application/json' \
    -d @"$OUT/hit63.json" | grep -i x-gateway-cache-hits
done

echo "64 inputs x 1536 dims, base64, upstream 20 ms; concurrency=$C seconds=$SECS (after 3 s warm-up); $(nproc) cores"
for round in $(seq 1 "${ROUNDS:-1}"); do
  [ "${ROUNDS:-1}" -gt 1 ] && echo "-- round $round"
  echo -n "local, 63 hits + 1 miss: "; java bench/LoadGen.java "http://127.0.0.1:$GW/v1/embeddings" "$OUT/hit63.json" "$C" "$SECS" "$GATEWAY" "$MOCK"
  echo -n "local gateway, uncached: "; java bench/LoadGen.java "http://127.0.0.1:$GW/v1/embeddings" "$OUT/uncached.json" "$C" "$SECS" "$GATEWAY" "$MOCK"
  echo -n "redis, 63 hits + 1 miss: "; java bench/LoadGen.java "http://127.0.0.1:$GW2/v1/embeddings" "$OUT/hit63.json" "$C" "$SECS" "$GATEWAY2" "$MOCK"
  echo -n "redis gateway, uncached: "; java bench/LoadGen.java "http://127.0.0.1:$GW2/v1/embeddings" "$OUT/uncached.json" "$C" "$SECS" "$GATEWAY2" "$MOCK"
done
echo "-- the cache steps alone, in one thread (bench/CacheSteps.java; Lettuce's own I/O threads not counted):"
java -cp target/embeddings-gateway.jar bench/CacheSteps.java "$REDIS_PORT" 3000 2>/dev/null | grep "store: "
