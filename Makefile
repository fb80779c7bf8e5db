# The README's two commands are `make demo` and `make test`; each installs what it needs first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps configure build test sanitizer-tree test-sanitize bench demo manifests lint fuzz clean

all: build

deps:
	@hack/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DSSO_WERROR=ON -DSSO_BUILD_TESTS=ON -DSSO_BUILD_BENCH=ON $(CMAKE_ARGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Every label of the release tree: unit, integration, e2e and fuzz (corpus replays), then the
# sanitizer tree's: unit and integration of the product's code under AddressSanitizer and UBSan,
# and libFuzzer on each fuzz target for a bounded time (FUZZ_SECONDS, default 20).
test: build
	@hack/test.sh $(BUILD_DIR)
	@$(MAKE) --no-print-directory test-sanitize

# One clang tree under ASan and UBSan serves the sanitizer tests and libFuzzer. It builds only
# what they run, of the product's code: not the e2e binaries, the operator, nor the API test
# server's own tests.
sanitizer-tree: deps
	@cmake -S . -B build-asan -DCMAKE_CXX_COMPILER=clang++ -DSSO_WERROR=ON -DSSO_SANITIZE=ON \
	  -DSSO_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build build-asan -j $(JOBS) --target \
	  $$(cmake --build build-asan --target help | sed -n 's/^\.\.\. \(\(unit\|integration\|fuzz\)_[a-z_]*\).*/\1/p' | grep -v apiserver)

test-sanitize: sanitizer-tree
	@# A test that fails is run once more: cpprestsdk's thread pool can crash at process exit
	@# under ASan after every assertion has passed (microsoft/cpprestsdk#1480); a real
	@# failure fails twice.
	@cd build-asan && LSAN_OPTIONS=suppressions=$(CURDIR)/tests/support/lsan.supp \
	  ctest --output-on-failure -j $(JOBS) -L 'unit|integration' --repeat until-pass:2
	@cd build-asan && ctest --output-on-failure -j $(JOBS) -L fuzz

bench: build
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target benches
	@hack/bench.sh $(BUILD_DIR)

demo: build
	@hack/demo.sh $(BUILD_DIR)

manifests: deps
	@hack/generate-manifests.sh

lint: configure
	@hack/lint.sh $(BUILD_DIR)

fuzz: sanitizer-tree
	@for t in $$(ls tests/fuzz/corpus); do hack/fuzz.sh $$t $${FUZZ_SECONDS:-300} || exit 1; done

clean:
	rm -rf $(BUILD_DIR) build-asan
