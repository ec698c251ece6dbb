# The two commands of the README, and a few conveniences around them.
BUILD    ?= build
SCENARIO ?= scenarios/lenet-mnist.yaml
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: run test deps configure build data clean bench format

run: build data
	./$(BUILD)/trainvp run $(SCENARIO)

test: build data
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

deps:
	@bash scripts/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD)/build.ninja ]; then \
	    cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS); fi

build: configure
	cmake --build $(BUILD) -j $(JOBS)

data: deps
	@bash scripts/fetch-mnist.sh

bench: build data
	@bash bench/run-all.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h' '*.c')

clean:
	rm -rf $(BUILD)
