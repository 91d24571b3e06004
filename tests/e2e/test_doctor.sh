#!/usr/bin/env bash
# test_doctor.sh - `mcp-fcgi-cli doctor <MCP URL> [--token T]` against a
# good deployment and deliberately broken ones, each a real lighttpd with
# the FastCGI programs (lib.sh's server_start):
#
#   good          every check passes (exit 0); with good tokens too, and the
#                 token never shows in the output; bad tokens are named
#                 (audience, expiry, scopes, signature); a wrong path (404);
#                 the authorization server found through its OpenID
#                 configuration, then not found at all
#   resource      MCP_RESOURCE with a trailing slash the URL lacks
#   header        a lighttpd rule that removes the Authorization header
#   server JWKS   OAUTH_JWKS_URI at a dead loopback port (the endpoint has no keys)
#   AS JWKS       the authorization server's jwks_uri at a dead loopback port
#   issuer        the authorization server's metadata names another issuer
#   dev issuer    the development issuer alone: no endpoints, no PKCE
#   nothing       no server at all; usage errors
#
# Each broken deployment asserts the exit status 1 and the FAIL line that
# names the broken thing.
#
# The authorization server of the good deployment is a complete one as seen
# from outside: its RFC 8414 metadata (written here, served by the same
# lighttpd at /.well-known/oauth-authorization-server/as) lists the
# authorization, token and registration endpoints and PKCE S256, as a real
# one (oidc-provider, Scalekit) does, and its jwks_uri is the development
# issuer's key set, whose key mints the tokens.  The doctor reads the
# documents and never calls those endpoints, so none is served.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_programs mcp.fcgi wellknown.fcgi
if ! lighttpd_only "the deployments are lighttpd configurations (SRV_APPEND)"; then
	finish
fi

SCOPES='todo:read todo:write'
# The authorization server "as": its metadata file, re-read at every request.
# Its OpenID configuration (OpenID Connect Discovery 1.0 §4) is served when
# a case moves the file to openid.json.
AS_APPEND='alias.url += ( "/.well-known/oauth-authorization-server/as" => "@DIR@/as/metadata.json",
  "/as/.well-known/openid-configuration" => "@DIR@/as/openid.json" )
server.stat-cache-engine = "disable"'
AS_ENV=(--env 'OAUTH_ISSUER=http://127.0.0.1:@PORT@/as'
	--env 'OAUTH_JWKS_URI=http://127.0.0.1:@PORT@/dev-issuer/jwks.json'
	--env OAUTH_ALLOW_HTTP=1 --env "MCP_SCOPES_SUPPORTED=$SCOPES")
# RFC 6750 §2.1's header, removed before the request reaches the programs.
STRIP_AUTH='setenv.set-request-header = ( "Authorization" => "" )'

# as_metadata [ISSUER [JWKS_URI]]: writes the metadata of the authorization
# server of the running server (default issuer $BASE/as, the development
# issuer's key set).
as_metadata() {
	local iss=${1:-$BASE/as} jwks=${2:-$BASE/dev-issuer/jwks.json}
	mkdir -p "$SRV_DIR/as"
	cat >"$SRV_DIR/as/metadata.json" <<-EOF
		{
		  "issuer": "$iss",
		  "authorization_endpoint": "$BASE/as/authorize",
		  "token_endpoint": "$BASE/as/token",
		  "registration_endpoint": "$BASE/as/register",
		  "jwks_uri": "$jwks",
		  "response_types_supported": ["code"],
		  "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
		  "code_challenge_methods_supported": ["S256"],
		  "token_endpoint_auth_methods_supported": ["client_secret_basic", "none"],
		  "scopes_supported": ["todo:read", "todo:write"]
		}
	EOF
}

# as_start [SRV_APPEND extra] [mkconf options...]: a server whose issuer is
# the authorization server "as", its metadata written.
as_start() {
	local extra=$1
	shift
	SRV_APPEND="$AS_APPEND
$extra" server_start "${AS_ENV[@]}" "$@" || return 1
	as_metadata
}

# as_token [mint options...]: a token from "as" for RESOURCE with both scopes.
as_token() {
	mint_token --iss "$BASE/as" --scope "$SCOPES" "$@"
}

# doctor [ARGS...]: runs the doctor on $BASE/mcp; sets OUT and RC.
doctor() {
	OUT=$("$CLI" doctor "$BASE/mcp" "$@" 2>&1 </dev/null)
	RC=$?
}

# show: the doctor's output as note lines.
show() {
	local line
	note "doctor's output:"
	while IFS= read -r line; do note "  $line"; done <<<"$OUT"
}

want_rc() {
	[ "$RC" = "$1" ] || { note "exit status: wanted $1, got $RC" && show; }
}

# want_line REGEX: a line of the output matches REGEX (extended).
want_line() {
	grep -Eq -- "$1" <<<"$OUT" || { note "wanted a line /$1/" && show; }
}

want_no_line() {
	! grep -Eq -- "$1" <<<"$OUT" || { note "wanted no line /$1/" && show; }
}

# want_failed N: the summary counts N failed checks.
want_failed() {
	want_line "^[0-9]+ passed, $1 failed, [0-9]+ notes$"
}

# ---- the good deployment -----------------------------------------------------

if as_start ""; then
	t "good deployment: every check passes, exit status 0"
	doctor
	want_rc 0
	want_no_line '^(FAIL|SKIP|NOTE)'
	want_line '^13 passed, 0 failed, 0 notes$'
	for check in 'POST challenge' 'GET challenge' 'resource metadata' 'resource' \
		'authorization servers' 'authorization server' 'issuer' 'endpoints' 'PKCE' \
		'registration' 'JWKS' 'CORS' 'Authorization header'; do
		want_line "^PASS  $check: "
	done

	t "good deployment, good token: token lines pass, the token is never printed"
	tok=$(as_token)
	doctor --token "$tok"
	want_rc 0
	want_line '^19 passed, 0 failed, 0 notes$'
	for check in accepted audience issuer expiry scopes signature; do
		want_line "^PASS  token $check: "
	done
	case $OUT in *"$tok"* | *"${tok##*.}"*) note "the token (or its signature) is in the output" ;; esac

	t "--token - reads the token from stdin"
	OUT=$("$CLI" doctor "$BASE/mcp" --token - 2>&1 <<<"$tok")
	RC=$?
	want_rc 0
	want_line '^PASS  token signature: '

	t "token for another resource: the audience is named"
	doctor --token "$(as_token --aud "$BASE/other")"
	want_rc 1
	want_line "^FAIL  token audience: aud is $BASE/other, not $BASE/mcp"
	want_line '^FAIL  token accepted: .*invalid_token'
	want_line '^      fix: request the token for this resource'

	t "expired token: the expiry is named"
	tok=$(as_token --ttl 1)
	sleep 2
	doctor --token "$tok"
	want_rc 1
	want_line '^FAIL  token expiry: expired [0-9]+ s ago'
	want_line '^PASS  token signature: '

	t "token without the server's scopes: the scopes are named"
	doctor --token "$(as_token --scope other:scope)"
	want_rc 1
	want_line '^FAIL  token scopes: holds none of the scopes the server names \(todo:read todo:write\)'
	doctor --token "$(as_token --scope todo:read)"
	want_rc 0
	want_line '^NOTE  token scopes: holds todo:read; lacks todo:write'

	t "token signed by a key the issuer does not publish: the signature is named"
	"$CLI" keygen --out "$TMP/other.pem" >/dev/null
	doctor --token "$("$CLI" mint --key "$TMP/other.pem" --iss "$BASE/as" --aud "$BASE/mcp" \
		--scope "$SCOPES")"
	want_rc 1
	want_line '^FAIL  token signature: '
	want_line '^FAIL  token accepted: '

	t "a wrong path: the 404 is named"
	OUT=$("$CLI" doctor "$BASE/nope" 2>&1)
	RC=$?
	want_rc 1
	want_line '^FAIL  POST challenge: nothing at this URL \(404\)'
	want_line "^      fix: check the URL's path"

	t "an authorization server with OpenID configuration only: found there, every check passes"
	mv "$SRV_DIR/as/metadata.json" "$SRV_DIR/as/openid.json"
	doctor
	want_rc 0
	want_line "^PASS  authorization server: $BASE/as/.well-known/openid-configuration answers"
	rm -f "$SRV_DIR/as/openid.json"
	doctor
	want_rc 1
	want_line "^FAIL  authorization server: no metadata for $BASE/as \\($BASE/.well-known/oauth-authorization-server/as: HTTP status 404"
	want_line '^SKIP  JWKS: '
	as_metadata

	t "issuer mismatch: the authorization server's metadata names another issuer"
	as_metadata "http://localhost:$PORT/as"
	doctor
	want_rc 1
	want_line "^FAIL  issuer: the metadata's issuer is http://localhost:$PORT/as, not $BASE/as .*the host differs"
	want_failed 1

	t "the authorization server's jwks_uri unreachable: JWKS is named"
	as_metadata "$BASE/as" "http://127.0.0.1:$(free_port)/jwks.json"
	doctor
	want_rc 1
	want_line '^FAIL  JWKS: jwks_uri http://127.0.0.1:[0-9]+/jwks.json: network error'
	want_failed 1
	as_metadata
else
	t "good deployment starts"
	note "server_start failed"
fi

# ---- broken deployments --------------------------------------------------------

t "resource mismatch (MCP_RESOURCE with a trailing slash): resource is named"
if as_start "" --env 'MCP_RESOURCE=http://127.0.0.1:@PORT@/mcp/'; then
	doctor
	want_rc 1
	want_line "^FAIL  resource: \"resource\" is $BASE/mcp/, not $BASE/mcp: the path differs by a trailing slash"
	want_line "^      fix: set MCP_RESOURCE to exactly $BASE/mcp"
	want_failed 1
else
	note "server_start failed"
fi

t "Authorization header stripped by the web server: the header is named"
if as_start "$STRIP_AUTH"; then
	doctor
	want_rc 1
	want_line '^FAIL  Authorization header: does not reach the program'
	want_line '^      fix: pass the header on'
	want_failed 1
else
	note "server_start failed"
fi

t "the endpoint's JWKS unreachable (OAUTH_JWKS_URI at a dead port): signing keys are named"
if as_start "" --env "OAUTH_JWKS_URI=http://127.0.0.1:$(free_port)/jwks.json"; then
	doctor
	want_rc 1
	want_line '^FAIL  signing keys: .*cannot fetch its JWKS'
	want_failed 1
else
	note "server_start failed"
fi

t "the development issuer alone: the missing endpoints and PKCE are named"
if server_start; then
	doctor
	want_rc 1
	want_line '^FAIL  endpoints: the metadata has no authorization_endpoint and no token_endpoint'
	want_line '^FAIL  PKCE: '
	want_line '^NOTE  registration: no registration_endpoint: clients must be pre-registered'
	want_failed 2
else
	note "server_start failed"
fi

t "nothing listening: the challenge checks fail, later ones are skipped, exit status 1"
BASE=http://127.0.0.1:$(free_port)
doctor
want_rc 1
want_line '^FAIL  POST challenge: no answer: network error'
want_line '^SKIP  resource metadata: '

t "usage errors: exit status 2"
OUT=$("$CLI" doctor 2>&1)
RC=$?
want_rc 2
OUT=$("$CLI" doctor not-a-url 2>&1)
RC=$?
want_rc 2

finish
