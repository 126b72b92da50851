#!/usr/bin/env bash
# Runs the whole test suite with the race detector — the README's test
# command and what CI runs. It starts throwaway Redis and PostgreSQL servers
# for the integration tests (scripts/services.sh) when they are installed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
export GOFLAGS="${GOFLAGS:-} -mod=readonly"

source scripts/services.sh
start_services
trap stop_services EXIT

go vet ./...
# -count=1: never trust a cached pass for a gateway that touches the network.
go test -race -count=1 -timeout 25m ./...
