#!/usr/bin/env bash
# test_transport.sh - the MCP Streamable HTTP transport and JSON-RPC rules,
# end to end: a real lighttpd, configured from lighttpd.conf.example by
# mkconf.sh, running cgi-bin/mcp.fcgi as FastCGI, driven with curl; or the
# server WEB names (see lib.sh).
#
# Hostile and refused requests come first; the last cases check that the
# same worker processes are still serving.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_programs mcp.fcgi wellknown.fcgi
server_start_or_finish
GREET=$(call_json greet_user '{"name":"Ada"}' 7)
PING='{"jsonrpc":"2.0","id":1,"method":"ping"}'
# mod_fcgid starts a worker with the first request (lighttpd at start; none
# under mod_cgi).
t "a first request is served"
mcp "$PING"
want_result 1
WORKERS=$(worker_pids mcp.fcgi | sort | tr '\n' ' ')

# ---- HTTP methods --------------------------------------------------------

# With a valid token, so that only the method decides.
for m in GET DELETE PUT PATCH; do
	t "$m /mcp -> 405, Allow: POST, OPTIONS, JSON error"
	http "$m" /mcp -H 'Accept: application/json, text/event-stream' -H "Authorization: Bearer $TOKEN"
	want_error 405 -32600
	want_header Allow 'POST, OPTIONS'
done

t "HEAD /mcp -> 405 with Allow"
http HEAD /mcp -H "Authorization: Bearer $TOKEN"
want_status 405
want_header Allow 'POST, OPTIONS'

# ---- the bearer token (the details are the token tests' business) ----------

PRM_RE="resource_metadata=\"$BASE/\.well-known/oauth-protected-resource(/mcp)?\""

t "POST without a token -> 401 with a Bearer challenge naming the metadata"
AUTH= mcp "$GREET"
want_status 401
want_header_match WWW-Authenticate "^Bearer .*$PRM_RE"
want_body_lacks 'Hi Ada'

t "POST with a malformed token -> 401 invalid_token"
AUTH='Bearer not.a.jwt' mcp "$GREET"
want_status 401
want_header_match WWW-Authenticate '^Bearer .*error="invalid_token"'
want_body_lacks 'Hi Ada'

t "POST with a token for another audience -> 401 invalid_token"
AUTH="Bearer $(mint_token --aud "$BASE/other")" mcp "$GREET"
want_status 401
want_header_match WWW-Authenticate '^Bearer .*error="invalid_token"'

t "POST with a token from another key -> 401 invalid_token"
mkdir -p "$TMP/rogue"
"$CLI" keygen --out "$TMP/rogue/key.pem" >/dev/null 2>&1
AUTH="Bearer $("$CLI" mint --key "$TMP/rogue/key.pem" --iss "$ISSUER" \
	--aud "$RESOURCE" --sub rogue --ttl 600)" mcp "$GREET"
want_status 401
want_header_match WWW-Authenticate '^Bearer .*error="invalid_token"'

t "the metadata names the resource and the issuer"
http GET /.well-known/oauth-protected-resource/mcp
want_status 200
want_json 'r.resource' "\"$RESOURCE\"" "r.authorization_servers.includes(\"$ISSUER\")" true

# ---- Host and Origin -----------------------------------------------------

t "Host of another site -> 403"
mcp "$PING" -H 'Host: evil.example'
want_error 403 -32600

t "Host with the wrong port -> 403"
mcp "$PING" -H "Host: 127.0.0.1:$((PORT == 65535 ? 1 : PORT + 1))"
want_error 403 -32600

t "Host localhost:PORT is allowed (loopback resource)"
mcp "$PING" -H "Host: localhost:$PORT"
want_result 1

t "Host [::1]:PORT is allowed (loopback resource)"
mcp "$PING" -H "Host: [::1]:$PORT"
want_result 1

t "Origin of another site -> 403"
mcp "$PING" -H 'Origin: http://evil.example'
want_error 403 -32600
want_no_header Access-Control-Allow-Origin

t "Origin null -> 403"
mcp "$PING" -H 'Origin: null'
want_error 403 -32600

t "Origin with the right host but https -> 403"
mcp "$PING" -H "Origin: https://127.0.0.1:$PORT"
want_error 403 -32600

t "Origin of the resource -> 200 with CORS headers"
mcp "$PING" -H "Origin: $BASE"
want_result 1
want_header Access-Control-Allow-Origin "$BASE"
want_header Access-Control-Expose-Headers 'WWW-Authenticate, Mcp-Session-Id, MCP-Protocol-Version, Retry-After, RateLimit-Policy, RateLimit'

t "Origin http://localhost:PORT is allowed (loopback resource)"
mcp "$PING" -H "Origin: http://localhost:$PORT"
want_result 1
want_header Access-Control-Allow-Origin "http://localhost:$PORT"

t "no Origin -> no CORS header"
mcp "$PING"
want_result 1
want_no_header Access-Control-Allow-Origin

t "OPTIONS preflight from the resource's origin -> 204"
http OPTIONS /mcp -H "Origin: $BASE" -H 'Access-Control-Request-Method: POST' \
	-H 'Access-Control-Request-Headers: content-type, mcp-protocol-version, authorization'
want_status 204
want_empty_body
want_header Access-Control-Allow-Origin "$BASE"
want_header Access-Control-Allow-Methods 'POST, OPTIONS'
want_header Access-Control-Allow-Headers \
	'Authorization, Content-Type, MCP-Protocol-Version, Mcp-Session-Id, Last-Event-ID'
want_header_match Access-Control-Max-Age '^[0-9]+$'
want_header_match Vary '(^|, *)Origin(,|$)'

t "OPTIONS preflight from another origin -> 403"
http OPTIONS /mcp -H 'Origin: http://evil.example' -H 'Access-Control-Request-Method: POST'
want_error 403 -32600
want_no_header Access-Control-Allow-Origin

# ---- Content-Type, Accept, MCP-Protocol-Version --------------------------

t "Content-Type text/plain -> 415"
CT=text/plain mcp "$PING"
want_error 415 -32600

t "Content-Type missing -> 415"
CT= mcp "$PING"
want_error 415 -32600

t "Content-Type application/jsonx -> 415"
CT=application/jsonx mcp "$PING"
want_error 415 -32600

t "Content-Type form (curl's default) -> 415"
http POST /mcp -H 'Accept: application/json' -H "Authorization: Bearer $TOKEN" --data-binary "$PING"
want_error 415 -32600

t "Content-Type Application/JSON; charset=UTF-8 -> accepted"
CT='Application/JSON; charset=UTF-8' mcp "$PING"
want_result 1

t "Accept text/html -> 406"
ACCEPT=text/html mcp "$PING"
want_error 406 -32600

t "Accept text/event-stream alone -> 406"
ACCEPT=text/event-stream mcp "$PING"
want_error 406 -32600

for a in '*/*' 'application/*' 'application/json' 'text/html;q=0.9, application/json;q=0.8'; do
	t "Accept $a -> accepted"
	ACCEPT=$a mcp "$PING"
	want_result 1
done

t "Accept missing -> accepted"
ACCEPT= mcp "$PING"
want_result 1

t "MCP-Protocol-Version 2099-01-01 -> 400"
mcp "$PING" -H 'MCP-Protocol-Version: 2099-01-01'
want_error 400 -32600

t "MCP-Protocol-Version garbage -> 400"
mcp "$PING" -H 'MCP-Protocol-Version: ../../etc'
want_error 400 -32600

for v in 2025-11-25 2025-06-18 2025-03-26 2024-11-05; do
	t "MCP-Protocol-Version $v -> accepted"
	mcp "$PING" -H "MCP-Protocol-Version: $v"
	want_result 1
done

t "unknown Mcp-Session-Id is ignored"
mcp "$PING" -H 'Mcp-Session-Id: 0123456789abcdef-no-such-session'
want_result 1

# ---- body size -----------------------------------------------------------

# pad_ping FILE SIZE: a valid ping request of exactly SIZE bytes.
pad_ping() {
	local head='{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_pad":"' tail='"}}'
	{
		printf '%s' "$head"
		head -c "$(($2 - ${#head} - ${#tail}))" /dev/zero | tr '\0' x
		printf '%s' "$tail"
	} >"$1"
}

pad_ping "$TMP/max.json" 1048576
t "body of exactly MCP_MAX_BODY (1048576, the default) -> served"
mcp_file "$TMP/max.json"
want_result 1

pad_ping "$TMP/over.json" 1048577
t "body one byte over MCP_MAX_BODY -> 413"
mcp_file "$TMP/over.json"
want_error 413 -32600

t "empty body -> 400 parse error"
mcp ''
want_error 400 -32700

# ---- JSON-RPC: parse errors and invalid envelopes --------------------------

for body in '{' '{"jsonrpc":"2.0","id":1,"method":"ping"' 'not json' \
	'{"jsonrpc":"2.0","id":1,"method":"ping"} trailing' "$(printf '\xff\xfe{}')"; do
	t "invalid JSON $(short "$body") -> 400 -32700"
	mcp "$body"
	want_error 400 -32700
done

t "deeply nested JSON -> 400 -32700, no crash"
head -c 100000 /dev/zero | tr '\0' '[' >"$TMP/deep.json"
mcp_file "$TMP/deep.json"
want_error 400 -32700

# The id is valid here: it may come back (or be null).
for body in '{"id":1,"method":"ping"}' '{"jsonrpc":"1.0","id":1,"method":"ping"}' \
	'{"jsonrpc":2,"id":1,"method":"ping"}' '{"jsonrpc":"2.0","id":1}' \
	'{"jsonrpc":"2.0","id":1,"method":5}' '{"jsonrpc":"2.0","id":1,"method":null}'; do
	t "invalid envelope $body -> 400 -32600"
	mcp "$body"
	want_error 400 -32600 1
done

# The id itself is invalid: null.
for body in '{"jsonrpc":"2.0","id":{},"method":"ping"}' '{"jsonrpc":"2.0","id":[1],"method":"ping"}' \
	'{"jsonrpc":"2.0","id":true,"method":"ping"}' '{"jsonrpc":"2.0","id":1.5,"method":"ping"}' \
	'"ping"' '42' 'null'; do
	t "invalid envelope $body -> 400 -32600, id null"
	mcp "$body"
	want_error 400 -32600
done

# ---- ids -----------------------------------------------------------------

for id in 0 -1 42 9007199254740991 -9007199254740991 '"abc"' '""' '"ü \" \\ x"'; do
	t "request id $id comes back exactly"
	mcp "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"ping\"}"
	want_result "$id"
	want_body_has "\"id\":$id"
done

# Beyond ±(2^53 - 1) a double (cJSON's number) cannot hold an integer
# exactly: such an id is refused as invalid, never answered altered.
for id in 9007199254740993 9223372036854775807 -9223372036854775808; do
	t "request id $id (beyond 2^53 - 1) -> 400 -32600, id null"
	mcp "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"ping\"}"
	want_error 400 -32600
done

# ---- notifications, responses, batches -------------------------------------

t "notifications/initialized -> 202, no body"
mcp '{"jsonrpc":"2.0","method":"notifications/initialized"}'
want_status 202
want_empty_body

t "unknown notification -> 202, no body"
mcp '{"jsonrpc":"2.0","method":"notifications/whatever","params":{}}'
want_status 202
want_empty_body

t "a JSON-RPC response from the client -> 202, no body"
mcp '{"jsonrpc":"2.0","id":5,"result":{}}'
want_status 202
want_empty_body

t "batch without MCP-Protocol-Version (2025-03-26) -> array of responses"
mcp '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":"b","method":"tools/list"}]'
want_status 200
want_json 'Array.isArray(r)' true 'r.length' 2 'r.map(x => x.id).sort()' '[1,"b"]' \
	'r.find(x => x.id === 1).result' '{}' \
	'r.find(x => x.id === "b").result.tools.some(x => x.name === "greet_user")' true

t "batch with MCP-Protocol-Version 2025-03-26 -> array of responses"
mcp '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"}]' \
	-H 'MCP-Protocol-Version: 2025-03-26'
want_status 200
want_json 'r' '[{"jsonrpc":"2.0","id":1,"result":{}}]'

t "batch with an invalid member -> its error beside the other response"
mcp '[{"jsonrpc":"2.0","id":1,"method":"ping"},1,{"jsonrpc":"2.0","id":2,"method":"nope"}]'
want_status 200
want_json 'r.length' 3 'r.find(x => x.id === 1).result' '{}' \
	'r.filter(x => x.id === null).map(x => x.error.code)' '[-32600]' \
	'r.find(x => x.id === 2).error.code' -32601

t "batch of notifications only -> 202, no body"
mcp '[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","method":"notifications/x"}]'
want_status 202
want_empty_body

for v in 2025-06-18 2025-11-25; do
	t "batch with MCP-Protocol-Version $v -> 400 -32600"
	mcp '[{"jsonrpc":"2.0","id":1,"method":"ping"}]' -H "MCP-Protocol-Version: $v"
	want_error 400 -32600
done

t "empty batch [] -> -32600 with id null"
mcp '[]'
if [ "$STATUS" != 400 ] && [ "$STATUS" != 200 ]; then note "HTTP status: wanted 400 or 200, got $STATUS"; fi
want_json 'r.id' null 'r.error.code' -32600

# ---- methods -------------------------------------------------------------

for v in 2025-11-25 2025-06-18 2025-03-26 2024-11-05; do
	t "initialize asking $v -> $v"
	mcp "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"$v\",\"capabilities\":{},\"clientInfo\":{\"name\":\"e2e\",\"version\":\"1\"}}}"
	want_result 1
	want_json 'r.result.protocolVersion' "\"$v\"" 'r.result.serverInfo.name' '"mcp-fcgi"' \
		'typeof r.result.serverInfo.version' '"string"' \
		'r.result.capabilities.tools' '{"listChanged":false}' \
		'r.result.capabilities.logging' '{}'
done

t "initialize asking an unknown version -> 2025-11-25"
mcp '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1999-01-01","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}'
want_result 1
want_json 'r.result.protocolVersion' '"2025-11-25"'

t "ping -> {}"
mcp '{"jsonrpc":"2.0","id":"p","method":"ping"}'
want_result '"p"'
want_json 'r.result' '{}'

t "tools/list -> greet_user with title, description, inputSchema, annotations"
mcp '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
want_result 2
want_json 'r.result.tools.filter(x => x.name === "greet_user").length' 1 \
	'(x => typeof x.title)(r.result.tools.find(x => x.name === "greet_user"))' '"string"' \
	'(x => typeof x.description)(r.result.tools.find(x => x.name === "greet_user"))' '"string"' \
	'(x => x.inputSchema.type)(r.result.tools.find(x => x.name === "greet_user"))' '"object"' \
	'(x => x.inputSchema.properties.name.type)(r.result.tools.find(x => x.name === "greet_user"))' '"string"' \
	'(x => x.inputSchema.required)(r.result.tools.find(x => x.name === "greet_user"))' '["name"]' \
	'(x => typeof x.annotations)(r.result.tools.find(x => x.name === "greet_user"))' '"object"'

t "unknown method -> 200 -32601"
mcp '{"jsonrpc":"2.0","id":3,"method":"resources/list"}'
want_rpc_error -32601 3

t "logging/setLevel debug -> {}"
mcp '{"jsonrpc":"2.0","id":4,"method":"logging/setLevel","params":{"level":"debug"}}'
want_result 4
want_json 'r.result' '{}'

for lv in '"bogus"' '5' 'null'; do
	t "logging/setLevel level $lv -> -32602"
	mcp "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"logging/setLevel\",\"params\":{\"level\":$lv}}"
	want_rpc_error -32602 4
done

t "logging/setLevel without params -> -32602"
mcp '{"jsonrpc":"2.0","id":4,"method":"logging/setLevel"}'
want_rpc_error -32602 4

# ---- tools/call greet_user ------------------------------------------------

t "greet_user Ada -> Hi Ada, welcome!"
mcp "$GREET"
want_result 7
want_json 'r.result.content' '[{"type":"text","text":"Hi Ada, welcome!"}]' \
	'r.result.isError === undefined || r.result.isError === false' true

t "greet_user keeps UTF-8 and escapes quotes"
mcp "$(call_json greet_user '{"name":"Zoë \"Z\" \\\\ 𝄞"}')"
want_result 1
want_json 'r.result.content[0].text' '"Hi Zoë \"Z\" \\\\ 𝄞, welcome!"'

t "greet_user with an unknown extra argument -> served"
mcp "$(call_json greet_user '{"name":"Ada","mood":"happy"}')"
want_result 1
want_json 'r.result.content[0].text' '"Hi Ada, welcome!"'

name256=$(head -c 256 /dev/zero | tr '\0' n)
t "greet_user name of 256 characters -> served"
mcp "$(call_json greet_user "{\"name\":\"$name256\"}")"
want_result 1
want_json 'r.result.content[0].text' "\"Hi $name256, welcome!\""

# 2025-11-25, tools "Error Handling": arguments that break the input schema are a tool
# error naming the argument and the rule, so the model can correct itself and retry.
while IFS='|' read -r args why; do
	t "greet_user arguments $(short "$args") -> isError: $why"
	mcp "$(call_json greet_user "$args" 8)"
	want_tool_error 8 "invalid arguments: $why"
done <<EOF_ARGS
{}|name: is required
{"name":""}|name: must be at least 1 characters
{"name":"${name256}n"}|name: must be at most 256 characters
{"name":42}|name: must be of type string
{"name":null}|name: must be of type string
{"name":["Ada"]}|name: must be of type string
[]|arguments: must be of type object
"Ada"|arguments: must be of type object
EOF_ARGS

t "greet_user without arguments -> isError: name is required"
mcp '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"greet_user"}}'
want_tool_error 8 "invalid arguments: name: is required"

t "tools/call of an unknown tool -> -32602"
mcp "$(call_json no_such_tool '{}' 9)"
want_rpc_error -32602 9

t "tools/call without params -> -32602"
mcp '{"jsonrpc":"2.0","id":9,"method":"tools/call"}'
want_rpc_error -32602 9

t "tools/call without a tool name -> -32602"
mcp '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"arguments":{"name":"Ada"}}}'
want_rpc_error -32602 9

t "tools/call with a non-string tool name -> -32602"
mcp '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":7}}'
want_rpc_error -32602 9

# ---- the log -------------------------------------------------------------

t "control characters in a method name -> -32601, escaped in the log"
mcp '{"jsonrpc":"2.0","id":10,"method":"evil\u0007\n\u001b[31mINJECTED"}'
want_rpc_error -32601 10
sleep 0.2
if grep -q "$(printf '\033')" "$ERRLOG"; then note "a raw ESC reached the log"; fi
if grep 'INJECTED' "$ERRLOG" | grep -qv '^{'; then note "a raw line break reached the log"; fi

# A method of 40 two-byte characters is longer than the audit line's method
# field: cut at a character boundary, the line stays valid UTF-8 (finish()
# checks every line of every log).
t "a long UTF-8 method name -> -32601; its audit line is cut between characters"
long=$(printf 'é%.0s' $(seq 40))
mcp "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"$long\"}"
want_rpc_error -32601 11
sleep 0.2
grep -q "\"method\":\"$(printf 'é%.0s' $(seq 31))\"" "$ERRLOG" ||
	note "no audit line with the method cut to 31 characters (62 bytes)"

# A token's claims are not checked for UTF-8 (only their JSON): one that is
# accepted with a client id of Latin-1 bytes is audited in valid UTF-8.
t "a client id that is not UTF-8 -> served, audited with U+FFFD"
AUTH="Bearer $(mint_token --client-id "$(printf 'caf\351')")" mcp "$GREET"
want_result 7
sleep 0.2
grep -q '"client_id":"caf'"$(printf '\357\277\275')"'"' "$ERRLOG" ||
	note "no audit line with client_id caf<U+FFFD>"

# Ids are echoed as written or refused (JSON-RPC 2.0 §5: the same id).
t "id 1e2, -0 or 1.0 -> 400 -32600 with id null (it would not come back as written)"
for id in 1e2 -0 1.0; do
	mcp "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"ping\"}"
	want_status 400
	want_json 'r.id' null 'r.error.code' -32600
done
t "id 12345678901234 -> echoed as written"
mcp '{"jsonrpc":"2.0","id":12345678901234,"method":"ping"}'
want_result 12345678901234
grep -q '"id":12345678901234,' "$RESP_BODY" || note "body: $(cat "$RESP_BODY")"

t "one JSON log line per request: method, tool, status, duration_us"
out=$(node -e '
	const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n")
		.filter(l => l.startsWith("{"));
	let bad = 0, calls = 0;
	for (const l of lines) {
		let j;
		try { j = JSON.parse(l); } catch (e) { console.log("not JSON: " + l); bad = 1; continue; }
		if (j.method === "tools/call" && j.tool === "greet_user" && j.status === 200 &&
		    typeof j.duration_us === "number" && typeof j.time === "string") calls++;
	}
	if (calls < 3) { console.log("want >= 3 greet_user log lines with status 200, found " + calls); bad = 1; }
	process.exit(bad);
' "$ERRLOG" 2>&1) || note "$out"

# ---- the metadata program and the document root ------------------------------

t "GET /health -> 200"
http GET /health
want_status 200

for p in /.well-known/oauth-protected-resource /.well-known/oauth-protected-resource/mcp; do
	t "GET $p -> 200 JSON naming the resource"
	http GET "$p"
	want_status 200
	want_header_match Content-Type '^application/json'
	want_json 'r.resource' "\"$RESOURCE\""
done

t "GET / -> the resource documentation page"
http GET /
want_status 200
want_header_match Content-Type '^text/html'
want_body_has 'mcp-fcgi'

# ---- still serving, same processes ---------------------------------------------

t "after all of the above the same workers still serve"
mcp "$GREET"
want_result 7
want_eq "worker pids" "$WORKERS" "$(worker_pids mcp.fcgi | sort | tr '\n' ' ')"

# ---- configured origins, hosts and body limit ------------------------------------

if server_start --env 'MCP_ALLOWED_ORIGINS=https://app.example http://localhost:6274' \
	--env 'MCP_ALLOWED_HOSTS=mcp.example other.example:8443' --env MCP_MAX_BODY=4096; then
	t "MCP_ALLOWED_ORIGINS: an added origin is allowed"
	mcp "$PING" -H 'Origin: https://app.example'
	want_result 1
	want_header Access-Control-Allow-Origin 'https://app.example'

	t "MCP_ALLOWED_ORIGINS: the second added origin is allowed"
	mcp "$PING" -H 'Origin: http://localhost:6274'
	want_result 1

	t "MCP_ALLOWED_ORIGINS: the resource's origin stays allowed"
	mcp "$PING" -H "Origin: $BASE"
	want_result 1

	t "MCP_ALLOWED_ORIGINS: other origins still refused"
	mcp "$PING" -H 'Origin: https://app.example.evil'
	want_error 403 -32600

	t "MCP_ALLOWED_HOSTS: added hosts are allowed"
	mcp "$PING" -H 'Host: mcp.example'
	want_result 1
	mcp "$PING" -H 'Host: other.example:8443'
	want_result 1

	t "MCP_ALLOWED_HOSTS: other hosts still refused"
	mcp "$PING" -H 'Host: mcp.example.evil'
	want_error 403 -32600

	pad_ping "$TMP/4096.json" 4096
	pad_ping "$TMP/4097.json" 4097
	t "MCP_MAX_BODY=4096: 4096 bytes served"
	mcp_file "$TMP/4096.json"
	want_result 1

	t "MCP_MAX_BODY=4096: 4097 bytes -> 413"
	mcp_file "$TMP/4097.json"
	want_error 413 -32600
else
	t "$WEB starts with added origins, hosts and body limit"
	note "see the error log above"
fi

# ---- a bad configuration never serves ---------------------------------------------
# Without the development issuer (its URL derives from MCP_RESOURCE): an
# issuer that is never contacted, since the program stops at start-up.

for bad in 'MCP_MAX_BODY=lots' 'MCP_RESOURCE=not a url' 'MCP_LOG_LEVEL=chatty' \
	'OAUTH_ISSUER=' 'OAUTH_ISSUER=http://issuer.example' 'MCP_TOOL_SCOPES=greet_user=' \
	'OAUTH_TOKEN_TYPES=id_token+jwt'; do
	var=${bad%%=*}
	issuer=https://issuer.example
	[ "$var" = OAUTH_ISSUER ] && issuer=${bad#*=}
	t "bad configuration '$bad': no MCP service, error log names $var"
	if SRV_DEV_ISSUER=0 server_start --env "OAUTH_ISSUER=$issuer" --env "$bad" 2>/dev/null; then
		mcp "$GREET"
		# lighttpd may still be going down: no connection counts as refusal.
		case $STATUS in 5?? | 000) ;; *) note "POST /mcp: wanted 5xx or no service, got $STATUS $(short "$BODY")" ;; esac
	fi
	# The programs' lines before their log file is open go to the server's log.
	grep -qs "$var" "$ERRLOG" "${SRV_LOGS[@]}" ||
		note "the error log does not name $var:" "$(tail -n 5 "$ERRLOG" "${SRV_LOGS[@]}")"
	server_stop
done

# A configuration file inside the document root could be downloaded: a FastCGI
# worker learns the document root from its first request, and then refuses to
# serve, with one log line, as a CGI run refuses at start (test_web.sh checks
# that under apache-cgi, where the programs run as CGI).
mkdir -p "$TMP/docroot"
printf '# the operator put this where the web server serves files\nMCP_LOG_LEVEL=info\n' \
	>"$TMP/docroot/mcp.env"
chmod 600 "$TMP/docroot/mcp.env"
chmod 755 "$TMP/docroot"
started=1
case $WEB in
lighttpd)
	SRV_APPEND="server.document-root := \"$TMP/docroot\"" server_start --max-procs 1 \
		--env "MCP_CONFIG_FILE=$TMP/docroot/mcp.env" || started=0
	;;
apache-cgi) started=2 ;;
*)
	# The harness writes the programs' settings into that file.
	SRV_DOCROOT=$TMP/docroot SRV_CONFIG_FILE=$TMP/docroot/mcp.env server_start --max-procs 1 ||
		started=0
	;;
esac
if [ $started = 1 ]; then
	t "MCP_CONFIG_FILE inside the document root (FastCGI) -> 500, tool not run"
	mcp "$GREET"
	want_status 500
	want_body_lacks 'Hi Ada'
	t "... and the metadata program refuses too"
	http GET "/.well-known/oauth-protected-resource/mcp"
	want_status 500
	want_body_lacks '"resource"'
	t "... with one log line per worker (one of each program) naming the file and the root"
	mcp "$GREET"
	want_status 500
	http GET "/.well-known/oauth-protected-resource/mcp"
	want_status 500
	sleep 0.2
	want_eq "log lines" 2 "$(cat "$ERRLOG" "${SRV_LOGS[@]}" 2>/dev/null |
		grep -c "MCP_CONFIG_FILE: [^ ]*/docroot/mcp.env lies inside the document root [^ ]*/docroot")"
elif [ $started = 0 ]; then
	t "$WEB starts with MCP_CONFIG_FILE in the document root"
	note "see the error log above"
else
	echo "FastCGI only (WEB=$WEB): the configuration file in the document root; test_web.sh has the CGI case"
fi
server_stop

finish
