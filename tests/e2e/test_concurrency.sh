#!/usr/bin/env bash
# test_concurrency.sh - many clients write todos at once through lighttpd
# with several FastCGI workers (max-procs 4) sharing one SQLite database.
#
#   1. one owner: CONC_CLIENTS clients (16) create CONC_PER_CLIENT todos
#      (200) each, all with the same token subject;
#   2. many owners: the same with one subject per client;
#   3. crash: like 1 with another subject, while one worker after another
#      is killed with SIGKILL mid-run (CONC_KILLS times, 2; CONC_CRASH_ONLY=1
#      runs it alone: tests/e2e/faults_worker.sh).
#
# Every title names its run, client and sequence number, so a lost or
# doubled todo shows.  Runs 1 and 2: every response 200 without isError,
# every todo stored exactly once (counted by paging list_todos), nothing
# else stored.  Run 3: every create that was answered with success is
# stored with its title, none twice, nothing that was never sent; lighttpd
# respawned the killed workers; afterwards every todo is listable and
# readable and a fresh create works (the database checked through the API:
# the tests do not need the sqlite3 program).
#
# The clients are node processes (http with keep-alive, one request at a
# time each); every one is bounded by timeout(1) and stopped by its pid.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if ! lighttpd_only "it kills lighttpd's workers and checks that lighttpd respawns them"; then
	echo "0 passed, 0 failed"
	exit 0
fi

CLIENTS=${CONC_CLIENTS:-16}
PER=${CONC_PER_CLIENT:-200}
RUN_LIMIT=${CONC_RUN_LIMIT:-240} # seconds for one run's clients
KILLS=${CONC_KILLS:-2}            # workers killed in run 3 (at least 1)
CRASH_ONLY=${CONC_CRASH_ONLY:-0}  # 1: run 3 alone (tests/e2e/faults_worker.sh)
[ "${MCP_SANITIZE:-0}" = 1 ] && RUN_LIMIT=${CONC_RUN_LIMIT:-600}
TOTAL=$((CLIENTS * PER))
CLIENT_PIDS=()

# Stops the clients that still run, then the server (lib_cleanup).
conc_cleanup() {
	local pid
	for pid in "${CLIENT_PIDS[@]}"; do stop_pid "$pid" 2; done
	lib_cleanup
}
trap conc_cleanup EXIT

need_programs mcp.fcgi wellknown.fcgi
if ! command -v node >/dev/null 2>&1; then
	t "node is installed"
	note "install nodejs (src/cli/install-deps.sh)"
	finish
fi
# A subject may hold all of one run's todos.
# A stress test of the store, not of the rate limits (tests/e2e/test_ratelimit.sh): one
# client id sends 6,400 calls in seconds, past the default MCP_RATE_LIMIT.
if ! server_start --max-procs 4 --env "MCP_TODO_MAX_PER_OWNER=$((TOTAL * 2))" --env MCP_RATE_LIMIT=1000000/60; then
	t "lighttpd starts with four workers"
	note "see the error log above"
	finish
fi

# ---- the client ------------------------------------------------------------

# tests/lib/conc_creator.js URL TOKEN PREFIX COUNT OUT TIMEOUT_MS: COUNT create_todo calls
# in a row, titled PREFIX-s<seq>; appends to OUT one line per call,
# "ok<TAB>seq<TAB>id<TAB>title" or "fail<TAB>seq<TAB>status<TAB>retry-after<TAB>detail",
# and "done" at the end.  A failed call is not retried.  With GATE_FILE and
# GATE_AT set, a client waits before call GATE_AT until GATE_FILE exists, so
# the test can act while every client still has calls to make.

# tests/lib/conc_verify.js LISTED MODE OUT...: compares what list_todos showed (LISTED,
# "id<TAB>title<TAB>completed" lines) with the clients' OUT files.  MODE
# "exact": every call succeeded and the list is exactly their todos;
# "crash": every successful call is listed with its title, nothing twice,
# nothing never sent.  Prints one line of numbers, then problems; fails on
# any problem.

# ---- helpers ----------------------------------------------------------------

# call TOKEN TOOL ARGS [ID]: tools/call as the holder of TOKEN.
call() {
	AUTH="Bearer $1" mcp "$(call_json "$2" "$3" "${4:-1}")"
}

# start_clients RUN TOKEN...: starts CLIENTS creators in the background; the
# i-th uses the i-th TOKEN (the last one for the rest) and writes
# $TMP/RUN-c<i>.out.  Sets CLIENT_PIDS.
start_clients() {
	local run=$1 i tok
	shift
	local toks=("$@")
	CLIENT_PIDS=()
	for ((i = 1; i <= CLIENTS; i++)); do
		tok=${toks[$((i - 1))]:-${toks[$((${#toks[@]} - 1))]}}
		: >"$TMP/$run-c$i.out"
		timeout -k 5 "$RUN_LIMIT" node "$ROOT/tests/lib/conc_creator.js" "$RESOURCE" "$tok" "$run-c$i" "$PER" \
			"$TMP/$run-c$i.out" "$((CURL_MAX_TIME * 1000))" &
		CLIENT_PIDS+=($!)
	done
}

# wait_clients: waits for every client by its pid (each is bounded by timeout).
wait_clients() {
	local pid
	for pid in "${CLIENT_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	CLIENT_PIDS=()
}

# progress RUN: how many calls of RUN's clients have been answered so far.
progress() {
	cat "$TMP/$1"-c*.out 2>/dev/null | grep -c '^ok\|^fail'
}

# wait_progress RUN N: waits (bounded by RUN_LIMIT) until N calls are answered.
wait_progress() {
	local i
	for ((i = 0; i < RUN_LIMIT * 20; i++)); do
		[ "$(progress "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# audit_check FROM: prints how many audit lines after line FROM of the error
# log record a successful create_todo, or how many lines are not one whole
# JSON object (lines written by concurrent workers must not interleave).
audit_check() {
	tail -n +"$(($1 + 1))" "$ERRLOG" | grep '"type":"audit"' >"$TMP/audit.lines"
	node -e '
		const fs = require("fs");
		let n = 0, broken = 0;
		for (const l of fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)) {
			try {
				const r = JSON.parse(l);
				if (r.tool === "create_todo" && r.decision === "allowed" && r.status === 200) n++;
			} catch (e) { broken++; }
		}
		console.log(broken ? `${broken} broken audit lines` : String(n));
	' "$TMP/audit.lines"
}

# wait_audit FROM N: waits until N create audit lines after FROM (the
# workers write them after answering), at most 10 s; prints the count.
wait_audit() {
	local i n
	for ((i = 0; i < 100; i++)); do
		n=$(audit_check "$1")
		[ "$n" = "$2" ] && break
		sleep 0.1
	done
	printf '%s' "$n"
}

# workers: the sorted pids of lighttpd's mcp.fcgi workers, space-separated.
# Unlike worker_pids this also finds a worker whose program file was
# replaced while it ran (a rebuild: /proc/PID/exe then ends in " (deleted)").
workers() {
	local pid exe
	for pid in $(children_of "$LPID" 2>/dev/null); do
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
		exe=${exe% (deleted)}
		[ "${exe##*/}" = mcp.fcgi ] && printf '%s\n' "$pid"
	done | sort -n | tr '\n' ' '
}

# wait_respawn KILLED: waits (20 s at most) until lighttpd runs four workers
# again, none of them KILLED.
wait_respawn() {
	local i w
	for ((i = 0; i < 200; i++)); do
		w=$(workers)
		if [ "$(wc -w <<<"$w")" = 4 ] && ! [[ " $w " == *" $1 "* ]]; then return 0; fi
		# lighttpd restarts a dead worker when a request wants it.
		if ((i % 10 == 9)); then call "$TOK1" greet_user '{"name":"respawn"}'; fi
		sleep 0.1
	done
	return 1
}

# ---- 1. one owner, CLIENTS writers -----------------------------------------------

TOK1=$(mint_token --scope "todo:read todo:write" --sub conc-one)
WORKERS0=$(workers)

t "four FastCGI workers run"
want_eq "workers" 4 "$(wc -w <<<"$WORKERS0")"

if [ "$CRASH_ONLY" = 0 ]; then
	mark=$(wc -l <"$ERRLOG")
	t0=$(date +%s.%N)
	start_clients one "$TOK1"
	wait_clients
	t1=$(date +%s.%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

	t "one owner: $CLIENTS clients x $PER creates answered 200 without isError (${secs} s)"
	todo_list_all "$TOK1" "$TMP/one.list" || note "list_todos paging failed: $STATUS $(short "$BODY")"
	out=$(node "$ROOT/tests/lib/conc_verify.js" "$TMP/one.list" exact "$TMP"/one-c*.out) || note "$out"
	echo "     $(head -n 1 <<<"$out")"

	t "one owner: all $TOTAL todos listed exactly once, with their titles"
	want_eq "todos listed" "$TOTAL" "$(wc -l <"$TMP/one.list" | tr -d ' ')"
	want_eq "distinct ids" "$TOTAL" "$(cut -f1 "$TMP/one.list" | sort -u | wc -l | tr -d ' ')"
	want_eq "distinct titles" "$TOTAL" "$(cut -f2 "$TMP/one.list" | sort -u | wc -l | tr -d ' ')"
	bad_ids=$(cut -f1 "$TMP/one.list" | grep -cvE '^[0-9a-f]{32}$')
	want_eq "ids not 32 hex characters" 0 "$bad_ids"

	t "one owner: one whole audit line per create"
	want_eq "create audit lines" "$TOTAL" "$(wait_audit "$mark" "$TOTAL")"

	t "one owner: the same workers served throughout"
	want_eq "worker pids" "$WORKERS0" "$(workers)"

	# ---- 2. one owner per client ----------------------------------------------------

	toks=()
	for ((i = 1; i <= CLIENTS; i++)); do
		toks+=("$(mint_token --scope "todo:read todo:write" --sub "conc-$i")")
	done
	t0=$(date +%s.%N)
	start_clients many "${toks[@]}"
	wait_clients
	t1=$(date +%s.%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

	t "many owners: $CLIENTS subjects x $PER creates answered 200 without isError (${secs} s)"
	: >"$TMP/many-all.list"
	ok_all=1
	for ((i = 1; i <= CLIENTS; i++)); do
		if ! todo_list_all "${toks[$((i - 1))]}" "$TMP/many-$i.list"; then
			note "list_todos of conc-$i failed: $STATUS $(short "$BODY")"
			ok_all=0
			continue
		fi
		out=$(node "$ROOT/tests/lib/conc_verify.js" "$TMP/many-$i.list" exact "$TMP/many-c$i.out") ||
			note "subject conc-$i: $out"
		cat "$TMP/many-$i.list" >>"$TMP/many-all.list"
	done
	[ $ok_all = 1 ] && echo "     $(node "$ROOT/tests/lib/conc_verify.js" "$TMP/many-all.list" exact "$TMP"/many-c*.out | head -n 1)"

	t "many owners: each subject lists exactly its own $PER todos"
	for ((i = 1; i <= CLIENTS; i++)); do
		n=$(wc -l <"$TMP/many-$i.list" | tr -d ' ')
		other=$(cut -f2 "$TMP/many-$i.list" | grep -cv "^many-c$i-s")
		if [ "$n" != "$PER" ] || [ "$other" != 0 ]; then
			note "conc-$i lists $n todos, $other of them another client's"
		fi
	done
	want_eq "distinct ids over all subjects" "$TOTAL" "$(cut -f1 "$TMP/many-all.list" | sort -u | wc -l | tr -d ' ')"

	t "many owners: the one-owner run's todos are untouched"
	todo_list_all "$TOK1" "$TMP/one.after" || note "list_todos failed"
	cmp -s "$TMP/one.list" "$TMP/one.after" || note "conc-one's list changed"
fi

# ---- 3. a worker killed mid-run ----------------------------------------------------

TOK3=$(mint_token --scope "todo:read todo:write" --sub conc-crash)
mark=$(wc -l <"$ERRLOG")
KILLED=()
LATE=()
# The kills before the last are spread over the first 55 % of the calls.
# The last must fall inside the run however fast the first part went:
# every client waits at 60 % of its calls until the gate opens, and the kill
# follows the opening at once, with 40 % of the calls still to come.
gate_at=$((PER * 60 / 100))
export GATE_FILE=$TMP/crash.gate GATE_AT=$gate_at
start_clients crash "$TOK3"
unset GATE_FILE GATE_AT
fracs=()
for ((k = 1; k < KILLS; k++)); do fracs+=($((55 * k / KILLS))); done
for frac in "${fracs[@]}" gate; do
	if [ "$frac" = gate ]; then
		wait_progress crash $((CLIENTS * (gate_at - 1))) || break
	else
		wait_progress crash $((TOTAL * frac / 100)) || break
	fi
	victim=$(workers | tr ' ' '\n' | grep . | shuf -n 1)
	[ -n "$victim" ] || break
	# Stopped first, so that calls are in flight on it when it dies: a
	# request takes well under a millisecond, a bare kill would hit it idle.
	# At the gate it is stopped before the clients go on, and killed soon
	# after, while most of their calls are still to come.
	kill -STOP "$victim"
	if [ "$frac" = gate ]; then
		: >"$TMP/crash.gate"
		sleep 0.1
	else
		sleep 0.3
	fi
	kill -KILL "$victim"
	KILLED+=("$victim")
	# The kill must fall inside the run, not after it.
	p=$(progress crash)
	[ "$p" -lt "$TOTAL" ] || LATE+=("$victim after $p calls")
	wait_respawn "$victim" || LATE+=("no respawn after killing $victim")
done
: >"$TMP/crash.gate"
wait_clients

t "crash: $KILLS workers killed with SIGKILL while the clients wrote"
want_eq "workers killed" "$KILLS" "${#KILLED[@]}"
[ ${#LATE[@]} -eq 0 ] || note "${LATE[@]}"
n=$(tail -n +"$((mark + 1))" "$ERRLOG" | grep -c 'child signalled: 9')
want_eq "lighttpd's 'child signalled: 9' lines" "${#KILLED[@]}" "$n"

t "crash: lighttpd respawned the workers (four run, none of the killed)"
w=$(workers)
want_eq "workers" 4 "$(wc -w <<<"$w")"
for k in "${KILLED[@]}"; do
	[[ " $w " == *" $k "* ]] && note "killed worker $k still listed"
	kill -0 "$k" 2>/dev/null && note "killed worker $k still alive"
done

t "crash: every create answered with success is stored, none twice, none never sent"
if todo_list_all "$TOK3" "$TMP/crash.list"; then
	out=$(node "$ROOT/tests/lib/conc_verify.js" "$TMP/crash.list" crash "$TMP"/crash-c*.out) || note "$out"
	echo "     $(head -n 1 <<<"$out")"
else
	note "list_todos paging failed: $STATUS $(short "$BODY")"
fi

t "crash: the clients kept being served (few failed calls, each client's last call succeeded)"
nfail=$(cat "$TMP"/crash-c*.out | grep -c '^fail')
# A killed worker fails the request it was serving and those waiting in
# its socket's queue: at most one call per client for each kill.
[ "$nfail" -le $((CLIENTS * ${#KILLED[@]})) ] ||
	note "$nfail failed calls:" "$(grep -h '^fail' "$TMP"/crash-c*.out | head -n 5)"
# What a client sees of a killed worker is a clean 5xx, never a dropped connection.
bad=$(grep -h '^fail' "$TMP"/crash-c*.out | awk -F '\t' '$3 !~ /^5[0-9][0-9]$/' | head -n 3)
[ -z "$bad" ] || note "failed calls without a 5xx status:" "$bad"
for ((i = 1; i <= CLIENTS; i++)); do
	last=$(grep -v '^done' "$TMP/crash-c$i.out" | tail -n 1)
	[ "${last%%	*}" = ok ] || note "client $i's last call: $last"
done
echo "     failed calls: $nfail$(grep -h '^fail' "$TMP"/crash-c*.out | cut -f3 | sort | uniq -c |
	awk '{ printf "%s %s x%s", NR == 1 ? " (HTTP" : ",", $2, $1 } END { if (NR) printf ")" }')"

t "crash: the database reads whole: every listed todo readable by get_todo (sampled)"
n=0
while IFS=$'\t' read -r id title _; do
	n=$((n + 1))
	((n % 97 == 1)) || continue
	call "$TOK3" get_todo "{\"todo_id\":\"$id\"}" 7
	want_json 'r.result.structuredContent.title' "\"$title\""
done <"$TMP/crash.list"

t "crash: a fresh create and update work, and the list grows by one"
before=$(wc -l <"$TMP/crash.list" | tr -d ' ')
call "$TOK3" create_todo '{"title":"after the crash"}' 8
want_json 'r.result.isError === true' false 'r.result.structuredContent.title' '"after the crash"'
fid=$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	process.stdout.write(r.result.structuredContent.id)' "$RESP_BODY" 2>/dev/null)
call "$TOK3" update_todo "{\"todo_id\":\"$fid\",\"completed\":true}" 9
want_json 'r.result.structuredContent.completed' true
todo_list_all "$TOK3" "$TMP/crash.after" || note "list_todos failed"
want_eq "todos listed" "$((before + 1))" "$(wc -l <"$TMP/crash.after" | tr -d ' ')"

if [ "$CRASH_ONLY" = 0 ]; then
	t "crash: the earlier runs' todos are untouched"
	todo_list_all "$TOK1" "$TMP/one.after2" || note "list_todos failed"
	cmp -s "$TMP/one.list" "$TMP/one.after2" || note "conc-one's list changed"
fi

t "no worker crashed on its own, no sanitizer report"
grep -nE 'AddressSanitizer|runtime error:|LeakSanitizer|child signalled|child exited' "$ERRLOG" |
	grep -v 'child signalled: 9$' | head -n 5 >"$TMP/crash.lines"
[ -s "$TMP/crash.lines" ] && note "error log:" "$(cat "$TMP/crash.lines")"

finish
