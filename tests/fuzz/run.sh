#!/bin/sh
# run.sh FUZZER SEEDS WORKDIR [libFuzzer flags...] — one bounded fuzz run, for ctest.
#
# Runs FUZZER for FREECOOP_FUZZ_SECONDS seconds (default 20) on a fresh copy of the seed
# corpus SEEDS in WORKDIR/corpus: libFuzzer adds what it finds to its corpus directory,
# and that must never be the committed seeds. Crash, leak and timeout inputs go to
# WORKDIR/artifacts/. Exits non-zero when the run found something, naming the inputs.
set -eu

fuzzer=$1 seeds=$2 work=$3
shift 3
seconds=${FREECOOP_FUZZ_SECONDS:-20}
case $seconds in
'' | *[!0-9]*)
	echo "FREECOOP_FUZZ_SECONDS must be a whole number of seconds, not \"$seconds\"" >&2
	exit 2
	;;
esac

# The ctest preset sets these; a bare ctest run gets the same.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Symbolized reports: Debian's llvm-14 has the symbolizer outside PATH.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && ! command -v llvm-symbolizer >/dev/null &&
	[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
	export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp -R "$seeds/." "$work/corpus/"
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" "$@" "$work/corpus" || status=$?
if [ "$status" -ne 0 ]; then
	echo "fuzz: $(basename "$fuzzer") failed (exit $status); the input(s) that did it:" >&2
	for f in "$work"/artifacts/*; do
		[ -e "$f" ] && echo "  $f" >&2
	done
	echo "reproduce with: $fuzzer INPUT" >&2
fi
exit "$status"
