#!/usr/bin/env bash
# faults_client.sh - clients that break off their request while others call.
#
# Raw TCP clients (tests/lib/fault_rawclient.mjs), eight at once, announce a
# 2000-byte body and send 500 bytes, then disconnect, or half-close (a body
# shorter than its Content-Length), or hold the connection for 3 s.  Four
# clients keep calling greet_user meanwhile.  Two servers:
#   1. lighttpd.conf.example as shipped: lighttpd buffers a request body
#      before any worker sees it, so the broken requests never reach one:
#      no answer, nothing in the programs' log;
#   2. the same with server.stream-request-body = 2: the workers read the
#      body as it comes, meet its end early, answer 400 and audit each one
#      ("decision":"refused","status":400); a held connection keeps its
#      worker until it ends (3 s here; lighttpd's server.max-read-idle, 60 s
#      by default, bounds it), which is why the example keeps buffering.
# In both: every call of the four clients succeeds, the same worker
# processes serve throughout (no crash, no respawn), and the next request
# is answered.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/faultlib.sh"
if ! lighttpd_only "it sets lighttpd's server.stream-request-body"; then
	echo "0 passed, 0 failed"
	exit 0
fi
need_programs mcp.fcgi wellknown.fcgi
GREET=$(call_json greet_user '{"name":"Ada"}' 7)
N=8

# round SERVER MODE WANT_AUDITED: one kind of broken client, N of them.
round() {
	local srv=$1 mode=$2 audited=$3 mark out
	mark=$(log_mark)
	t "$srv: $N clients $mode mid-body -> no answer"
	out=$(timeout 20 node "$ROOT/tests/lib/fault_rawclient.mjs" "$PORT" "$mode" "$N" "$TOKEN" |
		sort | uniq -c | tr -s ' ' | sed 's/^ //')
	want_eq "answers" "$N none" "$out"
	t "$srv: $mode: the workers go on: the same processes, the next request answered"
	mcp "$GREET"
	want_result 7
	want_eq "worker pids" "$W0" "$(worker_pids mcp.fcgi | sort -n | tr '\n' ' ')"
	sleep 0.2 # the last audit lines
	t "$srv: $mode: audited as refused 400s: $audited (nothing else logged)"
	want_eq "audit lines" "$audited" \
		"$(tail -n +"$((mark + 1))" "$ERRLOG" | grep -F '"type":"audit"' | grep -c '"decision":"refused","status":400')"
	want_eq "other lines of the programs" "" \
		"$(tail -n +"$((mark + 1))" "$ERRLOG" | grep -F '"prog":"mcp"' | grep -vF '"type":"audit"' | head -n 3)"
}

# serve NAME WANT_AUDITED: the rounds on the server just started.
serve() {
	local tag=known$SRV_N
	W0=$(worker_pids mcp.fcgi | sort -n | tr '\n' ' ')
	t "$1: two workers run"
	want_eq "workers" 2 "$(wc -w <<<"$W0")"
	callers_start "$tag" 4 "$TOKEN"
	callers_wait "$tag" 20 || note "the clients made no calls"
	for mode in disconnect short hold; do round "$1" "$mode" "$2"; done
	callers_stop "$tag"
	t "$1: every call of the other clients -> 200 ($(callers_summary "$tag"); slowest $(callers_slowest "$tag") ms)"
	want_eq "statuses" "200" "$(cat "$TMP/$tag"-c*.out | grep -v '^done' | cut -d' ' -f1 | sort -u | tr '\n' ' ' | sed 's/ $//')"
}

server_start_or_finish --max-procs 2 --env MCP_RATE_LIMIT=1000000/60
serve buffered 0

SRV_APPEND='server.stream-request-body = 2' server_start_or_finish --max-procs 2 \
	--env MCP_RATE_LIMIT=1000000/60
serve streamed "$N"

t "no token in any log, no worker died"
want_no_secret "$TOKEN"
grep -nE 'AddressSanitizer|runtime error:|child signalled|child exited' "$TMP"/srv*/log/error.log |
	head -n 3 >"$TMP/died"
[ -s "$TMP/died" ] && note "$(cat "$TMP/died")"

finish
