# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: all bootstrap node-deps build build-asan build-fuzz run test test-release test-asan test-fuzz fuzz bench bench-delivery bench-postgres format clean

export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime
# Paths relative to the checkout, so that another clone (CI's) hits the same cache entries.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true
JOBS ?= $(shell nproc)
DATABASE ?= sqlite://hookd.db
LISTEN ?= 127.0.0.1:8080

all: build

bootstrap:
	@scripts/bootstrap.sh

# The real Standard Webhooks libraries that end-to-end tests verify signatures with.
NODE_DIR := tests/e2e/node
$(NODE_DIR)/node_modules/.package-lock.json: $(NODE_DIR)/package-lock.json | bootstrap
	npm ci --prefix $(NODE_DIR) --no-audit --no-fund

# Playwright (playwright-core, driving Debian's chromium) and axe-core for the portal's tests.
PORTAL_NODE_DIR := tests/portal
$(PORTAL_NODE_DIR)/node_modules/.package-lock.json: $(PORTAL_NODE_DIR)/package-lock.json | bootstrap
	npm ci --prefix $(PORTAL_NODE_DIR) --no-audit --no-fund

node-deps: $(NODE_DIR)/node_modules/.package-lock.json $(PORTAL_NODE_DIR)/node_modules/.package-lock.json

build/build.ninja: | bootstrap
	cmake --preset release

build-asan/build.ninja: | bootstrap
	cmake --preset asan

build: bootstrap build/build.ninja
	cmake --build --preset release -j $(JOBS)

build-asan: bootstrap build-asan/build.ninja
	cmake --build --preset asan -j $(JOBS)

build-fuzz/build.ninja: | bootstrap
	cmake --preset fuzz

# The libFuzzer targets of fuzz/ (clang-14, ASan + UBSan), and nothing else.
build-fuzz: bootstrap build-fuzz/build.ninja
	cmake --build --preset fuzz -j $(JOBS)

# The server binary alone: `make run` and `make demo` compile nothing of the tests or benchmarks.
.PHONY: build-server demo
build-server: bootstrap build/build.ninja
	cmake --build --preset release --target hookd -j $(JOBS)

run: build-server
	./build/hookd serve --listen $(LISTEN) --database $(DATABASE)

# A throwaway hookd and an HTTPS receiver of its own: a delivery arrives, its signature verified.
# DEMO_FLAGS=--keep keeps both running to try curl against them.
demo: build-server
	./build/hookd demo $(DEMO_FLAGS)

# The PostgreSQL store tests need a server: each run gets a throwaway one.
test-release: build node-deps
	scripts/with-postgres.sh ctest --preset release -j $(JOBS)

test-asan: build-asan node-deps
	scripts/with-postgres.sh ctest --preset asan -j $(JOBS)

# Each fuzz target for a short budget from its seed corpus: a crash, a leak or a sanitizer
# report fails the run.
test-fuzz: FUZZ_SECONDS ?= 20
test-fuzz: build-fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

# Every test, on the optimised build and again under the sanitizers, then the fuzz targets.
test: test-release test-asan test-fuzz

# Each fuzz target for FUZZ_SECONDS (default 300); scripts/fuzz.sh prints what each ran.
fuzz: FUZZ_SECONDS ?= 300
fuzz: build-fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

bench: build
	@scripts/bootstrap.sh --bench
	bench/run.sh

# Delivery throughput and latency, ingest rate (bench/delivery_run.sh), then the matching cost
# with 100,000 webhooks over 1,000,000 devices (bench/matching_run.sh). Method and figures:
# BENCHMARKS.md.
# A healthy client's latency with 10,000 idle and 1,000 slow-header connections open
# (bench/http_edge_run.sh; BENCHMARKS.md).
.PHONY: bench-http-edge
bench-http-edge: build
	bench/http_edge_run.sh

bench-delivery: build
	@scripts/bootstrap.sh --bench
	bench/delivery_run.sh
	bench/common_case_run.sh
	bench/matching_run.sh

# Deliveries/s with one and with two worker processes on PostgreSQL beside one process on
# SQLite, and ingest->receipt latency on PostgreSQL (bench/postgres_run.sh). BENCHMARKS.md.
bench-postgres: build
	@scripts/bootstrap.sh --bench
	bench/postgres_run.sh

# The Debian package (packaging/): build/package/hookd_<version>_<arch>.deb, from the release
# build of the server alone.
.PHONY: package package-check
package: build-server
	cd build && cpack -G DEB

# Installs the package, runs hookd doctor and systemd-analyze verify on it, starts the service
# where systemd runs, then purges it (scripts/package_check.sh; needs root or sudo).
package-check: package
	scripts/package_check.sh build/package/hookd_$$(sed -n 's/^project(hookd VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)_$$(dpkg --print-architecture).deb

format:
	find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf build build-asan build-fuzz
