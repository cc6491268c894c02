# gumshoe — build, test and benchmark. `make help` lists the targets.

GO      ?= go
BIN     := bin/gumshoe
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: help build demo sample test test-go fuzz bench bench-go bench-ingest clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/gumshoe
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/gumshoe

demo: build ## generate and ingest 45 days of a synthetic AWS organisation under attack, detect, and serve the console
	./$(BIN) demo

sample: build ## ingest sample flow logs, CloudTrail and findings, and query them
	rm -rf sample.duckdb sample.lake
	./$(BIN) ingest --db sample.duckdb testdata/sample/AWSLogs \
		internal/cloudtrail/testdata/stratus-red-team_detonation-logs/aws.credential-access.ec2-steal-instance-credentials.json \
		internal/guardduty/testdata/get-findings-camelcase.json
	./$(BIN) query --db sample.duckdb "SELECT interface_id, srcaddr, dstaddr, dstport, protocol, action, sum(bytes) AS bytes, count(*) AS records FROM flow_logs WHERE log_status = 'OK' GROUP BY ALL ORDER BY bytes DESC LIMIT 10"
	./$(BIN) query --db sample.duckdb "SELECT hour, interface_id, local_addr, local_port, remote_addr, remote_port, direction, action, bytes_in, bytes_out, flows FROM flow_rollup_hourly ORDER BY hour, interface_id LIMIT 10"
	./$(BIN) query --db sample.duckdb "SELECT from_id, type, to_id, detail, count FROM relationships WHERE from_id LIKE '%i-786a3A8B5C0d92eF4' OR to_id LIKE '%i-786a3A8B5C0d92eF4' ORDER BY type"
	./$(BIN) lookup --db sample.duckdb 18.236.253.47 --limit 5

test: test-go web-check web-test e2e ## every test: Go, and the console's build check, unit and end-to-end tests (what CI runs)

test-go: ## vet and run the Go tests (no Node.js or Chromium needed)
	$(GO) vet ./...
	$(GO) test -count=1 ./...

FUZZTIME ?= 60s
fuzz: ## run each fuzz target for FUZZTIME
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench: bench-go bench-ingest ## all benchmarks

bench-go: ## decoder and store micro-benchmarks
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/...

BENCH_RECORDS ?= 3000000
BENCH_CT_EVENTS ?= 500000
bench-ingest: build ## durable ingest vs. DuckDB by hand: flow logs v2 and v5 (BENCH_RECORDS each), CloudTrail (BENCH_CT_EVENTS)
	$(GO) run ./tools/ingestbench -gumshoe $(BIN) -records $(BENCH_RECORDS) -ct-events $(BENCH_CT_EVENTS) -out docs/bench-ingest.md

clean: ## remove build output and sample databases
	rm -rf bin sample.duckdb sample.lake .bench

# --- web console (web/ → internal/webui/dist; needs Node 20 and npm) --------
.PHONY: web web-test web-check e2e

web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web: web/node_modules/.installed ## rebuild the console into internal/webui/dist (commit the result)
	cd web && npm run build

web-test: web/node_modules/.installed ## console unit and component tests (Vitest)
	cd web && npx vitest run

web-check: web ## fail if the committed console build is not what web/ builds
	@git diff --exit-code --stat -- internal/webui/dist && test -z "$$(git status --porcelain -- internal/webui/dist)" \
		|| { echo "internal/webui/dist is stale: run make web and commit it" >&2; exit 1; }

e2e: build web/node_modules/.installed ## console end-to-end tests in headless Chromium; screenshots in build/screenshots/
	cd web && GUMSHOE_BIN=../$(BIN) node e2e/run.mjs
