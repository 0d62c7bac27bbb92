#!/usr/bin/env bash
# Batch throughput, run by hand: a LINES-line embeddings batch (one input per line) through the gateway's Batch API
# (in-process workers, the embedded H2 database), against a mock upstream answering in DELAY_MS with DIMS-dimension vectors
# (bench/BatchMock.java). Submits it with bin/gateway batch submit --wait, then prints lines/s, upstream calls and
# inputs, and the gateway's CPU. Loopback only.
# usage: bench/batch.sh [lines=10000] [delay_ms=20] [dims=1536] [extra gateway flags...]
#        BATCH_ENCODING=base64 bench/batch.sh ...   lines ask for base64 vectors (the SDKs' default)
set -euo pipefail
LINES=${1:-10000}
DELAY=${2:-20}
DIMS=${3:-1536}
shift $(( $# < 3 ? $# : 3 ))
cd "$(dirname "$0")/.."
[ -f target/embeddings-gateway.jar ] || mvn -B -q -DskipTests package
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UP=$(free_port); GW=$(free_port); OUT=$(mktemp -d)
MOCK=; GATEWAY=
trap 'kill $MOCK $GATEWAY 2>/dev/null || true' EXIT
java -Xmx256m bench/BatchMock.java "$UP" "$DELAY" "$DIMS" > "$OUT/mock.log" 2>&1 &
MOCK=$!
cat > "$OUT/config.yaml" <<YAML
model_list:
  - model_name: bench-batch
    litellm_params: {model: azure/bench, api_base: "http://127.0.0.1:$UP", api_key: bench-key, api_version: "2024-10-21"}
YAML
java ${GATEWAY_JAVA_OPTS:-} -jar target/embeddings-gateway.jar --config "$OUT/config.yaml" --host 127.0.0.1 --port "$GW" --no-reload \
  --data-dir "$OUT/data" "$@" > "$OUT/gateway.log" 2>&1 &
GATEWAY=$!
for _ in $(seq 1 150); do
  curl -s -o /dev/null "http://127.0.0.1:$GW/health/readiness" && curl -s -o /dev/null "http://127.0.0.1:$UP/count" && break
  sleep 0.2
done
python3 - "$LINES" "${BATCH_ENCODING:-float}" > "$OUT/input.jsonl" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"custom_id": f"req-{i}", "method": "POST", "url": "/v1/embeddings",
                      "body": {"model": "bench-batch", "encoding_format": sys.argv[2],
                               "input": f"Document {i}: the quick brown fox jumps over the lazy dog."}}))
PY
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
sys() { awk '{print $15}' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)
echo "$LINES lines, upstream $DELAY ms, $DIMS dimensions, ${BATCH_ENCODING:-float} output; $(nproc) cores; gateway flags: $*"
C0=$(cpu "$GATEWAY"); S0=$(sys "$GATEWAY"); T0=$(date +%s.%N)
ID=$(GATEWAY_URL="http://127.0.0.1:$GW" bin/gateway batch submit "$OUT/input.jsonl" --wait --output "$OUT/output.jsonl")
T1=$(date +%s.%N); C1=$(cpu "$GATEWAY"); S1=$(sys "$GATEWAY")
read -r CALLS INPUTS < <(curl -s "http://127.0.0.1:$UP/count") || true
OUTLINES=$(wc -l < "$OUT/output.jsonl")
curl -s "http://127.0.0.1:$GW/v1/batches/$ID" | python3 -c '
import json, sys
b = json.load(sys.stdin)
print("phases (whole seconds): validating %d s, in_progress %d s (%d lines/s), finalizing %d s" % (
    b["in_progress_at"] - b["created_at"], b["finalizing_at"] - b["in_progress_at"],
    b["request_counts"]["total"] / max(1, b["finalizing_at"] - b["in_progress_at"]),
    b["completed_at"] - b["finalizing_at"]))'
python3 - "$LINES" "$T0" "$T1" "$C0" "$C1" "$TICKS" "$CALLS" "$INPUTS" "$OUTLINES" "$(stat -c %s "$OUT/output.jsonl")" "$S0" "$S1" <<'PY'
import sys
lines, t0, t1, c0, c1, ticks, calls, inputs, out, size, s0, s1 = sys.argv[1:]
s = float(t1) - float(t0)
cpu = (int(c1) - int(c0)) / int(ticks)
print(f"submit to downloaded output: {s:.1f} s = {int(lines)/s:,.0f} lines/s (upload, validation, embedding, assembly, download)")
print(f"upstream: {int(calls):,} calls carrying {int(inputs):,} inputs ({int(inputs)/max(1,int(calls)):.1f} per call)")
print(f"output: {int(out):,} lines, {int(size)/1e6:,.1f} MB; gateway CPU {cpu:.1f} s = {cpu*1000/int(lines):.2f} ms per line ({(int(s1)-int(s0))/int(ticks):.1f} s of it in the kernel)")
PY
