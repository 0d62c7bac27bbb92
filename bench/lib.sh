# Shared setup for the bench/ scripts (sourced): builds the jar if missing, starts the WireMock upstream
# (bench/mock) and the gateway on free loopback ports, stops both on exit.
# After start_gateway: $UP (mock port), $GW (gateway port), $MOCK and $GATEWAY (pids), $OUT (temp dir).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JAR=${GATEWAY_JAR:-target/embeddings-gateway.jar}
[ -f "$JAR" ] || mvn -B -q -DskipTests package
WM=$(find ~/.m2/repository/org/wiremock/wiremock-standalone -name 'wiremock-standalone-*.jar' 2>/dev/null | sort | tail -1)
[ -n "$WM" ] || mvn -B -q dependency:get -Dartifact=org.wiremock:wiremock-standalone:3.13.2
WM=$(find ~/.m2/repository/org/wiremock/wiremock-standalone -name 'wiremock-standalone-*.jar' | sort | tail -1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UP=$(free_port); GW=$(free_port)
OUT=$(mktemp -d)
MOCK=; GATEWAY=
trap 'kill $MOCK $GATEWAY 2>/dev/null || true' EXIT

# start_gateway [extra gateway flags...]: mock upstream + gateway on bench/config.yaml, waits until both answer
start_gateway() {
  java -Xmx512m -jar "$WM" --port "$UP" --bind-address 127.0.0.1 --root-dir bench/mock --no-request-journal \
    --disable-request-logging --async-response-enabled true --container-threads 64 > "$OUT/mock.log" 2>&1 &
  MOCK=$!
  BENCH_UPSTREAM="http://127.0.0.1:$UP" bin/gateway --config bench/config.yaml \
    --host 127.0.0.1 --port "$GW" "$@" > "$OUT/gateway.log" 2>&1 &
  GATEWAY=$!
  for _ in $(seq 1 300); do
    curl -s -o /dev/null "http://127.0.0.1:$GW/health/readiness" \
      && curl -s -o /dev/null "http://127.0.0.1:$UP/__admin/health" && return 0
    sleep 0.2
  done
  echo "gateway or mock did not start; see $OUT" >&2
  return 1
}
