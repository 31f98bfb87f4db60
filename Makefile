# pacer: `make demo` sets up the stack and sends a demo campaign,
# `make test` runs every test on a stack of its own.
SHELL := /bin/bash
export GOFLAGS := -buildvcs=false

.PHONY: demo down test unit bench bench-tracking build vet lint deliverability

demo: ## set up the embedded stack and send a 50,000-recipient campaign to mailpit
	@scripts/demo.sh

down: ## stop every service the demo started
	@scripts/down.sh

test: ## unit and integration tests; starts PostgreSQL, Temporal and SMTP servers itself
	@scripts/test.sh

unit: ## unit tests only, no services
	@go test ./...

bench: ## send benchmark against Postfix's smtp-sink; prints one JSON line
	@scripts/bench.sh

bench-tracking: ## wrk at the open pixel and click redirect, ~1,000 req/s; latency, throughput, events written
	@scripts/bench-tracking.sh

deliverability: ## on the demo stack: DKIM-signed demo campaign to mailpit, SpamAssassin scores of a sample
	@scripts/deliverability.sh

build:
	@go build ./...

vet:
	@go vet ./...
