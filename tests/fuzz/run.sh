#!/usr/bin/env bash
# tests/fuzz/run.sh - make fuzz: runs every libFuzzer harness FUZZ_SECONDS
# (default 60) seconds on its committed corpus, then prints for each the
# executions, executions per second, coverage (cov: edges, ft: features),
# the size of the corpus it ended with and what it found.
#
# New corpus entries and crash inputs go to FUZZ_WORK (default
# $FUZZ_BUILD/fuzz-work/NAME/{new,artifacts}), never into tests/fuzz/corpus:
# a crash is turned into a regression input by hand (tests/fuzz/README.md).
# FUZZ_PARALLEL (default 1) harnesses run at a time; FUZZ_ONLY="a b" runs
# only those.  Exits non-zero when a harness found something.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
. tests/fuzz/lib.sh

SECS=${FUZZ_SECONDS:-60}
WORK=${FUZZ_WORK:-$FUZZ_BUILD/fuzz-work}
PAR=${FUZZ_PARALLEL:-1}
read -r -a NAMES <<<"${FUZZ_ONLY:-$(fuzz_names | tr '\n' ' ')}"

for n in "${NAMES[@]}"; do
	if [ ! -x "$FUZZ_BUILD/fuzz/fuzz_$n" ]; then
		echo "fuzz: $FUZZ_BUILD/fuzz/fuzz_$n missing (make fuzz-build)" >&2
		exit 1
	fi
done

echo "fuzz: ${#NAMES[@]} harnesses, $SECS s each, $PAR at a time; work in $WORK"
running=0
for n in "${NAMES[@]}"; do
	fuzz_run "$n" "$SECS" "$WORK" &
	running=$((running + 1))
	if [ "$running" -ge "$PAR" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

found=0
printf '\n%-11s %10s %8s %6s %7s %7s %s\n' harness runs exec/s cov ft corpus found
for n in "${NAMES[@]}"; do
	read -r runs eps cov ft corp <<<"$(fuzz_stats "$WORK/$n/log")"
	crashes=$(find "$WORK/$n/artifacts" -type f | wc -l)
	[ "$crashes" -gt 0 ] && found=1
	printf '%-11s %10s %8s %6s %7s %7s %s\n' "$n" "$runs" "$eps" "$cov" "$ft" "$corp" \
		"$([ "$crashes" -gt 0 ] && echo "$crashes in $WORK/$n/artifacts" || echo 0)"
done
exit $found
