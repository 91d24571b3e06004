#!/usr/bin/env bash
# tests/bench_cgi.sh - what one request costs as CGI, next to a hello-world
# C CGI program (tests/bench/hello_cgi.c: read the body, print a fixed JSON
# answer), measured in the same run under the same conditions.
#
# A lighttpd (the e2e harness) serves the development issuer; one request
# warms the key cache in the state directory.  Then, for hello_cgi, mcp.fcgi
# and each extra directory in BENCH_CGI_BINS (make bench adds the
# shared-hosting bundle), an authenticated tools/call greet_user:
#   1. tests/bench/spawn_loop runs the program N times as a web server's CGI
#      would (a new process, the request in the environment, the body on
#      stdin): the start-up cost alone, microseconds per request;
#   2. wrk against the same lighttpd's mod_cgi, one connection (a CGI
#      process per request either way): requests per second.
# Each figure is also given as a multiple of hello_cgi's.
#
# BENCH_CGI_RUNS (500 spawns of each program), BENCH_CGI_BATCH (5 a round),
# BENCH_SECONDS (5 s of wrk for each, in 1 s rounds).  Not part of make check.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/e2e/lib.sh"

RUNS=${BENCH_CGI_RUNS:-500}
SECS=${BENCH_SECONDS:-5}
LOOP=$BUILD/bench/spawn_loop
HELLO=$BUILD/bench/hello_cgi

die() {
	echo "bench_cgi: $*" >&2
	exit 1
}

for p in "$LOOP" "$HELLO" "$BIN/mcp.fcgi"; do
	[ -x "$p" ] || die "missing $p (run make bench-build first)"
done
# The programs under test, by name: hello, mcp, then bundle1, bundle2...,
# each copied to $TMP/cgi/NAME/ (a bundle with its lib/): the same path
# depth for all, as the kernel's and the loader's path walks are part of
# what a start costs.
mkdir -p "$TMP/cgi/hello" "$TMP/cgi/mcp"
cp "$HELLO" "$TMP/cgi/hello/hello.cgi"
cp "$BIN/mcp.fcgi" "$TMP/cgi/mcp/mcp.cgi"
declare -A PROGS=([hello]=$TMP/cgi/hello/hello.cgi [mcp]=$TMP/cgi/mcp/mcp.cgi)
declare -A FROM=([hello]=$HELLO [mcp]=$BIN/mcp.fcgi)
NAMES=(hello mcp)
i=0
for dir in ${BENCH_CGI_BINS:-}; do
	dir=$(cd "$dir" && pwd) || die "no directory $dir"
	i=$((i + 1))
	[ -x "$dir/mcp.cgi" ] || die "no mcp.cgi in $dir"
	mkdir -p "$TMP/cgi/bundle$i" && cp -a "$dir/." "$TMP/cgi/bundle$i/"
	PROGS[bundle$i]=$TMP/cgi/bundle$i/mcp.cgi
	FROM[bundle$i]=$dir/mcp.cgi
	NAMES+=("bundle$i")
done
# mod_cgi runs each at /cgi-bin/NAME, with the configuration in its
# environment (the aliases before the block that assigns CGI, as in test_cgi).
SRV_APPEND='server.modules += ( "mod_cgi" )'
for n in "${NAMES[@]}"; do
	SRV_APPEND+=$'\n'"alias.url += ( \"/cgi-bin/$n\" => \"${PROGS[$n]}\" )"
done
SRV_APPEND+='
$HTTP["url"] =~ "^/cgi-bin/" {
  cgi.assign = ( "" => "" )
  static-file.exclude-extensions = ( ".cgi", ".fcgi" )
  setenv.add-environment = (
    "MCP_RESOURCE" => "http://127.0.0.1:@PORT@/cgi-bin/mcp",
    "MCP_STATE_DIR" => "@DIR@/state",
    "OAUTH_ISSUER" => "http://127.0.0.1:@PORT@/dev-issuer",
    "OAUTH_ALLOW_HTTP" => "1",
    "MCP_RATE_LIMIT" => "1000000/60",
  )
}'
# The rate limits stay on (each request decided in the state directory's
# table: part of what a start costs), set past the thousands of calls here.
server_start --max-procs 1 --env MCP_RATE_LIMIT=1000000/60 || die "lighttpd did not start"
# The key cache the CGI processes read: warmed once through the server.
mcp "$(call_json greet_user '{"name":"Ada"}' 1)"
[ "$STATUS" = 200 ] || die "greet_user answered $STATUS: $BODY"
# Every program answers for the same resource, so one token serves them all.
CGI_TOKEN=$(mint_token --aud "$BASE/cgi-bin/mcp")

body=$TMP/body.json
call_json greet_user '{"name":"Ada"}' 1 >"$body"
cat >"$TMP/env" <<ENV
PATH=/usr/bin:/bin
GATEWAY_INTERFACE=CGI/1.1
SERVER_PROTOCOL=HTTP/1.1
SERVER_SOFTWARE=bench_cgi
SERVER_NAME=127.0.0.1
SERVER_PORT=$PORT
REMOTE_ADDR=127.0.0.1
REQUEST_METHOD=POST
SCRIPT_NAME=/mcp
REQUEST_URI=/mcp
CONTENT_TYPE=application/json
CONTENT_LENGTH=$(wc -c <"$body" | tr -d ' ')
HTTP_HOST=127.0.0.1:$PORT
HTTP_ACCEPT=application/json, text/event-stream
HTTP_AUTHORIZATION=Bearer $TOKEN
MCP_RESOURCE=$RESOURCE
MCP_STATE_DIR=$SRV_DIR/state
OAUTH_ISSUER=$ISSUER
OAUTH_ALLOW_HTTP=1
MCP_LOG_LEVEL=warn
MCP_RATE_LIMIT=1000000/60
ENV

# The programs take turns, round after round, and each figure is the median
# over the rounds: a virtual machine's neighbours slow whole seconds down, and
# a program measured in one block would take the whole of such a spell.
#
# spawns NAME: one round of BENCH_CGI_BATCH spawns; appends microseconds per request.
spawns() {
	"$LOOP" "$BATCH" "$TMP/env" "$body" "${PROGS[$1]}" >>"$TMP/us.$1" || die "$1 failed"
}

# served NAME: one round of wrk against /cgi-bin/NAME, one connection;
# appends requests per second.
served() {
	local out errors rps
	out=$(MCP_BENCH_TOKEN=$CGI_TOKEN timeout $((SLICE + 30)) wrk -t1 -c1 -d"${SLICE}s" \
		-s "$HERE/bench.lua" "$BASE/cgi-bin/$1" 2>&1) || die "wrk failed: $out"
	rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ { print $2 }')
	errors=$(printf '%s\n' "$out" | awk '/Non-2xx or 3xx responses:/ { print $NF }')
	if [ -n "$errors" ]; then
		# One request by hand, to show why.
		curl -s -H "Authorization: Bearer $CGI_TOKEN" -H 'Content-Type: application/json' \
			-H 'Accept: application/json, text/event-stream' --data-binary @"$body" \
			-w '\nHTTP %{http_code}\n' "$BASE/cgi-bin/$1" >&2
		tail -n 5 "$ERRLOG" >&2
		die "$1: $errors answers were not 2xx/3xx"
	fi
	[ -n "$rps" ] || die "$1: no Requests/sec in wrk's output"
	echo "$rps" >>"$TMP/rps.$1"
}

median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

BATCH=${BENCH_CGI_BATCH:-5}
ROUNDS=$(((RUNS + BATCH - 1) / BATCH))
SLICE=1
WRK_ROUNDS=$(((SECS + SLICE - 1) / SLICE))
printf '\nCGI: tools/call greet_user, warm key cache; %s spawns of each, then %s s of wrk\n' \
	"$((ROUNDS * BATCH))" "$((WRK_ROUNDS * SLICE))"
printf 'through mod_cgi, the programs taking turns (%s-spawn and %s-second rounds): medians\n' \
	"$BATCH" "$SLICE"
for r in $(seq "$ROUNDS"); do
	for n in "${NAMES[@]}"; do spawns "$n"; done
done
for r in $(seq "$WRK_ROUNDS"); do
	for n in "${NAMES[@]}"; do served "$n"; done
done
printf '%-10s %-52s %10s %7s %10s %7s\n' name program "us/req" ratio "req/s" ratio
BASE_US=$(median "$TMP/us.hello")
BASE_RPS=$(median "$TMP/rps.hello")
for n in "${NAMES[@]}"; do
	awk -v n="$n" -v p="${FROM[$n]}" -v us="$(median "$TMP/us.$n")" -v rps="$(median "$TMP/rps.$n")" \
		-v bus="$BASE_US" -v brps="$BASE_RPS" \
		'BEGIN { printf "%-10s %-52s %10.1f %7.2f %10.1f %7.2f\n", n, p, us, us / bus, rps, brps / rps }'
done
