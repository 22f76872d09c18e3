# Posts API. `make help` lists the targets.
SHELL := bash
.DEFAULT_GOAL := help

GO       ?= go
BIN      := bin/posts
GOFLAGS_BUILD := -trimpath -ldflags='-s -w -buildid='

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## Run the service on :3000 (finds or starts a development PostgreSQL, migrates it)
	MIGRATE_ON_START=true LOG_FORMAT=$${LOG_FORMAT:-text} $(GO) run ./cmd/posts serve

# The race detector needs cgo and a C compiler; without them the tests run without it.
RACE := $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v gcc >/dev/null && echo -race)

.PHONY: test
test: ## Run every test against a real PostgreSQL (TEST_DATABASE_URL, else 127.0.0.1:5432, else embedded)
	$(GO) test $(RACE) -count=1 ./...

.PHONY: build
build: ## Build a static, stripped binary into bin/posts
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(BIN) ./cmd/posts

.PHONY: generate
generate: ## Regenerate gen/ from api/openapi.yaml and db/
	$(GO) tool oapi-codegen -config api/server.cfg.yaml api/openapi.yaml
	$(GO) tool oapi-codegen -config api/client.cfg.yaml api/openapi.yaml
	$(GO) tool sqlc generate

.PHONY: check-generated
check-generated: generate sdk ## Fail when gen/ or the TypeScript SDK is stale, or sqlc finds a problem
	$(GO) tool sqlc diff
	$(GO) tool sqlc vet
	@if [ -n "$$(git status --porcelain -- gen sdk/typescript/src)" ]; then \
		echo "generated code is out of date with api/ and db/: run 'make generate sdk' and commit the result:"; \
		git status --porcelain -- gen sdk/typescript/src; git --no-pager diff --stat -- gen sdk/typescript/src; exit 1; \
	fi

.PHONY: sdk
sdk: ## Generate the typed TypeScript client (sdk/typescript) from the spec
	cd sdk/typescript && npm ci --no-audit --no-fund --loglevel=error && npm run --silent generate

.PHONY: lint-api
lint-api: ## Lint api/openapi.yaml with Redocly CLI (api/redocly.yaml): zero errors, zero warnings
	cd api && npm ci --no-audit --no-fund --loglevel=error && npx redocly lint openapi.yaml --config redocly.yaml --format=stylish

# The spec to compare with: the last release tag (v*), else where this branch
# left main, else the previous commit.
API_BASE ?= $(shell git describe --tags --abbrev=0 --match 'v*' 2>/dev/null || \
	(b=$$(git merge-base HEAD origin/main 2>/dev/null); [ -n "$$b" ] && [ "$$b" != "$$(git rev-parse HEAD)" ] && echo $$b) || \
	echo HEAD~1)

.PHONY: api-breaking
api-breaking: ## Fail on a breaking change to the spec since API_BASE, unless info.version's major number was raised
	@if ! git cat-file -e $(API_BASE):api/openapi.yaml 2>/dev/null; then echo "api-breaking: no spec at $(API_BASE) to compare with"; exit 0; fi
	@git show $(API_BASE):api/openapi.yaml > $${TMPDIR:-/tmp}/openapi-base.yaml
	@echo "api-breaking: comparing api/openapi.yaml with $(API_BASE)"
	$(GO) tool oasdiff breaking $${TMPDIR:-/tmp}/openapi-base.yaml api/openapi.yaml --fail-on MISSING-VERSION-BUMP

.PHONY: vet
vet: ## go vet and gofmt
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

.PHONY: fuzz
fuzz: ## Fuzz the cursor codec, request decoding, the quick parameter check and the JSON writer, 30s each (their seeds run in every test run)
	$(GO) test -run '^$$' -fuzz FuzzCursorDecode -fuzztime 30s ./internal/posts
	$(GO) test -run '^$$' -fuzz FuzzAppendString -fuzztime 30s ./internal/posts
	$(GO) test -run '^$$' -fuzz FuzzRequestBody -fuzztime 30s ./internal/httpapi
	$(GO) test -run '^$$' -fuzz FuzzQuickParameterCheck -fuzztime 30s ./internal/httpapi

.PHONY: soak
soak: ## 60s of mixed traffic at 32 connections against the real binary: zero 5xx, flat goroutines and RSS
	SOAK_DURATION=$${SOAK_DURATION:-60s} $(GO) test -count=1 -v -run '^TestSoak$$' -timeout 10m ./internal/app

.PHONY: bench
bench: wrk ## Side by side with the bare net/http + pgx baseline (../shared/bench): create and list at 32 connections
	$(GO) run ./cmd/bench -mode ab $(BENCH_FLAGS)

# The load generator of the published figures. cmd/bench falls back to its
# own Go generator without it, which spends more of the two cores on reading
# the service's larger pages than the baseline's (BENCHMARKS.md).
.PHONY: wrk
wrk:
	@command -v wrk >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "wrk is missing: installing Debian's package"; \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
				echo "could not install wrk: using cmd/bench's Go load generator"; \
		else echo "wrk is missing and cannot be installed here (needs root and apt-get): using cmd/bench's Go load generator"; fi; }

.PHONY: bench-scale
bench-scale: ## List latency, first and 90%-deep page, at 1k, 100k and 1M rows
	$(GO) run ./cmd/bench -mode scale $(BENCH_FLAGS)
