#!/usr/bin/env bash
# One-command demo: builds nexus, starts the provider emulator and the
# gateway (examples/nexus.yaml, SQLite in .demo/), mints a virtual key, and
# streams a chat completion through the gateway with curl. The gateway keeps
# running in the foreground; Ctrl-C stops both processes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

mkdir -p .demo
go build -o .demo/nexus ./cmd/nexus
cd .demo

./nexus mock-upstream --listen 127.0.0.1:9001 2> mock.log &
MOCK=$!
trap 'kill $MOCK 2>/dev/null || true' EXIT

CONFIG=../examples/nexus.yaml
KEY=$(./nexus keys create --config "$CONFIG" --name "demo-$(date +%s)" --rpm 600 | tail -n 1)

./nexus serve --config "$CONFIG" &
GW=$!
trap 'kill $GW $MOCK 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fs http://127.0.0.1:3050/readyz >/dev/null 2>&1 && break
  kill -0 $GW 2>/dev/null || { echo "the gateway failed to start (is port 3050 taken?)" >&2; exit 1; }
  sleep 0.1
done

cat <<MSG

  Nexus is listening on http://127.0.0.1:3050 in front of the emulator on :9001.
  Your virtual key (shown once):  $KEY

  Streaming a chat completion:
    curl -N http://127.0.0.1:3050/v1/chat/completions \\
      -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \\
      -d '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hello, Nexus!"}]}'

MSG
curl -sN -D - http://127.0.0.1:3050/v1/chat/completions \
  -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hello, Nexus!"}]}'
echo
echo "  Gateway running (Ctrl-C to stop)."
wait $GW
