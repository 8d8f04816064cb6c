# SPDX-License-Identifier: Apache-2.0
# The README's two commands:
#   make lab    set up, build and run the single-host lab
#   make test   set up, build and run every test (ctest)
#
# Both install missing Debian packages first (as root), so they work on a
# fresh Debian 12 machine.

BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

APT_PACKAGES = build-essential cmake pkg-config clang llvm bpftool libbpf-dev \
	libnng-dev libprotobuf-c-dev protobuf-c-compiler libevent-dev libyaml-dev \
	libhiredis-dev libapparmor-dev libcjson-dev libcmocka-dev libclang-rt-14-dev \
	redis-server redis-tools runc busybox-static iproute2 cpio kmod \
	qemu-system-x86 linux-image-amd64 apparmor \
	libssl-dev python3 python3-yaml python3-jsonschema

.PHONY: all deps build test lab bench clean vmlinux format

all: build

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

lab: build
	BW_BUILD=$(abspath $(BUILD)) bash deploy/lab/run.sh

bench: build
	bench/run

# Regenerates bpf/include/vmlinux.h from the running kernel's BTF.
vmlinux: build
	cmake --build $(BUILD) --target vmlinux

format:
	git ls-files '*.c' '*.h' | grep -v vmlinux.h | xargs clang-format -i

clean:
	rm -rf $(BUILD)
