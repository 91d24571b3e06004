#!/usr/bin/env bash
# tests/bench_cgi.sh - what one request costs as CGI, next to a hello-world
# C CGI program (tests/bench/hello_cgi.c: read the body, print a fixed JSON
# answer), measured in the same run under the same conditions.
#
# A lighttpd (the e2e harness) serves the development issuer; one request
# warms the key cache in the state directory; then tests/bench/spawn_loop
# runs each program N times as a web server's CGI would (a new process, the
# request in the environment, the body on stdin): hello_cgi, then mcp.fcgi
# answering an authenticated tools/call greet_user, and the same for each
# extra program directory given in BENCH_CGI_BINS (e.g. the shared-hosting
# bundle).  Prints microseconds per request and the ratio to hello_cgi.
#
# BENCH_CGI_RUNS (500).  Not part of make check.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/e2e/lib.sh"

RUNS=${BENCH_CGI_RUNS:-500}
LOOP=$BUILD/bench/spawn_loop
HELLO=$BUILD/bench/hello_cgi

die() {
	echo "bench_cgi: $*" >&2
	exit 1
}

for p in "$LOOP" "$HELLO" "$BIN/mcp.fcgi"; do
	[ -x "$p" ] || die "missing $p (run make bench-build first)"
done
server_start --max-procs 1 || die "lighttpd did not start"
# The key cache the CGI processes read: warmed once through the server.
mcp "$(call_json greet_user '{"name":"Ada"}' 1)"
[ "$STATUS" = 200 ] || die "greet_user answered $STATUS: $BODY"

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
ENV

# per_request NAME PROGRAM: sets US (microseconds per request).
per_request() {
	US=$("$LOOP" "$RUNS" "$TMP/env" "$body" "$2") || die "$1 failed"
	printf '%-44s %10s us/request\n' "$1" "$US"
}

echo "CGI, $RUNS requests each, one at a time:"
per_request "hello-world C CGI (baseline)" "$HELLO"
BASE_US=$US
for dir in "$BIN" ${BENCH_CGI_BINS:-}; do
	prog=$dir/mcp.fcgi
	[ -x "$prog" ] || prog=$dir/mcp.cgi
	[ -x "$prog" ] || die "no mcp.fcgi or mcp.cgi in $dir"
	per_request "$(basename "$prog") greet_user ($(basename "$dir"))" "$prog"
	awk -v a="$US" -v b="$BASE_US" 'BEGIN { printf "%-44s %10.2f\n", "  ratio to hello-world CGI", a / b }'
done
