# tests/e2e/faultlib.sh - what the fault-matrix scripts (faults_*.sh) share
# (sourced after lib.sh, not run).
#
#   callers_start TAG N TOKEN: N clients (tests/lib/fault_caller.mjs) that
#       keep calling greet_user with TOKEN in the background, each bounded
#       by a call count and timeout(1); callers_stop TAG stops them (a stop
#       file, then their pids) and waits; callers_summary TAG prints
#       "status xcount" over all their calls; callers_calls TAG counts them;
#   log_count FROM TEXT: the error log's lines after line FROM holding TEXT;
#   want_no_secret TOKEN...: no token (nor its signature) in any log;
#   faults_cleanup: the trap: callers, helper processes (FAULT_PIDS), mounts
#       (FAULT_MOUNTS, unmounted lazily), then lib_cleanup.
set -u

CALLER_PIDS=()
FAULT_PIDS=()
FAULT_MOUNTS=()
# Calls one client makes at most: bounds a run even when its stop is missed.
CALLER_MAX=${CALLER_MAX:-20000}
CALLER_LIMIT=120
# One call's timeout: past the 10 s fetch timeout, as a patient client's.
CALLER_TIMEOUT=30
if [ "${MCP_SANITIZE:-0}" = 1 ]; then
	CALLER_LIMIT=360
	CALLER_TIMEOUT=60
fi

faults_cleanup() {
	local pid m
	for pid in "${CALLER_PIDS[@]}" "${FAULT_PIDS[@]}"; do stop_pid "$pid" 2; done
	server_stop
	for m in "${FAULT_MOUNTS[@]}"; do umount -l "$m" 2>/dev/null; done
	lib_cleanup
}
trap faults_cleanup EXIT

callers_start() {
	local tag=$1 n=$2 tok=$3 i
	rm -f "$TMP/$tag.stop"
	for ((i = 1; i <= n; i++)); do
		: >"$TMP/$tag-c$i.out"
		timeout -k 5 "$CALLER_LIMIT" node "$ROOT/tests/lib/fault_caller.mjs" "$RESOURCE" "$tok" \
			"$TMP/$tag-c$i.out" "$TMP/$tag.stop" "$CALLER_MAX" "$((CALLER_TIMEOUT * 1000))" &
		CALLER_PIDS+=($!)
	done
}

callers_stop() {
	local pid
	: >"$TMP/$1.stop"
	for pid in "${CALLER_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	CALLER_PIDS=()
}

# callers_calls TAG: how many calls TAG's clients have made so far.
callers_calls() {
	cat "$TMP/$1"-c*.out 2>/dev/null | grep -vc '^done'
}

# callers_wait TAG N: waits (bounded) until TAG's clients made N more calls
# than now, so a fault is seen by calls made while it lasts.
callers_wait() {
	local want i
	want=$(($(callers_calls "$1") + $2))
	for ((i = 0; i < CALLER_LIMIT * 10; i++)); do
		[ "$(callers_calls "$1")" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

callers_summary() {
	cat "$TMP/$1"-c*.out | grep -v '^done' | cut -d' ' -f1 | sort | uniq -c |
		awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }'
}

# callers_slowest TAG: the longest call of TAG's clients, in ms.
callers_slowest() {
	cat "$TMP/$1"-c*.out | grep -v '^done' | awk '$NF > m { m = $NF } END { print m + 0 }'
}

log_count() {
	tail -n +"$(($1 + 1))" "$ERRLOG" | grep -cF -- "$2"
}

# want_log FROM N TEXT: the error log holds TEXT on exactly N lines after
# line FROM; otherwise the lines it holds after FROM (audit lines aside)
# are noted.
want_log() {
	local n
	n=$(log_count "$1" "$3")
	[ "$n" = "$2" ] && return 0
	note "log lines with '$3': wanted $2, got $n; the log's other lines:" \
		"$(tail -n +"$(($1 + 1))" "$ERRLOG" | grep -v '"type":"audit"' | head -n 8)"
}

log_mark() {
	wc -l <"$ERRLOG" | tr -d ' '
}

want_no_secret() {
	local tok f
	for tok in "$@"; do
		for f in "$TMP"/srv*/log/*.log; do
			grep -qF -- "${tok##*.}" "$f" && note "a token's signature is in $f"
		done
	done
}
