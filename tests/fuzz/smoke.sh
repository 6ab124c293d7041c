#!/usr/bin/env bash
# smoke.sh TARGET SECONDS: run the libFuzzer target TARGET (e.g. fuzz_config)
# for SECONDS on a copy of its seed corpus; fail on any crash, sanitizer
# report, leak, timeout or out-of-memory.
#
# The binary is $TP_FUZZ_BINARY when set (a build that is already a libFuzzer
# one); otherwise the target is built with clang in $TP_BINARY_DIR/fuzz-build
# (configured once, -DTIDEPOOL_FUZZ=ON; concurrent runs serialise on a lock).
# Without clang there is nothing to run: exit 77, which ctest reports as skipped.
#
# Findings are kept in $TP_BINARY_DIR/fuzz-build/artifacts/; replay one with
#   $TP_BINARY_DIR/fuzz-build/tests/TARGET ARTIFACT
set -euo pipefail

target=${1:?usage: smoke.sh TARGET SECONDS}
seconds=${2:?usage: smoke.sh TARGET SECONDS}
src=${TP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${TP_BINARY_DIR:-$src/build}
fuzz_build=$bin/fuzz-build
name=${target#fuzz_}

build_target() {
	if ! command -v clang >/dev/null 2>&1; then
		echo "smoke.sh: clang not found; $target not fuzzed (install clang to run it)" >&2
		exit 77
	fi
	mkdir -p "$fuzz_build"
	(
		if command -v flock >/dev/null 2>&1; then
			flock 9
		fi
		if [ ! -f "$fuzz_build/CMakeCache.txt" ]; then
			cmake -S "$src" -B "$fuzz_build" -DCMAKE_C_COMPILER=clang \
				-DTIDEPOOL_FUZZ=ON -DBUILD_TESTING=ON \
				-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
		fi
		cmake --build "$fuzz_build" --target "$target" -j2 >/dev/null
	) 9>"$fuzz_build/.lock"
	echo "$fuzz_build/tests/$target"
}

binary=${TP_FUZZ_BINARY:-}
if [ -z "$binary" ]; then
	binary=$(build_target)
fi

seeds=$src/tests/fuzz/corpus/$name
dict=$src/tests/fuzz/$name.dict
mkdir -p "$fuzz_build/artifacts" "$fuzz_build/runs"
work=$(mktemp -d "$fuzz_build/runs/$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$seeds/." "$work/"

# -timeout is wall-clock time: generous, so a loaded CI machine does not fail
# the run, yet far below what an exponential input takes.
args=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=60
      -print_final_stats=1 -artifact_prefix="$fuzz_build/artifacts/$target-")
if [ -f "$dict" ]; then
	args+=(-dict="$dict")
fi
log=$work.log
echo "smoke.sh: fuzzing $target for ${seconds}s ($binary; log $log)" >&2
rc=0
"$binary" "${args[@]}" "$work" >"$log" 2>&1 || rc=$?
if [ $rc -eq 0 ]; then
	grep -E '^(INFO: Seed|Done [0-9]+ runs|stat::number_of_executed_units)' "$log" >&2 || true
	rm -f "$log"
	exit 0
fi
# The progress lines would bury the finding in CI's output: report.sh prints
# what says what happened, and the input itself.
echo "smoke.sh: $target exited with $rc$([ $rc -gt 128 ] && echo " (signal $((rc - 128)))")" >&2
"$src/tests/fuzz/report.sh" "$log" "$binary" >/dev/null
echo "smoke.sh: $target failed; the input is in $fuzz_build/artifacts/," \
     "the full log in $log (replay: $binary FILE)" >&2
exit 1
