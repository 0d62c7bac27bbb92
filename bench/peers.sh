#!/usr/bin/env bash
# Peer run, by hand: installs Portkey's open-source gateway (@portkey-ai/gateway, npm) into a temp folder,
# starts it on a free loopback port, and runs bench/matrix.py with it as the peer, so that every scenario has
# the peer measured beside ours in the same run. Arguments go to bench/matrix.py (--full, --only, --seconds).
# @hono/node-server is pinned to 1.14.1 through `overrides`: later versions answer every embeddings call with
# 500. Needs Node.js 20+ and npm (and the npm registry).
# usage: bench/peers.sh [--full] [--only REGEX] [--seconds 10]
set -euo pipefail
cd "$(dirname "$0")/.."
PEER_DIR=$(mktemp -d)
PEER=
trap 'kill $PEER 2>/dev/null || true; rm -rf "$PEER_DIR"' EXIT
cat > "$PEER_DIR/package.json" <<'JSON'
{"name": "bench-peers", "private": true,
 "dependencies": {"@portkey-ai/gateway": "1.15.2"},
 "overrides": {"@hono/node-server": "1.14.1"}}
JSON
(cd "$PEER_DIR" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
NODE_ENV=production node "$PEER_DIR/node_modules/@portkey-ai/gateway/build/start-server.js" --port="$PORT" --headless \
  > "$PEER_DIR/portkey.log" 2>&1 &
PEER=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
  sleep 0.2
done
echo "Portkey gateway $(node -p "require('$PEER_DIR/node_modules/@portkey-ai/gateway/package.json').version") on :$PORT (pid $PEER)"
python3 bench/matrix.py --peer "portkey=http://127.0.0.1:$PORT,$PEER" "$@"
