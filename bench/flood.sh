#!/usr/bin/env bash
# Unauthenticated body flood, run by hand: CONNECTIONS clients without a key keep announcing 8 MB bodies and
# sending 7 MB of each (at the lowest CPU priority: a real attacker's CPU is not the gateway's), while 4
# authenticated LoadGen clients send small requests (Azure provider, mock upstream). The gateway runs with a
# 256 MB heap. Prints the authenticated load line, what the attackers got, the gateway's peak RSS and heap.
# usage: bench/flood.sh [connections=300] [seconds=30] [jar=target/embeddings-gateway.jar[:routes_dir]]
#   another build: OLD.jar:DIR with DIR holding that build's routes (git archive <commit> routes | tar -x -C DIR)
set -euo pipefail
N=${1:-300}
SECS=${2:-30}
source "$(dirname "$0")/lib.sh"
JAR=${3:-$JAR} # after lib.sh, which sets JAR from GATEWAY_JAR
ROUTES=routes
case "$JAR" in *:*) ROUTES=${JAR#*:}; JAR=${JAR%%:*} ;; esac
KEY=bench-key # what LoadGen sends as api-key
sed 's/^model_list:/general_settings:\n  master_key: os.environ\/BENCH_MASTER_KEY\nmodel_list:/' bench/config.yaml \
  | sed '/model_name: all-minilm-l6-v2/,$d' > "$OUT/config.yaml"
echo "logs in $OUT"
java -Xmx512m -jar "$WM" --port "$UP" --bind-address 127.0.0.1 --root-dir bench/mock --no-request-journal \
  --disable-request-logging --async-response-enabled true --container-threads 64 > "$OUT/mock.log" 2>&1 &
MOCK=$!
BENCH_MASTER_KEY=$KEY BENCH_UPSTREAM="http://127.0.0.1:$UP" java -Xmx256m -jar "$JAR" --config "$OUT/config.yaml" \
  --routes "$ROUTES" --host 127.0.0.1 --port "$GW" --no-reload > "$OUT/gateway.log" 2>&1 &
GATEWAY=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$GW/health/readiness" && curl -s -o /dev/null "http://127.0.0.1:$UP/__admin/health" && break
  sleep 0.2
done
echo "flood: $N connections without a key for ${SECS}s against $JAR (-Xmx256m); $(nproc) cores"
echo '{"model":"bench-azure","input":"hello","encoding_format":"base64"}' > "$OUT/body.json"
nice -n 19 java bench/Flood.java "$GW" "$N" "$((SECS + 3))" "$GATEWAY" > "$OUT/flood.txt" &
FLOOD=$!
echo -n "authenticated:  "; java bench/LoadGen.java "http://127.0.0.1:$GW/v1/embeddings" "$OUT/body.json" 4 "$SECS" "$GATEWAY"
wait $FLOOD; cat "$OUT/flood.txt"
echo "OutOfMemoryError in the gateway log: $(grep -c OutOfMemoryError "$OUT/gateway.log" || true)"
