#!/usr/bin/env bash
# test_fuzz.sh - the test group "fuzz": each libFuzzer harness runs a few
# seconds (FUZZ_TEST_SECONDS, default 4) from its committed corpus, so no
# harness rots and the seeds still load, and replays every input of
# tests/fuzz/regress/NAME, the crashes fuzzing found.  One line per
# harness; the last line is exactly "N passed, N failed".
#
# The programs are $FUZZ_BUILD/fuzz/fuzz_* (make fuzz-build): built with
# ASan and UBSan whatever the build under test, so make check and make
# sanitize run the same thing.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
. tests/fuzz/lib.sh

SECS=${FUZZ_TEST_SECONDS:-4}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mcp-fuzz-test.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
PASSED=0
FAILED=0

for n in $(fuzz_names); do
	if [ ! -x "$FUZZ_BUILD/fuzz/fuzz_$n" ]; then
		printf 'FAIL fuzz_%s: %s missing (make fuzz-build)\n' "$n" "$FUZZ_BUILD/fuzz/fuzz_$n"
		FAILED=$((FAILED + 1))
		continue
	fi
	fuzz_run "$n" "$SECS" "$WORK"
	rc=$?
	read -r runs _ cov _ corp <<<"$(fuzz_stats "$WORK/$n/log")"
	replayed=$(fuzz_replay "$n" "$WORK/$n/replay.log")
	rrc=$?
	what="$runs runs, cov $cov, corpus $corp, $replayed regression inputs replayed"
	if [ "$rc" = 0 ] && [ "$rrc" = 0 ] && [ "$runs" != - ] && [ "$runs" -gt 0 ]; then
		printf 'ok   fuzz_%s: %s\n' "$n" "$what"
		PASSED=$((PASSED + 1))
	else
		printf 'FAIL fuzz_%s: %s (exit %s, replay exit %s)\n' "$n" "$what" "$rc" "$rrc"
		tail -n 40 "$WORK/$n/log" "$WORK/$n/replay.log" 2>/dev/null | sed 's/^/     /'
		FAILED=$((FAILED + 1))
	fi
done
printf '%s passed, %s failed\n' "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
