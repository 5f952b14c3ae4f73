# The two entry points of the README, plus a few conveniences.
#   make demo  - set up, build release and the base map, start a live command center on
#                http://127.0.0.1:8080
#   make basemap - the offline base map of REGION (tiles + glyphs) into build/basemap/
#   make test  - set up, build, run every test (clang-format check included; make fault: only
#                the fault-injection ones)
#   make asan / make tsan - the same tests built with AddressSanitizer+UBSan / ThreadSanitizer
#   make package - the Debian package build/release/ncc_<version>_amd64.deb (systemd unit, user ncc,
#                /etc/ncc/ncc.conf; docs/operations.md)
#   make peers - the independent peers of the integration tests (npm, pinned in
#                tests/peers/*/package-lock.json; `make build` and `make test` run it)
#   make console - the web console (TypeScript + Vite + MapLibre, npm packages pinned in
#                web/package-lock.json) into web/dist, which `ncc serve` serves by default
DATA ?= $(abspath ../shared/data)
DEMO_DIR ?= var/demo
# The region of the base map: an extract osm/$(REGION).osm[.pbf] in $(DATA) (docs/basemap.md).
REGION ?= sf-north-2020
BASEMAP ?= build/basemap/$(REGION).mbtiles
JOBS ?= $(shell nproc)

.PHONY: setup console peers build release package basemap demo test asan tsan fault fault-report bench bench-fanout bench-failover bench-console soak fuzz fuzz-build format format-check clean whatif shard-sim

setup:
	@scripts/setup

# The console: `npm ci` when the lockfile changed, `vite build` when a source changed.
WEB_SRC := $(wildcard web/src/*) web/index.html web/vite.config.ts web/tsconfig.json
console: setup web/dist/index.html

web/node_modules/.ncc-installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/dist/index.html: web/node_modules/.ncc-installed $(WEB_SRC)
	cd web && npm run build

# Independent peers the integration tests check ncc against (tests/peers/*/package-lock.json):
# installed here, never downloaded at test time. tak: @tak-ps/node-cot; eido: ajv.
PEERS := tests/peers/tak tests/peers/eido
peers: $(PEERS:%=%/node_modules/.ncc-installed)

tests/peers/%/node_modules/.ncc-installed: tests/peers/%/package.json tests/peers/%/package-lock.json
	cd tests/peers/$* && npm ci --no-audit --no-fund
	touch $@

# Road graph of the demo's city, for recommendations by road ETA and route lines.
GRAPH ?= build/sf-north-2020.graph
$(GRAPH): | release
	build/release/src/app/ncc import-osm $(DATA)/osm/sf-north-2020.osm --out $@

# The Fleet Week example's what-if and synchronization matrix, shipped in docs/operations/
# (docs/plans.md "What-if before go-live"). NCC=build/dev/src/app/ncc uses the dev build.
NCC ?= build/release/src/app/ncc
WHATIF_OUT ?= build/whatif/fleet-week
# Sharding by region, simulated on the real calls and roads (docs/sharding.md): ~5 min.
shard-sim:
	@test -f $(GRAPH) || $(MAKE) $(GRAPH)
	bench/shard_sim.py --ncc $(NCC) --graph $(GRAPH) --data $(DATA) --out docs/bench-sharding.md

whatif:
	@test -f $(GRAPH) || $(MAKE) $(GRAPH)
	$(NCC) sim --operation config/operations/fleet-week-marina-green.json --graph $(GRAPH) \
	  --data $(DATA) --policy ncc --seed 1 --out $(WHATIF_OUT) --overwrite >/dev/null
	mkdir -p docs/operations
	cp $(WHATIF_OUT)/whatif.html docs/operations/fleet-week-whatif.html
	cp $(WHATIF_OUT)/whatif.json docs/operations/fleet-week-whatif.json
	cp $(WHATIF_OUT)/matrix.html docs/operations/fleet-week-matrix.html

build: setup console peers
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

release: setup
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

# The .deb (CPack, packaging/CMakeLists.txt): the release binary, the console, the unit and the
# packaged configuration. `make test` builds one from the dev build and installs it (as root).
package: release console
	cd build/release && cpack -G DEB

# Vector tiles from the extract with tilemaker, glyphs from Debian's Noto fonts with ncc-glyphs.
basemap: release
	scripts/basemap --data $(DATA) --region $(REGION) --out $(BASEMAP) \
	  --glyphs build/release/src/basemap/ncc-glyphs

demo: basemap console $(GRAPH)
	build/release/src/app/ncc demo --data $(DEMO_DIR) --listen 127.0.0.1:8080 --shared-data $(DATA) --reset \
	  --basemap $(BASEMAP) --graph $(GRAPH)

test: build
	ctest --preset dev

# Full builds of their own (build/asan, build/tsan): ~15 min each on 2 cores, tests slower too.
asan: setup console
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan

tsan: setup console
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan

# Only the fault-injection tests (tests/fault/; also part of `make test`).
fault: build
	ctest --preset dev -R '^fault\.'

# The long version: every fault case with $(FAULT_ROUNDS) kill -9 rounds; rewrites docs/reliability.md.
FAULT_ROUNDS ?= 20
fault-report: build
	python3 tests/fault/report.py --ncc build/dev/src/app/ncc --shim build/dev/tests/fault/libfailshim.so \
	  --rounds $(FAULT_ROUNDS)

# One hour of the national mix (issue 17): 50,000 units at 1 Hz, 1,000 consoles with live
# positions, 100 commands/s; plots and a summary in docs/soak/. SOAK_SECONDS=600 for a shorter run.
SOAK_SECONDS ?= 3600
soak: release
	cmake --build --preset release -j $(JOBS) --target ncc ncc-soak
	python3 bench/soak.py --ncc build/release/src/app/ncc --soak build/release/bench/ncc-soak \
	  --data $(DATA) --seconds $(SOAK_SECONDS) --out docs/soak

# Stream fan-out (issue 12): 1,000 consoles on /api/v1/stream while incidents are created,
# command-to-screen p50/p99 and every event on every console, against 1 console in the same run.
# BENCH_BUILD=dev measures the dev build (no second full build); FANOUT_CONSOLES, FANOUT_SECONDS.
BENCH_BUILD ?= release
FANOUT_CONSOLES ?= 1000
FANOUT_SECONDS ?= 20
bench-fanout: setup
	cmake --preset $(BENCH_BUILD) >/dev/null
	cmake --build --preset $(BENCH_BUILD) -j $(JOBS) --target ncc ncc-bench-fanout ncc-bench-stream-views
	build/$(BENCH_BUILD)/bench/ncc-bench-stream-views --readers $(FANOUT_CONSOLES)
	python3 bench/fanout_bench.py --ncc build/$(BENCH_BUILD)/src/app/ncc \
	  --fanout build/$(BENCH_BUILD)/bench/ncc-bench-fanout --consoles $(FANOUT_CONSOLES) \
	  --seconds $(FANOUT_SECONDS) --out docs/bench-fanout.md

# Failover on PostgreSQL (issue 14): two --standby nodes, FAILOVER_KILLS kill -9s of the writer
# with a FAILOVER_TTL-second lease, the time to the first acknowledged write on the other node
# (p50/p99), every acknowledged command once (docs/benchmarks.md, "Failover on PostgreSQL").
FAILOVER_KILLS ?= 20
FAILOVER_TTL ?= 1
bench-failover: setup
	cmake --preset $(BENCH_BUILD) >/dev/null
	cmake --build --preset $(BENCH_BUILD) -j $(JOBS) --target ncc
	python3 bench/failover_bench.py --ncc build/$(BENCH_BUILD)/src/app/ncc --kills $(FAILOVER_KILLS) \
	  --lease-ttl $(FAILOVER_TTL)

# The console in chromium under 5,000 units at 1 fix/s and 500 open incidents (issue 12): frame
# time, JS heap growth and first picture, against the naive whole-GeoJSON-each-second way in the
# same run. CONSOLE_SECONDS per run (default 60); CONSOLE_FULL=1 for the issue's 10 minutes.
CONSOLE_SECONDS ?= 60
CONSOLE_FULL ?=
bench-console: setup console
	cmake --preset $(BENCH_BUILD) >/dev/null
	cmake --build --preset $(BENCH_BUILD) -j $(JOBS) --target ncc ncc-soak
	python3 bench/console_bench.py --ncc build/$(BENCH_BUILD)/src/app/ncc \
	  --soak build/$(BENCH_BUILD)/bench/ncc-soak --seconds $(CONSOLE_SECONDS) $(if $(CONSOLE_FULL),--full) \
	  --out docs/bench-console.md

bench: release
	cmake --build --preset release -j $(JOBS) --target ncc-bench-core ncc-bench-picture ncc-bench-monitor ncc-bench-routing ncc-bench-dispatch ncc-bench-cot ncc-bench-exports ncc-bench-sim ncc ncc-load
	build/release/bench/ncc-bench-core --out docs/bench-core.md
	build/release/bench/ncc-bench-picture --out docs/bench-picture.md
	build/release/bench/ncc-bench-monitor --dir build
	build/release/bench/ncc-bench-routing --data $(DATA)
	build/release/bench/ncc-bench-dispatch --data $(DATA)
	build/release/bench/ncc-bench-cot --data $(DATA)
	build/release/bench/ncc-bench-exports --data $(DATA)
	build/release/bench/ncc-bench-sim --data $(DATA)
	bench/lanes_bench.py --out docs/bench-lanes.md
	bench/http_bench.py --ncc build/release/src/app/ncc --out docs/bench-http.md

# Fuzzing (docs/fuzzing.md): build the libFuzzer targets, make seed corpora from the real
# samples in $(DATA) (never copied into the repository), run every target FUZZ_SECONDS one after
# the other, and record the figures and cumulative CPU time in docs/fuzzing.md.
#   make fuzz FUZZ_SECONDS=300 FUZZ_TARGETS=cap_fuzz,cot_fuzz FUZZ_EXTRA=json_body_fuzz=600
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
FUZZ_EXTRA ?=
fuzz-build: setup
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS) --target fuzzers

fuzz: fuzz-build
	fuzz/seed_corpora.py --data $(DATA) --out build/fuzz/corpus --seed-maker build/fuzz/fuzz/ncc_fuzz_seeds
	fuzz/run_fuzzers.py --bin build/fuzz/fuzz --corpus build/fuzz/corpus --seconds $(FUZZ_SECONDS) \
	  $(if $(FUZZ_TARGETS),--targets $(FUZZ_TARGETS)) $(if $(FUZZ_EXTRA),--extra $(FUZZ_EXTRA)) \
	  --command "make fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)$(if $(FUZZ_TARGETS), FUZZ_TARGETS=$(FUZZ_TARGETS))$(if $(FUZZ_EXTRA), FUZZ_EXTRA=$(FUZZ_EXTRA))"

format:
	find src tests bench fuzz \( -name '*.cc' -o -name '*.h' \) -print0 | xargs -0 clang-format -i

format-check:
	scripts/check-format

clean:
	rm -rf build web/dist
