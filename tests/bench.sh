#!/usr/bin/env bash
# tests/bench.sh - how much the MCP endpoint costs next to a static file.
#
# Starts lighttpd (configured from lighttpd.conf.example by mkconf.sh, two
# FastCGI workers), puts a static file of exactly the size of the greet_user
# response in a temporary document root, and runs wrk on loopback, bounded,
# first against that file (the baseline: lighttpd alone) and then against
# POST /mcp tools/call greet_user (tests/bench.lua), with the rate limits
# off and on (MCP_RATE_LIMIT and MCP_TOOL_RATE_LIMITS for greet_user set past
# the load: every call is decided in the shared table), taking turns twice.
# Prints requests/s of each and their ratios.  Then the todo tools (limits
# off: create_todo, list_todos of 20, get_todo; tests/bench.lua with MCP_BENCH_BODY), on SQLite and on a PostgreSQL 15 server
# that tests/pg/pgserver.sh starts on loopback (same machine, fsync off: the
# cost of the backend and its round trips, not of a disk).  Not part of
# make check.
#
# BENCH_THREADS (2), BENCH_CONNECTIONS (16), BENCH_SECONDS (5).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/e2e/lib.sh"

THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-16}
SECS=${BENCH_SECONDS:-5}

die() {
	echo "bench: $*" >&2
	exit 1
}

command -v wrk >/dev/null 2>&1 || die "wrk is not installed (src/cli/install-deps.sh)"
for p in mcp.fcgi wellknown.fcgi; do
	[ -x "$BIN/$p" ] || die "missing $BIN/$p (run make first)"
done
mkdir -p "$TMP/www"
# The rate limits: off, then on with a rate no request reaches (every call
# still decided in the shared table, for the principal and for the tool).
LIMITS_OFF=(--env MCP_RATE_LIMIT=0 --env MCP_RATE_LIMIT_ANON=0)
LIMITS_ON=(--env MCP_RATE_LIMIT=1000000/60 --env 'MCP_TOOL_RATE_LIMITS=greet_user=1000000/60')
server_start --max-procs 2 --www "$TMP/www" "${LIMITS_OFF[@]}" || die "lighttpd did not start"

# The response whose size the static file copies.
mcp "$(call_json greet_user '{"name":"Ada"}' 1)"
[ "$STATUS" = 200 ] || die "greet_user answered $STATUS: $BODY"
size=$(wc -c <"$RESP_BODY" | tr -d ' ')
head -c "$size" /dev/zero | tr '\0' x >"$TMP/www/greet.json"

# wrk_rps NAME URL [wrk options...]: runs wrk, prints its summary, sets RPS.
wrk_rps() {
	local name=$1 url=$2 out errors
	shift 2
	out=$(timeout $((SECS + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "$@" "$url" 2>&1) ||
		die "wrk failed: $out"
	printf '\n== %s: %s\n%s\n' "$name" "$url" "$out"
	RPS=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ { print $2 }')
	errors=$(printf '%s\n' "$out" | awk '/Non-2xx or 3xx responses:/ { print $NF }')
	[ -z "$errors" ] || die "$name: $errors answers were not 2xx/3xx"
	[ -n "$RPS" ] || die "$name: no Requests/sec in wrk's output"
}

wrk_rps "static file of $size bytes (baseline)" "$BASE/greet.json"
STATIC=$RPS

# mcp_rps LIMITS NAME: restarts lighttpd with LIMITS (off or on) and runs wrk; sets RPS.
mcp_rps() {
	local -n limits=$1
	server_stop
	server_start --max-procs 2 --www "$TMP/www" "${limits[@]}" || die "lighttpd did not start"
	MCP_BENCH_TOKEN=$TOKEN wrk_rps "POST /mcp tools/call greet_user, $2" "$RESOURCE" -s "$HERE/bench.lua"
}
# Off and on take turns, twice: the machine's drift falls on both alike.
OFF=()
ON=()
for round in 1 2; do
	mcp_rps LIMITS_OFF "rate limits off (round $round)"
	OFF+=("$RPS")
	mcp_rps LIMITS_ON "rate limits on (round $round)"
	ON+=("$RPS")
done
MCPRPS=$(printf '%s\n' "${OFF[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')
LIMRPS=$(printf '%s\n' "${ON[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')


# todo_rows BACKEND: wrk on create_todo, list_todos and get_todo of the
# running server; appends a row per tool to TODO_ROWS.
TODO_ROWS=()
todo_rows() {
	local tok id body
	tok=$(mint_token --scope "todo:read todo:write" --sub "bench-$1")
	AUTH="Bearer $tok" mcp "$(call_json create_todo '{"title":"seed"}' 1)"
	id=$(sed -n 's/.*"structuredContent":{"id":"\([0-9a-f]*\)".*/\1/p' "$RESP_BODY")
	[ -n "$id" ] || die "create_todo on $1 answered $STATUS: $BODY"
	for body in "$(call_json create_todo '{"title":"bench"}' 1)" \
		"$(call_json list_todos '{"limit":20}' 1)" \
		"$(call_json get_todo "{\"todo_id\":\"$id\"}" 1)"; do
		MCP_BENCH_TOKEN=$tok MCP_BENCH_BODY=$body wrk_rps "todo on $1: $body" "$RESOURCE" \
			-s "$HERE/bench.lua"
		TODO_ROWS+=("$(printf '%-40s %12s' "$(sed 's/.*"name":"\([a-z_]*\)".*/\1/' <<<"$body") ($1, 2 workers)" "$RPS req/s")")
	done
}
server_start --max-procs 2 "${LIMITS_OFF[@]}" --env MCP_TODO_MAX_PER_OWNER=1000000 || die "lighttpd did not start"
todo_rows sqlite
PG_DIR=$(mktemp -d /tmp/mcp-pgbench.XXXXXX) || die "no temporary directory"
bench_pg_cleanup() {
	"$HERE/pg/pgserver.sh" stop "$PG_DIR"
	rm -rf "$PG_DIR"
	lib_cleanup
}
trap bench_pg_cleanup EXIT
if PG_URL=$("$HERE/pg/pgserver.sh" start "$PG_DIR"); then
	server_start --max-procs 2 "${LIMITS_OFF[@]}" --env MCP_TODO_MAX_PER_OWNER=1000000 \
		--env "MCP_DATABASE_URL=$PG_URL" ||
		die "lighttpd did not start"
	todo_rows postgresql
else
	TODO_ROWS+=("PostgreSQL 15 did not start: no postgresql rows (src/cli/install-deps.sh)")
fi

printf '\n%-44s %12s\n' "static file ($size bytes)" "$STATIC req/s"
printf '%-44s %12s\n' "POST /mcp greet_user (2 workers), limits off" "$MCPRPS req/s"
printf '%-44s %12s\n' "POST /mcp greet_user (2 workers), limits on" "$LIMRPS req/s"
awk -v a="$MCPRPS" -v b="$STATIC" 'BEGIN { printf "%-44s %12.2f\n", "ratio mcp/static", a / b }'
awk -v a="$LIMRPS" -v b="$MCPRPS" 'BEGIN { printf "%-44s %12.3f\n", "ratio limits on/off", a / b }'
printf '%s\n' "${TODO_ROWS[@]}"
