# augur - top-level convenience targets. The build itself is CMake.
#   make demo   install deps, build, recommend on the bundled demo data
#   make test   install deps, build with ASan+UBSan, run every test (ctest),
#               then build the libFuzzer targets and run each briefly
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build/release
ASAN_BUILD ?= build/asan
FUZZ_BUILD ?= build/fuzz
BENCH_BUILD ?= build/bench

.PHONY: serve-demo all deps build demo test test-unit test-fuzz bench format clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAG_TESTS=OFF >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@./scripts/demo.sh $(BUILD)/augur

serve-demo: build
	@./scripts/serve-demo.sh $(BUILD)/augur

test: deps test-unit test-fuzz

test-unit:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DAG_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

test-fuzz:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DAG_FUZZ=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	cd $(FUZZ_BUILD) && ctest --output-on-failure -j $(JOBS)

bench: deps
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DAG_BENCH=ON -DAG_TESTS=OFF >/dev/null
	cmake --build $(BENCH_BUILD) -j $(JOBS)

format:
	clang-format -i include/augur/*.h lib/*/*.[ch] src/*.[ch] tests/*/*.c fuzz/*.c bench/*.c

clean:
	rm -rf build
