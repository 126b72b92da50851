#!/usr/bin/env bash
# Runs the whole test suite with the race detector — the README's test
# command and what CI runs. Services the integration tests need are started
# here (none yet for the embedded defaults: SQLite and in-process state).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
export GOFLAGS="${GOFLAGS:-} -mod=readonly"

go vet ./...
# -count=1: never trust a cached pass for a gateway that touches the network.
go test -race -count=1 -timeout 20m ./...
