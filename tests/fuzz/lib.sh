# tests/fuzz/lib.sh - what make fuzz (run.sh) and the test group "fuzz"
# (test_fuzz.sh) share: the list of harnesses, one libFuzzer run of one
# harness, its figures, and the replay of its regression inputs.
#
# Sourced from the repository's root.  FUZZ_BUILD (default build-fuzz)
# holds the programs, $FUZZ_BUILD/fuzz/fuzz_NAME, built by make fuzz-build.

FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}

# fuzz_names: the harnesses, from their sources (so a missing program shows).
fuzz_names() {
	local f
	for f in tests/fuzz/fuzz_*.c; do
		f=${f##*/fuzz_}
		echo "${f%.c}"
	done
}

# fuzz_run NAME SECONDS WORK: runs the harness SECONDS seconds on the
# committed corpus tests/fuzz/corpus/NAME, writing what it finds new to
# WORK/NAME/new (the committed corpus is only read) and any crash, leak or
# timeout to WORK/NAME/artifacts; its output goes to WORK/NAME/log.
# Returns the harness's exit status (0: nothing found).
fuzz_run() {
	local name=$1 secs=$2 dir=$3/$1
	mkdir -p "$dir/new" "$dir/artifacts"
	"$FUZZ_BUILD/fuzz/fuzz_$name" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
		"$dir/new" "tests/fuzz/corpus/$name" >"$dir/log" 2>&1
}

# fuzz_stats LOG: "runs exec/s cov ft corpus" from a run's log ("-" where absent).
fuzz_stats() {
	local log=$1 runs eps cov ft corp
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	corp=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	echo "${runs:--} ${eps:--} ${cov:--} ${ft:--} ${corp:--}"
}

# fuzz_replay NAME LOG: runs the harness once on each input under
# tests/fuzz/regress/NAME (none: nothing to do).  Prints how many; returns
# non-zero when one of them fails.
fuzz_replay() {
	local name=$1 log=$2 inputs=()
	[ -d "tests/fuzz/regress/$name" ] &&
		mapfile -t inputs < <(find "tests/fuzz/regress/$name" -type f ! -name '*.md' | sort)
	echo "${#inputs[@]}"
	[ ${#inputs[@]} -eq 0 ] && return 0
	"$FUZZ_BUILD/fuzz/fuzz_$name" -runs=1 "${inputs[@]}" >"$log" 2>&1
}
