#!/usr/bin/env bash
# Builds the parser fuzzer with clang (-fsanitize=fuzzer,address) and runs
# it for a fixed time (BW_FUZZ_SECONDS, default 20) from the corpus.
# Skips (77) when clang's libFuzzer runtime is not installed.
set -euo pipefail
src=${BW_SRC:?}
build=${BW_BUILD:?}
secs=${BW_FUZZ_SECONDS:-20}
clang=$(command -v clang || command -v clang-14 || true)
if [ -z "$clang" ]; then
	echo "skip: clang not installed" >&2
	exit 77
fi
out=$build/fuzz
mkdir -p "$out"
probe=$out/probe.c
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }' >"$probe"
if ! "$clang" -fsanitize=fuzzer,address "$probe" -o "$out/probe" 2>"$out/probe.log"; then
	echo "skip: clang cannot link -fsanitize=fuzzer: $(head -3 "$out/probe.log")" >&2
	exit 77
fi
pb=$build/proto/bulwark.pb-c.c
if [ ! -f "$pb" ]; then
	echo "skip: $pb not generated (build bw_proto first)" >&2
	exit 77
fi
pol=$src/controller/policy
srcs=$(ls "$pol"/*.c | grep -Ev '(_test|_bench)\.c$')
# Capability names and growing arrays live in common/ (shared with the agent).
srcs="$srcs $src/common/bw_caps.c $src/common/bw_array.c"
# shellcheck disable=SC2086
"$clang" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -I"$pol" -I"$src/common" -I"$build/proto" \
	"$src/tests/policies/fuzz_parse.c" $srcs "$pb" \
	$(pkg-config --cflags --libs yaml-0.1 libcjson libprotobuf-c) \
	-o "$out/fuzz_parse"
corpus=$out/corpus
mkdir -p "$corpus"
cp "$src"/tests/policies/valid/* "$src"/tests/policies/invalid/*.yaml "$src"/tests/policies/inventory.yaml "$corpus"/
cd "$out"
ASAN_OPTIONS=detect_leaks=1 "$out/fuzz_parse" -max_total_time="$secs" -max_len=16384 \
	-timeout=10 -rss_limit_mb=2048 -dict="$src/tests/policies/fuzz.dict" \
	-print_final_stats=1 "$corpus" 2>&1 | tail -25
# libFuzzer exits non-zero (and pipefail propagates it) on any finding.
echo "fuzz: no crash in ${secs}s"
