# The README's two commands are `make demo` and `make test`; each installs what it needs first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps configure build test test-sanitize bench demo manifests lint fuzz clean

all: build

deps:
	@hack/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DSSO_WERROR=ON -DSSO_BUILD_TESTS=ON -DSSO_BUILD_BENCH=ON $(CMAKE_ARGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Every label: unit, integration, e2e and fuzz (libFuzzer for a bounded time: FUZZ_SECONDS),
# then the unit and integration tests of the product's code again under AddressSanitizer and UBSan.
test: build
	@hack/test.sh $(BUILD_DIR)
	@$(MAKE) --no-print-directory test-sanitize

test-sanitize: deps
	@cmake -S . -B build-asan -DSSO_WERROR=ON -DSSO_SANITIZE=ON -DSSO_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@# Only what the unit and integration labels run, of the product's code: not the e2e
	@# binaries, the operator, the fuzz replays, nor the API test server's own tests.
	@cmake --build build-asan -j $(JOBS) --target \
	  $$(cmake --build build-asan --target help | sed -n 's/^\.\.\. \(\(unit\|integration\)_[a-z_]*\).*/\1/p' | grep -v apiserver)
	@# A test that fails is run once more: cpprestsdk's thread pool can crash at process exit
	@# under ASan after every assertion has passed (microsoft/cpprestsdk#1480); a real
	@# failure fails twice.
	@cd build-asan && LSAN_OPTIONS=suppressions=$(CURDIR)/tests/support/lsan.supp \
	  ctest --output-on-failure -j $(JOBS) -L 'unit|integration' --repeat until-pass:2

bench: build
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target benches
	@hack/bench.sh $(BUILD_DIR)

demo: build
	@hack/demo.sh $(BUILD_DIR)

manifests: deps
	@hack/generate-manifests.sh

lint: configure
	@hack/lint.sh $(BUILD_DIR)

fuzz: deps
	@for t in $$(ls tests/fuzz/corpus); do hack/fuzz.sh $$t $${FUZZ_SECONDS:-300} || exit 1; done

clean:
	rm -rf $(BUILD_DIR) build-asan build-fuzz
