#!/usr/bin/env bash
# tests/bench/ceiling_ratio.sh [ROUNDS] [SECS] - the request path against
# its FastCGI ceiling, for profiling work (not part of make bench or check).
#
# One lighttpd (tests/e2e/lib.sh server_start, two mcp.fcgi workers, the
# rate limits on with a rate the load never reaches, so every call is
# decided in the shared table; the audit line written to the error log as
# in production) with a second route, /empty, to $BUILD/bench/empty_fcgi
# (two processes, make bench-build).  Each round runs wrk -t2 -c32 for SECS
# seconds on: empty, tools/call greet_user, empty, tools/call list_todos of
# 20 todos (SQLite); the empty responder gets the greet_user request, token
# and all, as in make bench.  Prints per round requests/s and, because a shared
# machine's throughput swings with its neighbours, also the CPU time spent
# per request by lighttpd, its workers and wrk (perf stat on wrk): on a
# saturated machine throughput goes as its inverse, and it drifts less.
# Ratios are to the mean of the round's two empty runs; the medians end.
# ROUNDS (5), SECS (3); BIN= another build's cgi-bin to compare; PROCS (2) the
# processes of each route.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../e2e/lib.sh"

ROUNDS=${1:-5}
SECS=${2:-3}
EMPTY=$BUILD/bench/empty_fcgi
for p in wrk perf; do
	command -v $p >/dev/null 2>&1 || { echo "ceiling_ratio: no $p" >&2; exit 1; }
done
[ -x "$EMPTY" ] || { echo "ceiling_ratio: no $EMPTY (make bench-build)" >&2; exit 1; }
SRV_APPEND='fastcgi.server += ( "/empty" => (( "bin-path" => "'$EMPTY'",
  "socket" => "@DIR@/state/empty.sock", "check-local" => "disable", "max-procs" => '"${PROCS:-2}"' )) )'
server_start --max-procs ${PROCS:-2} --env MCP_RATE_LIMIT=1000000/60 \
	--env 'MCP_TOOL_RATE_LIMITS=greet_user=1000000/60; list_todos=1000000/60' \
	--env MCP_TODO_MAX_PER_OWNER=1000000 || exit 1
GREET=$(call_json greet_user '{"name":"Ada"}' 1)
mcp "$GREET"
[ "$STATUS" = 200 ] || { echo "ceiling_ratio: greet_user answered $STATUS" >&2; exit 1; }
LTOKEN=$(mint_token --scope "todo:read todo:write" --sub bench-list)
for i in $(seq 20); do
	AUTH="Bearer $LTOKEN" mcp "$(call_json create_todo "{\"title\":\"todo $i\"}" 1)"
done
LIST=$(call_json list_todos '{"limit":20}' 1)

# ticks: user + system clock ticks of lighttpd and all its children.
ticks() {
	local p t=0
	for p in $LPID $(pgrep -P "$LPID"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

# run URL TOKEN BODY: prints "requests/s CPU-µs-per-request".
run() {
	local out t0 t1 n wcpu
	t0=$(ticks)
	out=$(MCP_BENCH_TOKEN=$2 MCP_BENCH_BODY=$3 perf stat -x, -e task-clock -o "$TMP/wrk.cpu" \
		timeout $((SECS + 30)) wrk -t2 -c32 -d"${SECS}s" -s "$HERE/../bench.lua" "$1" 2>&1)
	t1=$(ticks)
	if grep -q 'Non-2xx' <<<"$out"; then
		echo "ceiling_ratio: $1 answered errors: $out" >&2
		exit 1
	fi
	n=$(awk '/requests in/ { print $1 }' <<<"$out")
	wcpu=$(awk -F, '/task-clock/ { print $1 }' "$TMP/wrk.cpu")
	awk -v o="$out" -v n="$n" -v t=$((t1 - t0)) -v w="$wcpu" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { split(o, a, "Requests/sec:"); split(a[2], b, " ");
		         printf "%s %.1f\n", b[1], (t * 1e6 / hz + w * 1000) / n }'
}

for r in $(seq "$ROUNDS"); do
	read -r e1 ce1 <<<"$(run "$BASE/empty" "$TOKEN" "$GREET")"
	read -r g cg <<<"$(run "$RESOURCE" "$TOKEN" "$GREET")"
	read -r e2 ce2 <<<"$(run "$BASE/empty" "$TOKEN" "$GREET")"
	read -r l cl <<<"$(run "$RESOURCE" "$LTOKEN" "$LIST")"
	awk -v e1="$e1" -v e2="$e2" -v g="$g" -v l="$l" -v ce1="$ce1" -v ce2="$ce2" -v cg="$cg" \
		-v cl="$cl" 'BEGIN { e = (e1 + e2) / 2; ce = (ce1 + ce2) / 2;
		printf "round: empty %s %s greet %s (%.3f) list %s (%.3f) | cpu us/req empty %.1f %.1f greet %.1f (%.3f) list %.1f (%.3f)\n",
		e1, e2, g, g / e, l, l / e, ce1, ce2, cg, ce / cg, cl, ce / cl }'
done | tee "$TMP/rounds"
med() { awk -v f="$1" '{ print $f }' "$TMP/rounds" | tr -d '()' | sort -n |
	awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "median ratio to the ceiling, requests/s: greet_user $(med 7), list_todos $(med 10);" \
	"CPU per request: greet_user $(med 19), list_todos $(med 22)"
echo "median requests/s: empty $(med 3), greet_user $(med 6), list_todos $(med 9);" \
	"CPU us per request: empty $(med 15), greet_user $(med 18), list_todos $(med 21)"
