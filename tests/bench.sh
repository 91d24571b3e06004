#!/usr/bin/env bash
# tests/bench.sh - how much of a FastCGI request is the MCP endpoint's own.
#
# The reference is the ceiling: build/bench/empty_fcgi, a libfcgi responder
# that does no work, served by the same lighttpd (configured from
# lighttpd.conf.example by mkconf.sh) on a second fastcgi.server route,
# /ceiling, with the same settings and the same number of processes (two)
# as /mcp.  Every FastCGI row is reported as a ratio to it.
#
# Five lighttpd servers run side by side (each with its own workers, state
# directory and development issuer), and the rows are measured in rounds,
# each round taking every row once in the same order, so the drift of a
# shared machine falls on all rows alike; each row's figure is the median
# of its rounds:
#   prod     the production settings: rate limits on (at a rate past the
#            load, so every call is decided in the shared table), the audit
#            line written to the error log; rows: the static file (lighttpd
#            alone, for scale), the ceiling, tools/call greet_user, and
#            list_todos of 20 todos;
#   distinct the same settings with the signature memo refused (its file
#            pre-created with a mode sig_memo.c rejects, checked in the log):
#            greet_user where every request carries another of 1,000 valid
#            tokens, round-robin, so neither the per-process memo (64
#            entries) nor the shared signature memo (4,096 slots) helps and
#            every request verifies a signature;
#   sqlite   rate limits off: greet_user, and the todo tools (create_todo,
#            list_todos of 20, get_todo) on SQLite;
#   pg       the todo tools on a PostgreSQL 15 server that tests/pg/
#            pgserver.sh starts on loopback (same machine, fsync off: the
#            cost of the backend and its round trips, not of a disk);
#   pglim    the production settings with MCP_DATABASE_URL: greet_user with
#            the rate limits counted in that database (one round trip a
#            request, as on several machines).
# Then the memory of a fresh production server's workers: private memory
# (the Anonymous: line of /proc/PID/smaps_rollup) after a warm-up and after
# BENCH_MEM_REQUESTS requests per worker of mixed traffic (greet_user and
# list_todos, 1,000 distinct tokens); it must stay under 4 MiB and not grow.
# The final table gives each row's median requests/s, its ratio to the
# ceiling, its target (issue 12) and whether the target is met; the exit
# status is 1 when a target or the memory bound is missed.  Not part of
# make check: never a test (a shared machine's figures are noisy).
#
# BENCH_THREADS (2), BENCH_CONNECTIONS (32), BENCH_SECONDS (5) per run,
# BENCH_ROUNDS (3), BENCH_MEM_REQUESTS (100000 per worker).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/e2e/lib.sh"

THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
MEM_REQUESTS=${BENCH_MEM_REQUESTS:-100000}
WORKERS=2
N_TOKENS=1000
MEM_MAX_KB=4096 # private memory per worker: under 4 MiB
# "Does not grow": allocator noise of a few pages is not growth; more is.
MEM_GROWTH_KB=64

die() {
	echo "bench: $*" >&2
	exit 1
}

command -v wrk >/dev/null 2>&1 || die "wrk is not installed (src/cli/install-deps.sh)"
for p in "$BIN/mcp.fcgi" "$BIN/wellknown.fcgi" "$BUILD/bench/empty_fcgi"; do
	[ -x "$p" ] || die "missing $p (run make all bench-build first)"
done
mkdir -p "$TMP/www"

# The ceiling's route, added to every server's configuration: the /mcp
# route's settings, the empty responder's program and socket.
SRV_APPEND='fastcgi.server += (
  "/ceiling" => ((
    "bin-path"        => "'"$BUILD"'/bench/empty_fcgi",
    "socket"          => var.mcp_state_dir + "/ceiling.sock",
    "check-local"     => "disable",
    "max-procs"       => var.mcp_max_procs,
    "bin-environment" => var.mcp_env,
  )),
)'

# The rate limits: off, or on with a rate no request reaches (every call
# still decided in the shared table, for the principal and for the tool).
LIMITS_OFF=(--env MCP_RATE_LIMIT=0 --env MCP_RATE_LIMIT_ANON=0)
LIMITS_ON=(--env MCP_RATE_LIMIT=1000000/60 --env 'MCP_TOOL_RATE_LIMITS=greet_user=1000000/60')
MANY_TODOS=(--env MCP_TODO_MAX_PER_OWNER=1000000)
GREET=$(call_json greet_user '{"name":"Ada"}' 1)
LIST20=$(call_json list_todos '{"limit":20}' 1)

# ---- several servers at once ---------------------------------------------

# lib.sh keeps one server in its variables; srv_save NAME and srv_use NAME
# park and restore them, so the servers run side by side.
declare -A SRV_VARS=()
SRV_NAMES=()
SRV_STATE=(LPID PORT BASE RESOURCE ISSUER ISSUER_DIR TOKEN SRV_DIR CONF ERRLOG ACCESS_LOG)
srv_save() {
	local v
	for v in "${SRV_STATE[@]}"; do SRV_VARS[$1.$v]=${!v}; done
	SRV_NAMES+=("$1")
	LPID="" # parked: the next server_start must not stop it
}
srv_use() {
	local v
	[ -z "$LPID" ] || die "srv_use $1 while a server is in use"
	for v in "${SRV_STATE[@]}"; do printf -v "$v" '%s' "${SRV_VARS[$1.$v]}"; done
}
srv_park() {
	LPID=""
}
# bench_stop_all: stops the current server and every parked one.
bench_stop_all() {
	local name
	server_stop
	for name in "${SRV_NAMES[@]}"; do
		LPID=${SRV_VARS[$name.LPID]}
		server_stop
	done
	SRV_NAMES=()
}
PG_DIR=""
bench_cleanup() {
	bench_stop_all
	[ -z "$PG_DIR" ] || { "$HERE/pg/pgserver.sh" stop "$PG_DIR"; rm -rf "$PG_DIR"; }
	lib_cleanup
}
trap bench_cleanup EXIT

# mint_many N SCOPE FILE: N tokens of the current server for subject
# bench-many (each its own random jti), one a line in FILE.
mint_many() {
	local i
	: >"$3"
	for ((i = 0; i < $1; i++)); do
		mint_token --sub bench-many --scope "$2" >>"$3" || die "cannot mint tokens"
	done
	[ "$(sort -u "$3" | wc -l)" -eq "$1" ] || die "the $1 tokens are not all distinct"
}

# seed_todos TOKEN N: creates N todos for TOKEN's subject on the current server.
seed_todos() {
	local i
	for ((i = 0; i < $2; i++)); do
		AUTH="Bearer $1" mcp "$(call_json create_todo "{\"title\":\"seed $i\"}" 1)"
		[ "$STATUS" = 200 ] && [[ $BODY == *'"structuredContent"'* ]] ||
			die "create_todo answered $STATUS: $BODY"
	done
}

# ---- the servers ---------------------------------------------------------

server_start --max-procs $WORKERS --www "$TMP/www" "${LIMITS_ON[@]}" || die "lighttpd did not start"
# The response whose size the static file copies.
mcp "$GREET"
[ "$STATUS" = 200 ] || die "greet_user answered $STATUS: $BODY"
size=$(wc -c <"$RESP_BODY" | tr -d ' ')
head -c "$size" /dev/zero | tr '\0' x >"$TMP/www/greet.json"
http POST /ceiling --data-binary "$GREET"
[ "$STATUS" = 200 ] || die "the ceiling (/ceiling) answered $STATUS: $BODY"
PROD_LIST_TOKEN=$(mint_token --sub bench-list --scope "todo:read todo:write")
seed_todos "$PROD_LIST_TOKEN" 20
AUTH="Bearer $PROD_LIST_TOKEN" mcp "$LIST20"
[[ $BODY == *'"title":"seed 19"'* ]] || die "list_todos answered $STATUS: $BODY"
srv_save prod

server_start --max-procs $WORKERS "${LIMITS_ON[@]}" || die "lighttpd did not start"
# Refused by sig_memo.c ("not ours alone"): every signature is checked.
install -m 0644 /dev/null "$SRV_DIR/state/sigs.memo"
mint_many $N_TOKENS "" "$TMP/distinct.tokens"
mcp "$GREET"
[ "$STATUS" = 200 ] || die "greet_user answered $STATUS: $BODY"
grep -q 'signature memo .*refused' "$ERRLOG" || die "the signature memo was not refused"
srv_save distinct

server_start --max-procs $WORKERS "${LIMITS_OFF[@]}" "${MANY_TODOS[@]}" || die "lighttpd did not start"
SQLITE_TOKEN=$(mint_token --sub bench-sqlite --scope "todo:read todo:write")
seed_todos "$SQLITE_TOKEN" 20
srv_save sqlite

PG_DIR=$(mktemp -d /tmp/mcp-pgbench.XXXXXX) || die "no temporary directory"
if PG_URL=$("$HERE/pg/pgserver.sh" start "$PG_DIR"); then
	server_start --max-procs $WORKERS "${LIMITS_OFF[@]}" "${MANY_TODOS[@]}" \
		--env "MCP_DATABASE_URL=$PG_URL" || die "lighttpd did not start"
	PG_TOKEN=$(mint_token --sub bench-pg --scope "todo:read todo:write")
	seed_todos "$PG_TOKEN" 20
	srv_save pg
	# The production settings on several machines: the rate limits counted in the database.
	server_start --max-procs $WORKERS "${LIMITS_ON[@]}" --env "MCP_DATABASE_URL=$PG_URL" ||
		die "lighttpd did not start"
	mcp "$GREET"
	[ "$STATUS" = 200 ] || die "greet_user answered $STATUS: $BODY"
	[ "$("$HERE/pg/pgserver.sh" psql "$PG_DIR" "SELECT count(*) FROM rate_limits")" -ge 2 ] ||
		die "the rate limits are not counted in PostgreSQL"
	srv_save pglim
else
	PG_URL=""
	echo "bench: PostgreSQL 15 did not start: no postgresql rows (src/cli/install-deps.sh)" >&2
fi

# ---- the rows --------------------------------------------------------------

ROWS=()             # keys, in the order of the table
declare -A ROW_NAME=() ROW_RPS=() ROW_TARGET=()
row_def() { # row_def KEY TARGET NAME
	ROWS+=("$1")
	ROW_TARGET[$1]=$2
	ROW_NAME[$1]=$3
	ROW_RPS[$1]=""
}
row_def static - "static file of $size bytes (lighttpd alone)"
row_def ceiling - "ceiling: empty libfcgi responder"
row_def greet 0.85 "greet_user (limits on, audit)"
row_def distinct - "greet_user, 1,000 distinct tokens"
row_def list20 0.70 "list_todos of 20 (limits on, audit)"
row_def greet_off 0.85 "greet_user (limits off)"
row_def sq_create - "create_todo (SQLite, limits off)"
row_def sq_list - "list_todos of 20 (SQLite, limits off)"
row_def sq_get - "get_todo (SQLite, limits off)"
if [ -n "$PG_URL" ]; then
	row_def pg_create - "create_todo (PostgreSQL, limits off)"
	row_def pg_list - "list_todos of 20 (PostgreSQL, limits off)"
	row_def pg_get - "get_todo (PostgreSQL, limits off)"
	row_def pg_greet - "greet_user (limits on, counted in PostgreSQL)"
fi

# wrk_run KEY URL [wrk options...]: one wrk run; prints one line and adds
# its requests/s to the row.  Any answer other than 2xx/3xx, or a socket
# error, ends the bench: the figure would not be of the work it names.
wrk_run() {
	local key=$1 url=$2 out rps errors
	shift 2
	out=$(timeout $((SECS + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" "$@" "$url" 2>&1) ||
		die "wrk failed: $out"
	rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ { print $2 }')
	errors=$(printf '%s\n' "$out" | awk '/Non-2xx or 3xx responses:|Socket errors:/ { print }')
	[ -z "$errors" ] || die "${ROW_NAME[$key]}: $errors"$'\n'"$out"
	[ -n "$rps" ] || die "${ROW_NAME[$key]}: no Requests/sec in wrk's output: $out"
	ROW_RPS[$key]+=" $rps"
	printf '  %-44s %10.0f req/s\n' "${ROW_NAME[$key]}" "$rps"
}

# mcp_run KEY TOKEN [BODY]: wrk on POST /mcp of the current server.
mcp_run() {
	MCP_BENCH_TOKEN=$2 MCP_BENCH_BODY=${3:-$GREET} wrk_run "$1" "$RESOURCE" -s "$HERE/bench.lua"
}

# todo_runs PREFIX TOKEN: create_todo, list_todos of 20 and get_todo.  Each
# round's creates go to an owner of their own: a create counts its owner's
# todos against MCP_TODO_MAX_PER_OWNER (an index range of at most the cap,
# 1,000 by default; the bench lifts the cap), so one owner's thousands from
# the earlier rounds would make each round slower than the one before.
todo_runs() {
	local id creator
	AUTH="Bearer $2" mcp "$LIST20"
	id=$(sed -n 's/.*"todos":\[{"id":"\([0-9a-f]*\)".*/\1/p' "$RESP_BODY")
	[ -n "$id" ] || die "list_todos answered $STATUS: $BODY"
	creator=$(mint_token --sub "bench-create-$1-$round" --scope "todo:read todo:write") ||
		die "cannot mint a token"
	mcp_run "$1_create" "$creator" "$(call_json create_todo '{"title":"bench"}' 1)"
	mcp_run "$1_list" "$2" "$LIST20"
	mcp_run "$1_get" "$2" "$(call_json get_todo "{\"todo_id\":\"$id\"}" 1)"
}

printf 'bench: %s rounds of %s s per row, wrk -t%s -c%s, %s workers per route\n' \
	"$ROUNDS" "$SECS" "$THREADS" "$CONNS" "$WORKERS"
for ((round = 1; round <= ROUNDS; round++)); do
	printf '\n== round %s of %s\n' "$round" "$ROUNDS"
	srv_use prod
	wrk_run static "$BASE/greet.json"
	# The same request bytes as greet_user's, token included.
	MCP_BENCH_TOKEN=$TOKEN MCP_BENCH_BODY=$GREET wrk_run ceiling "$BASE/ceiling" -s "$HERE/bench.lua"
	mcp_run greet "$TOKEN"
	mcp_run list20 "$PROD_LIST_TOKEN" "$LIST20"
	srv_park
	srv_use sqlite
	mcp_run greet_off "$TOKEN"
	todo_runs sq "$SQLITE_TOKEN"
	srv_park
	srv_use distinct
	MCP_BENCH_TOKENS=$TMP/distinct.tokens mcp_run distinct ""
	srv_park
	if [ -n "$PG_URL" ]; then
		srv_use pg
		todo_runs pg "$PG_TOKEN"
		srv_park
		srv_use pglim
		mcp_run pg_greet "$TOKEN"
		srv_park
	fi
done

# ---- memory ----------------------------------------------------------------

# anon_kb PID: the worker's private memory in KiB, the Anonymous: line of
# smaps_rollup: every page only this process owns (heap, stacks, the
# library data it wrote to) and nothing of a file.  Private_Dirty would
# also count the pages of the SQLite WAL index and the rate-limit table,
# files mapped shared that one worker happened to touch alone: page cache,
# not the worker's memory.
anon_kb() {
	awk '/^Anonymous:/ { print $2 }' "/proc/$1/smaps_rollup"
}
dirty_kb() {
	awk '/^Private_Dirty:/ { print $2 }' "/proc/$1/smaps_rollup"
}

# Answers per worker: wrk counts them for the server, and each worker's
# share is that of its write calls since the baseline (/proc/PID/io syscw:
# every answer is the same writes, the answer and the audit line, in
# whichever worker serves it).
declare -A W0=() EST=()
MEM_TOTAL=0
syscw() {
	awk '/^syscw:/ { print $2 }' "/proc/$1/io"
}
estimate() {
	local pid sum=0
	declare -A w=()
	for pid in "${PIDS[@]}"; do
		w[$pid]=$(($(syscw "$pid") - W0[$pid]))
		sum=$((sum + w[$pid]))
	done
	for pid in "${PIDS[@]}"; do
		EST[$pid]=$((sum > 0 ? MEM_TOTAL * w[$pid] / sum : 0))
	done
}

# mem_run REQUESTS: short wrk runs of mixed traffic until every worker has
# answered REQUESTS (bounded: lighttpd must spread the load).
mem_run() {
	local out n pid low
	while :; do
		out=$(MCP_BENCH_TOKENS=$TMP/mem.tokens MCP_BENCH_BODIES=$TMP/mem.bodies \
			timeout 60 wrk -t"$THREADS" -c"$CONNS" -d2s -s "$HERE/bench.lua" "$RESOURCE" 2>&1) ||
			die "wrk failed: $out"
		! grep -q 'Non-2xx or 3xx responses:\|Socket errors:' <<<"$out" || die "memory run: $out"
		n=$(awk '/ requests in / { print $1 }' <<<"$out")
		[ -n "$n" ] && [ "$n" -gt 0 ] || die "memory run: no requests: $out"
		MEM_TOTAL=$((MEM_TOTAL + n))
		estimate
		low=$MEM_TOTAL
		for pid in "${PIDS[@]}"; do [ "${EST[$pid]}" -ge "$low" ] || low=${EST[$pid]}; done
		[ "$low" -lt "$1" ] || return 0
		[ $MEM_TOTAL -le $((4 * WORKERS * $1)) ] ||
			die "memory run: the load is not spread over the workers (${EST[*]} of $MEM_TOTAL)"
	done
}

printf '\n== memory: a fresh production server, mixed traffic, 1,000 distinct tokens\n'
bench_stop_all
server_start --max-procs $WORKERS "${LIMITS_ON[@]}" || die "lighttpd did not start"
mint_many $N_TOKENS "todo:read todo:write" "$TMP/mem.tokens"
seed_todos "$(head -n 1 "$TMP/mem.tokens")" 20
printf '%s\n%s\n' "$GREET" "$LIST20" >"$TMP/mem.bodies"
mapfile -t PIDS < <(worker_pids mcp.fcgi)
[ ${#PIDS[@]} -eq $WORKERS ] || die "wanted $WORKERS mcp.fcgi workers, found ${#PIDS[@]}"
for pid in "${PIDS[@]}"; do W0[$pid]=$(syscw "$pid"); done
declare -A A0=() D0=() N0=()
mem_run $((MEM_REQUESTS / 10))
for pid in "${PIDS[@]}"; do
	A0[$pid]=$(anon_kb "$pid")
	D0[$pid]=$(dirty_kb "$pid")
	N0[$pid]=${EST[$pid]}
done
mem_run "$MEM_REQUESTS"
MEM_FAIL=0
printf '%-8s %22s %22s %10s %16s\n' worker "warm: answers, anon" "end: answers, anon" growth \
	"Private_Dirty"
for pid in "${PIDS[@]}"; do
	kill -0 "$pid" 2>/dev/null || die "worker $pid died"
	a1=$(anon_kb "$pid")
	d1=$(dirty_kb "$pid")
	verdict=ok
	if [ "$a1" -ge $MEM_MAX_KB ] || [ $((a1 - A0[$pid])) -gt $MEM_GROWTH_KB ]; then
		verdict="NOT MET"
		MEM_FAIL=1
	fi
	printf '%-8s %9s %8s KiB %9s %8s KiB %+6s KiB %6s->%s KiB  %s\n' "$pid" "${N0[$pid]}" \
		"${A0[$pid]}" "${EST[$pid]}" "$a1" "$((a1 - A0[$pid]))" "${D0[$pid]}" "$d1" "$verdict"
done
mapfile -t PIDS2 < <(worker_pids mcp.fcgi)
[ "${PIDS2[*]}" = "${PIDS[*]}" ] || die "the workers changed during the run: ${PIDS[*]} -> ${PIDS2[*]}"
printf 'private memory (smaps_rollup Anonymous) per worker: under %s KiB, growth at most %s KiB: %s\n' \
	$MEM_MAX_KB $MEM_GROWTH_KB "$([ $MEM_FAIL = 0 ] && echo met || echo 'NOT MET')"
server_stop

# ---- the table -------------------------------------------------------------

median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# shellcheck disable=SC2086 # the figures are words
CEIL=$(median ${ROW_RPS[ceiling]})
FAIL=$MEM_FAIL
printf '\nmedians of %s rounds; ratio = row / ceiling\n' "$ROUNDS"
printf '%-44s %10s %8s %8s  %s\n' row "req/s" ratio target met
for key in "${ROWS[@]}"; do
	# shellcheck disable=SC2086
	rps=$(median ${ROW_RPS[$key]})
	ratio=$(awk -v a="$rps" -v b="$CEIL" 'BEGIN { printf "%.2f", a / b }')
	target=${ROW_TARGET[$key]}
	met=-
	if [ "$target" != - ]; then
		if awk -v r="$ratio" -v t="$target" 'BEGIN { exit !(r >= t) }'; then
			met=met
		else
			met="not met"
			FAIL=1
		fi
		target=">= $target"
	fi
	printf '%-44s %10.0f %8s %8s  %s\n' "${ROW_NAME[$key]}" "$rps" "$ratio" "$target" "$met"
done
exit $FAIL
