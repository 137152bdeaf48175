# The front door. `make run` starts the agent on this host; `make test` passes
# the tests. Both install what they need first (scripts/install-deps.sh).
BUILD ?= build
BUILD_ASAN ?= build-asan
CONFIG ?= configs/ember.toml
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps build run run-server test test-unit test-integration build-sanitize test-sanitize clean

all: build

deps:
	./scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

# The agent profiling this host into the sinks of $(CONFIG), serving the web
# UI on loopback (http://127.0.0.1:8080/), until Ctrl-C.
run: build
	$(SUDO) $(BUILD)/bin/emberd --config $(CONFIG) --ui

# The fleet server on 127.0.0.1:4040 over a private ClickHouse (its data in
# $(BUILD)/run-server/clickhouse), until Ctrl-C; agents upload to
# http://127.0.0.1:4040/ingest with the token in $(BUILD)/run-server/server-token.
run-server: build
	./scripts/run-server.sh $(BUILD)

# Unit tests in parallel, then the integration tests: a few that check
# nothing a neighbour's CPU use could change two at a time, the others one at
# a time (they measure CPU shares, which tests beside them would disturb).
# An integration test that fails is run once more: a busy neighbour on a
# 2-CPU machine can starve one run of samples; a real regression fails twice
# (ctest prints both runs, and the last line says which tests needed theirs).
test: build
	cd $(BUILD) && ctest --output-on-failure -L unit -j$(JOBS)
	$(SUDO) ./scripts/integration-tests.sh $(BUILD)

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer.
build-sanitize: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DEMBER_SANITIZE=ON
	cmake --build $(BUILD_ASAN) -j$(JOBS)

test-sanitize: build-sanitize
	cd $(BUILD_ASAN) && ctest --output-on-failure -L unit -j$(JOBS)
	$(SUDO) ./scripts/integration-tests.sh $(BUILD_ASAN)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
