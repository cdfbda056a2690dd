# edgeward — the commands a person or CI runs.
.PHONY: test bench setup run envoy npm fuzz

# Every test and check (installs what a fresh machine lacks first).
test:
	scripts/test.sh

setup:
	scripts/setup.sh

# Criterion benchmarks, then the ratio table (docs/performance.md explains the numbers).
bench:
	cargo bench -p edgeward-bench --bench verify -- --warm-up-time 1 --measurement-time 3
	python3 benches/table.py

# The main job: Envoy guarding a demo upstream with the demo policy (Ctrl-C stops it).
run:
	scripts/demo.sh

# Build the optimised Envoy filter into envoy/dist/edgeward.wasm.
envoy:
	scripts/build-envoy.sh

# Build the npm package: wasm/npm/dist/ and the tarball wasm/edgeward-<version>.tgz.
npm:
	scripts/build-npm.sh

# Fuzz every target for SECONDS each (default 60): scripts/fuzz.sh.
SECONDS ?= 60
fuzz:
	scripts/fuzz.sh $(SECONDS)
