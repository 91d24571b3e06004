#!/usr/bin/env bash
# test_cgi.sh - mcp.fcgi as plain CGI, without any server: the request is
# the environment plus a body piped into stdin (not a socket, so libfcgi
# runs the program once, in CGI mode).  Checks the Status: line, headers,
# body, exit status and the log line on stderr, for good requests, hostile
# ones and bad configurations.  Then the same program behind lighttpd's
# mod_cgi, as on shared hosting where only CGI is allowed.
#
# MCP_VALGRIND=1 runs every CGI invocation under valgrind (make valgrind).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

EXTRA_LOGS+=("$TMP/cgi-all.err")
need_programs mcp.fcgi
PROG=$BIN/mcp.fcgi
CGI_TIMEOUT=10
WRAP=()
if [ "${MCP_VALGRIND:-0}" = 1 ]; then
	WRAP=("$(command -v valgrind)" -q --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect)
	CGI_TIMEOUT=60
fi
[ "${MCP_SANITIZE:-0}" = 1 ] && CGI_TIMEOUT=30

. "$(dirname "${BASH_SOURCE[0]}")/lib_cgi.sh"
CGI_STATE=$TMP/state

# lighttpd serves the development issuer's keys (the CGI program fetches
# them once into its state directory; every later run reads that cache) and,
# further down, runs the program through mod_cgi.  mod_cgi hands the program
# setenv.add-environment, not lighttpd's own environment.
SRV_APPEND='server.modules += ( "mod_cgi" )
alias.url += ( "/cgi-bin/mcp" => "@BIN@/mcp.fcgi" )
$HTTP["url"] =~ "^/cgi-bin/" {
  cgi.assign = ( "" => "" )
  setenv.add-environment = (
    "MCP_RESOURCE" => "http://127.0.0.1:@PORT@/cgi-bin/mcp",
    "MCP_STATE_DIR" => "@DIR@/state",
    "OAUTH_ISSUER" => "http://127.0.0.1:@PORT@/dev-issuer",
    "OAUTH_ALLOW_HTTP" => "1",
  )
}
server.breakagelog = "@DIR@/log/error.log"'
if ! server_start --max-procs 1; then
	t "lighttpd (development issuer, mod_cgi) starts"
	note "see the error log above"
	finish
fi
SRV_APPEND=
CGI_HOST=127.0.0.1:$PORT
mkdir -p "$TMP/state"
chmod 700 "$TMP/state"
PING='{"jsonrpc":"2.0","id":1,"method":"ping"}'
GREET=$(call_json greet_user '{"name":"Ada"}' 7)

# ---- hostile requests --------------------------------------------------------

t "broken JSON -> 400 -32700"
cgi '{"jsonrpc":"2.0","id":1,"method":'
want_error 400 -32700
want_served

t "binary garbage with NUL bytes -> 400 -32700"
head -c 3000 /dev/urandom >"$TMP/garbage"
printf '\0\0\0' >>"$TMP/garbage"
cgi_file "$TMP/garbage"
want_error 400 -32700
want_served

t "deeply nested JSON -> 400 -32700, no crash"
head -c 200000 /dev/zero | tr '\0' '{' >"$TMP/deep"
cgi_file "$TMP/deep"
want_error 400 -32700
want_served

t "truncated body (CONTENT_LENGTH 500, 40 bytes sent) -> 400"
cgi "$PING" CONTENT_LENGTH=500
want_status 400
want_json 'r.id' null '[-32600, -32700].includes(r.error.code)' true
want_served

t "CONTENT_LENGTH far over MCP_MAX_BODY -> 413 without reading the body"
cgi "$PING" CONTENT_LENGTH=2000000000
want_error 413 -32600
want_served

t "CONTENT_LENGTH one over the default MCP_MAX_BODY (1048577) -> 413"
cgi "$PING" CONTENT_LENGTH=1048577
want_error 413 -32600
want_served

for cl in abc -1 12abc ' 40' 0x28 1e3; do
	t "non-numeric CONTENT_LENGTH '$cl' -> 400"
	cgi "$PING" "CONTENT_LENGTH=$cl"
	want_error 400 -32600
	want_served
done

t "CONTENT_LENGTH beyond 64 bits -> 400 or 413"
cgi "$PING" CONTENT_LENGTH=999999999999999999999999999
case $STATUS in 400 | 413) ;; *) note "HTTP status: wanted 400 or 413, got $STATUS" ;; esac
want_json 'r.id' null 'r.error.code' -32600
want_served

t "no CONTENT_LENGTH -> no body -> 4xx JSON error"
cgi "$PING" CONTENT_LENGTH=@unset
case $STATUS in 4??) ;; *) note "HTTP status: wanted 4xx, got $STATUS" ;; esac
want_json 'r.id' null '[-32600, -32700].includes(r.error.code)' true
want_served

t "request body larger than CONTENT_LENGTH -> only CONTENT_LENGTH bytes read"
cgi "$PING garbage after the declared length" "CONTENT_LENGTH=${#PING}"
want_result 1
want_served

# ---- transport rules in CGI mode ---------------------------------------------

t "GET -> 405 with Allow"
cgi '' REQUEST_METHOD=GET CONTENT_LENGTH=@unset CONTENT_TYPE=@unset
want_error 405 -32600
want_header Allow 'POST, OPTIONS'
want_served

t "OPTIONS preflight -> 204 with CORS headers"
cgi '' REQUEST_METHOD=OPTIONS CONTENT_LENGTH=@unset CONTENT_TYPE=@unset \
	"HTTP_ORIGIN=http://$CGI_HOST" HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST
want_status 204
want_header Access-Control-Allow-Origin "http://$CGI_HOST"
want_header Access-Control-Allow-Methods 'POST, OPTIONS'
want_exit 0

t "Host not allowed -> 403"
cgi "$PING" HTTP_HOST=evil.example
want_error 403 -32600
want_served

t "Origin not allowed -> 403"
cgi "$PING" HTTP_ORIGIN=http://evil.example
want_error 403 -32600
want_served

t "Origin allowed -> CORS headers"
cgi "$PING" "HTTP_ORIGIN=http://localhost:$PORT"
want_result 1
want_header Access-Control-Allow-Origin "http://localhost:$PORT"
want_served

t "Content-Type text/plain -> 415"
cgi "$PING" CONTENT_TYPE=text/plain
want_error 415 -32600
want_served

t "Accept text/html -> 406"
cgi "$PING" HTTP_ACCEPT=text/html
want_error 406 -32600
want_served

t "MCP-Protocol-Version 2099-01-01 -> 400"
cgi "$PING" HTTP_MCP_PROTOCOL_VERSION=2099-01-01
want_error 400 -32600
want_served

t "batch under MCP-Protocol-Version 2025-06-18 -> 400"
cgi "[$PING]" HTTP_MCP_PROTOCOL_VERSION=2025-06-18
want_error 400 -32600
want_served

t "no HTTP_AUTHORIZATION -> 401 with a Bearer challenge"
cgi "$GREET" HTTP_AUTHORIZATION=@unset
want_status 401
want_header_match WWW-Authenticate '^Bearer .*resource_metadata="'
want_body_lacks 'Hi Ada'
want_exit 0

t "a token for another audience -> 401 invalid_token"
cgi "$GREET" "HTTP_AUTHORIZATION=Bearer $(mint_token --aud "$BASE/other")"
want_status 401
want_header_match WWW-Authenticate 'error="invalid_token"'
want_exit 0

# ---- good requests ---------------------------------------------------------

t "greet_user Ada -> Hi Ada, welcome!"
cgi "$GREET"
want_result 7
want_header_match Content-Type '^application/json'
want_json 'r.result.content' '[{"type":"text","text":"Hi Ada, welcome!"}]'
want_served
printf '%s\n' "$CGI_ERR" >"$TMP/log.json"
out=$(json_check "$TMP/log.json" 'r.method' '"tools/call"' 'r.tool' '"greet_user"' \
	'r.status' 200 'typeof r.duration_us' '"number"' 'typeof r.time' '"string"') ||
	note "log line: $(short "$CGI_ERR")" "$out"

t "initialize -> protocolVersion and serverInfo"
cgi '{"jsonrpc":"2.0","id":"i","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"cgi","version":"1"}}}'
want_result '"i"'
want_json 'r.result.protocolVersion' '"2025-06-18"' 'r.result.serverInfo.name' '"mcp-fcgi"'
want_served

t "notification -> 202, no body"
cgi '{"jsonrpc":"2.0","method":"notifications/initialized"}'
want_status 202
want_empty_body
want_exit 0

t "tools/list -> greet_user"
cgi '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
want_result 2
want_json 'r.result.tools.map(x => x.name).includes("greet_user")' true
want_served

# ---- the signature memo (sigs.memo in the state directory) ----------------------

# memo_slot TOKEN: "<stored> <expected>" hex for TOKEN's slot in sigs.memo, the
# expected digest computed here independently of the program: SHA-256 of the
# scheme, the algorithm, the key's RFC 7638 thumbprint (from the issuer's JWKS)
# and the token, each but the last followed by a NUL.
memo_slot() {
	node -e '
		const fs = require("fs"), crypto = require("crypto");
		const [tok, jwks, memo] = process.argv.slice(1);
		const kid = JSON.parse(Buffer.from(tok.split(".")[0], "base64url")).kid;
		const k = JSON.parse(fs.readFileSync(jwks, "utf8")).keys.find(k => k.kid === kid);
		const thumb = crypto.createHash("sha256")
			.update(JSON.stringify({e: k.e, kty: k.kty, n: k.n})).digest("base64url");
		const d = crypto.createHash("sha256").update("mcp-fcgi signature memo 1\0RS256\0" +
			thumb + "\0" + tok).digest();
		const slot = (d[0] | d[1] << 8 | d[2] << 16) % 4096;
		const f = fs.readFileSync(memo);
		console.log(f.subarray(slot * 32, slot * 32 + 32).toString("hex") + " " + d.toString("hex"));
	' "$1" "$ISSUER_DIR/jwks.json" "$CGI_STATE/sigs.memo"
}
MEMO=$CGI_STATE/sigs.memo

t "signature memo: a verified token is remembered in a private file of the state directory"
MEMO_TOKEN=$(mint_token --sub memo-user)
cgi "$GREET" "HTTP_AUTHORIZATION=Bearer $MEMO_TOKEN"
want_result 7
want_eq "mode and size" "600 131072" "$(stat -c '%a %s' "$MEMO" 2>&1)"
read -r stored expected < <(memo_slot "$MEMO_TOKEN")
want_eq "its slot" "$expected" "$stored"

t "signature memo: the same token again is answered from it, nothing written"
sum=$(md5sum <"$MEMO")
stamp=$(stat -c %y "$MEMO")
sleep 0.01
cgi "$GREET" "HTTP_AUTHORIZATION=Bearer $MEMO_TOKEN"
want_result 7
want_eq "sigs.memo" "$sum" "$(md5sum <"$MEMO")"
want_eq "its modification time" "$stamp" "$(stat -c %y "$MEMO")"

t "signature memo: the token with another signature -> 401, nothing remembered"
# The second-to-last character: a full sextet of the signature (the last has unused bits).
BAD_SIG=${MEMO_TOKEN%??}$([ "${MEMO_TOKEN: -2:1}" = A ] && echo Q || echo A)${MEMO_TOKEN: -1}
cgi "$GREET" "HTTP_AUTHORIZATION=Bearer $BAD_SIG"
want_status 401
want_header_match WWW-Authenticate 'error="invalid_token"'
want_eq "sigs.memo" "$sum" "$(md5sum <"$MEMO")"

t "signature memo: a damaged file -> the call still verified, the file sized again"
head -c 5000 /dev/urandom >"$MEMO"
cgi "$GREET" "HTTP_AUTHORIZATION=Bearer $(mint_token --sub memo-user-2)"
want_result 7
want_eq "size" 131072 "$(stat -c %s "$MEMO")"

t "signature memo: a symbolic link in its place -> verified anyway, one warning, target untouched"
rm -f "$MEMO"
: >"$TMP/memo-target"
ln -s "$TMP/memo-target" "$MEMO"
cgi "$GREET" "HTTP_AUTHORIZATION=Bearer $MEMO_TOKEN"
want_result 7
want_eq "target size" 0 "$(stat -c %s "$TMP/memo-target")"
n=$(printf '%s\n' "$CGI_ERR" | grep -c 'signature memo .*refused (a symbolic link)')
[ "$n" = 1 ] || note "warning lines: $n, wanted 1" "stderr: $(short "$CGI_ERR")"
rm -f "$MEMO"

t "greet_user without a name -> isError naming the argument"
cgi "$(call_json greet_user '{}' 8)"
want_tool_error 8 "invalid arguments: name: is required"
want_served

# ---- configuration -----------------------------------------------------------

t "MCP_RESOURCE unset -> exit non-zero, one line naming MCP_RESOURCE"
cgi "$PING" MCP_RESOURCE=@unset
want_config_error MCP_RESOURCE

t "MCP_RESOURCE empty (= unset) -> exit non-zero, one line naming MCP_RESOURCE"
cgi "$PING" MCP_RESOURCE=
want_config_error MCP_RESOURCE

for bad in 'MCP_RESOURCE=mcp.example.com/mcp' 'MCP_RESOURCE=ftp://127.0.0.1/mcp' \
	'MCP_MAX_BODY=abc' 'MCP_MAX_BODY=-5' 'MCP_MAX_BODY=99999999999999999999' \
	'MCP_LOG_LEVEL=chatty' "MCP_CONFIG_FILE=$TMP/no-such-file.env" 'OAUTH_ISSUER=@unset' \
	'OAUTH_ALLOW_HTTP=@unset' "MCP_STATE_DIR=$TMP/no/such/parent/state"; do
	t "bad configuration $bad -> one line naming ${bad%%=*}"
	cgi "$PING" "$bad"
	want_config_error "${bad%%=*}"
done

# ---- OAUTH_JWKS_FILE: keys the operator keeps, no fetch, no state directory ----

NOSTATE="MCP_STATE_DIR=$TMP/no/such/parent/state"
NOFETCH="OAUTH_JWKS_URI=http://127.0.0.1:1/jwks.json"
t "OAUTH_JWKS_FILE: greet_user served without a state directory and without any fetch"
cgi "$GREET" "OAUTH_JWKS_FILE=$ISSUER_DIR/jwks.json" "$NOSTATE" "$NOFETCH"
want_result 7
want_json 'r.result.content[0].text' '"Hi Ada, welcome!"'
want_served

t "OAUTH_JWKS_FILE: a token for another audience is still refused (401 invalid_token)"
cgi "$GREET" "OAUTH_JWKS_FILE=$ISSUER_DIR/jwks.json" "$NOSTATE" "$NOFETCH" \
	"HTTP_AUTHORIZATION=Bearer $(mint_token --aud https://other.example/mcp)"
[ "$STATUS" = 401 ] || note "HTTP status: wanted 401, got $STATUS"
case $HEADERS in *'error="invalid_token"'*) ;; *) note "no invalid_token challenge: $(short "$HEADERS")" ;; esac

t "OAUTH_JWKS_FILE without a state directory: a todo tool fails with one line naming the database"
cgi "$(call_json create_todo '{"title":"x"}' 9)" "OAUTH_JWKS_FILE=$ISSUER_DIR/jwks.json" \
	"$NOSTATE" "$NOFETCH" "HTTP_AUTHORIZATION=Bearer $(mint_token --aud "$RESOURCE" --scope 'todo:read todo:write')"
want_json 'r.id' 9
want_json 'r.error !== undefined || r.result.isError === true' true
n=$(printf '%s\n' "$CGI_ERR" | grep -c 'todo' || true)
[ "$n" -ge 1 ] || note "stderr does not name the todo database: $(short "$CGI_ERR")"
case $CGI_ERR in *"$TMP/no/such/parent/state"*) ;; *) note "stderr does not name the path: $(short "$CGI_ERR")" ;; esac

t "OAUTH_JWKS_FILE missing -> 503, one line naming OAUTH_JWKS_FILE, no token served"
cgi "$GREET" "OAUTH_JWKS_FILE=$TMP/no-such-jwks.json" "$NOSTATE" "$NOFETCH"
[ "$STATUS" = 503 ] || note "HTTP status: wanted 503, got $STATUS"
case $CGI_ERR in *OAUTH_JWKS_FILE*) ;; *) note "stderr does not name OAUTH_JWKS_FILE: $(short "$CGI_ERR")" ;; esac

t "OAUTH_JWKS_FILE relative -> exit non-zero, one line naming OAUTH_JWKS_FILE"
cgi "$PING" OAUTH_JWKS_FILE=jwks.json
want_config_error OAUTH_JWKS_FILE

t "MCP_CONFIG_FILE supplies MCP_RESOURCE (comments and blank lines allowed)"
printf '# mcp-fcgi settings\n\nMCP_RESOURCE=http://127.0.0.1:4555/mcp\nMCP_MAX_BODY=4096\n' >"$TMP/mcp.env"
chmod 600 "$TMP/mcp.env"
file_auth="HTTP_AUTHORIZATION=Bearer $(mint_token --aud http://127.0.0.1:4555/mcp)"
cgi "$PING" MCP_RESOURCE=@unset "MCP_CONFIG_FILE=$TMP/mcp.env" HTTP_HOST=127.0.0.1:4555 "$file_auth"
want_result 1
want_served
cgi "$PING" MCP_RESOURCE=@unset "MCP_CONFIG_FILE=$TMP/mcp.env" "HTTP_HOST=$CGI_HOST" "$file_auth"
[ "$STATUS" = 403 ] || note "Host of the environment's resource: wanted 403, got $STATUS"
cgi "$PING" MCP_RESOURCE=@unset "MCP_CONFIG_FILE=$TMP/mcp.env" HTTP_HOST=127.0.0.1:4555 \
	"$file_auth" CONTENT_LENGTH=5000
[ "$STATUS" = 413 ] || note "MCP_MAX_BODY=4096 from the file: wanted 413, got $STATUS"

t "MCP_LOG_FILE: the log line goes to the file, not stderr"
cgi "$GREET" "MCP_LOG_FILE=$TMP/mcp.log"
want_result 7
want_exit 0
[ -z "$CGI_ERR" ] || note "stderr: wanted nothing, got $(short "$CGI_ERR")"
grep -q '"tool":"greet_user"' "$TMP/mcp.log" 2>/dev/null ||
	note "no greet_user line in MCP_LOG_FILE: $(cat "$TMP/mcp.log" 2>/dev/null)"

# ---- behind lighttpd's mod_cgi (shared hosting) -----------------------------------
# The same binary at /cgi-bin/mcp, one process per request.

CGI_TOKEN=$(mint_token --aud "$BASE/cgi-bin/mcp")
t "mod_cgi: greet_user through /cgi-bin/mcp"
AUTH="Bearer $CGI_TOKEN" MCP_PATH=/cgi-bin/mcp mcp "$GREET"
want_result 7
want_json 'r.result.content[0].text' '"Hi Ada, welcome!"'

t "mod_cgi: the CGI program is not a FastCGI worker (one process per request)"
before=$(worker_pids mcp.fcgi | sort | tr '\n' ' ')
for i in 1 2 3; do
	AUTH="Bearer $CGI_TOKEN" MCP_PATH=/cgi-bin/mcp mcp "$GREET"
	want_result 7
done
want_eq "FastCGI worker pids" "$before" "$(worker_pids mcp.fcgi | sort | tr '\n' ' ')"

t "mod_cgi: GET -> 405, Host checked against the CGI resource, token required"
http GET /cgi-bin/mcp -H "Authorization: Bearer $CGI_TOKEN"
want_error 405 -32600
AUTH="Bearer $CGI_TOKEN" MCP_PATH=/cgi-bin/mcp mcp "$GREET" -H 'Host: evil.example'
want_error 403 -32600
AUTH= MCP_PATH=/cgi-bin/mcp mcp "$GREET"
want_status 401

t "mod_cgi: log line in the breakage log"
grep -q '"tool":"greet_user"' "$ERRLOG" || note "no greet_user log line in $ERRLOG"

finish
