#!/usr/bin/env bash
# test_oauth.sh - the OAuth 2.1 resource server, end to end: a real lighttpd (or the server WEB names, see lib.sh)
# configured from lighttpd.conf.example by mkconf.sh, running mcp.fcgi and
# wellknown.fcgi as FastCGI, with the development issuer served by the same
# lighttpd; driven with curl.
#
#   server 1  challenges without a token, the protected resource metadata,
#             /health, good tokens (greet_user, whoami), key rotation through
#             the server, hostile tokens, nothing of a token in the logs
#   server 2  a flood of forged kids (at most one JWKS fetch), then a crowd of
#             16 cold CGI processes against its issuer (exactly one fetch)
#   server 3  a JWKS URL that 404s: /health 503, requests 503
#   server 4  short key lifetimes: the issuer goes down, stale keys serve,
#             then fail closed (503), then the issuer comes back
#   server 5  configured only with Scalekit's variable names
#   no server misconfigurations stop mcp.fcgi (as CGI) with one line
#
# Requests to the issuer are counted in lighttpd's access log (see
# fetches()).  Every sleep is bounded and short; every process is stopped by
# its pid.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_programs mcp.fcgi wellknown.fcgi
command -v node >/dev/null 2>&1 || {
	t "node is installed (builds the hand-made tokens)"
	note "node not found"
	finish
}

SCOPES='todo:read todo:write'
GREET=$(call_json greet_user '{"name":"Ada"}' 7)
WHOAMI=$(call_json whoami '{}' 8)
printf '%s' "$GREET" >"$TMP/greet.json"
# lighttpd's stat cache may hand out a file's old size for a moment after the
# issuer's files change under it; the tests change them on purpose.  (Apache
# and nginx, as configured, cache no file metadata.)
NO_STAT_CACHE=""
[ "$WEB" != lighttpd ] || NO_STAT_CACHE='server.stat-cache-engine = "disable"'
CGI_TIMEOUT=10
[ "${MCP_SANITIZE:-0}" = 1 ] && CGI_TIMEOUT=30

# ---- helpers -------------------------------------------------------------

# jwt.js MODE KEYFILE KID ISS AUD [N]: prints N (default 1) hand-made tokens
# with valid claims for ISS and AUD:
#   none              alg "none", empty signature (RFC 7519 §6 unsecured)
#   none-sig          alg "none" with a non-empty (meaningless) signature
#   hs256-spki        HS256 keyed with the public key of KEYFILE as SPKI PEM
#   hs256-pkcs1       the same with the PKCS#1 PEM
#   rs256             RS256 signed with KEYFILE (a private key PEM)
#   rs256-random-kid  RS256 with a fresh unpublished key, a random kid each
# KID "" leaves the kid out (random-kid makes its own).
cat >"$TMP/jwt.js" <<'EOF'
const crypto = require("crypto"), fs = require("fs");
const [mode, keyfile, kid, iss, aud, n = "1"] = process.argv.slice(2);
const b64 = (s) => Buffer.from(s).toString("base64url");
const now = Math.floor(Date.now() / 1000);
let key = null;
if (mode === "rs256") key = crypto.createPrivateKey(fs.readFileSync(keyfile));
if (mode === "rs256-random-kid")
	key = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
for (let i = 0; i < Number(n); i++) {
	const alg = mode.startsWith("none") ? "none" : mode.startsWith("hs256") ? "HS256" : "RS256";
	const k = mode === "rs256-random-kid" ? crypto.randomBytes(16).toString("base64url") : kid;
	const h = { alg, typ: "at+jwt" };
	if (k) h.kid = k;
	const p = { iss, aud, sub: "forger", client_id: "forger", iat: now, exp: now + 600,
		jti: crypto.randomBytes(12).toString("base64url") };
	const input = b64(JSON.stringify(h)) + "." + b64(JSON.stringify(p));
	let sig = mode === "none-sig" ? Buffer.from("signature").toString("base64url") : "";
	if (mode.startsWith("hs256")) {
		const pem = crypto.createPublicKey(fs.readFileSync(keyfile))
			.export({ type: mode === "hs256-spki" ? "spki" : "pkcs1", format: "pem" });
		sig = crypto.createHmac("sha256", pem).update(input).digest("base64url");
	} else if (key) {
		sig = crypto.sign("sha256", Buffer.from(input), key).toString("base64url");
	}
	console.log(input + "." + sig);
}
EOF
jwt() { node "$TMP/jwt.js" "$@"; }

# issuer_kid: the kid of the development issuer's (first) published key.
issuer_kid() {
	node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).keys[0].kid)' \
		"$ISSUER_DIR/jwks.json"
}

# raw_head PATH: HEAD PATH over a bare HTTP/1.0 connection, since curl never
# reads a body after HEAD; sets STATUS, HEADERS and BODY (whatever came after
# the header block) like http.
raw_head() {
	timeout -k 1 "$CURL_MAX_TIME" bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "HEAD %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n" "$2" "$1" >&3
		cat <&3' raw_head "$PORT" "$1" >"$TMP/raw.out" 2>/dev/null
	HEADERS=$(awk '{ sub(/\r$/, "") } /^$/ { exit } { print }' "$TMP/raw.out")
	awk 'f { print } /^\r?$/ { f = 1 }' "$TMP/raw.out" >"$RESP_BODY"
	BODY=$(cat "$RESP_BODY")
	STATUS=$(head -n 1 <<<"$HEADERS" | awk '{ print $2 }')
	[ -n "$STATUS" ] || STATUS=000
}

# want_challenge [ERROR]: the WWW-Authenticate header is exactly the Bearer
# challenge of this server: without error= when ERROR is empty, else with
# error="ERROR" and a non-empty error_description.
want_challenge() {
	local got want desc
	got=$(header_value WWW-Authenticate)
	want="Bearer realm=\"mcp\""
	if [ -n "${1:-}" ]; then
		want+=", error=\"$1\", error_description=\"...\""
		desc=$(printf '%s' "$got" | sed -n 's/.*, error_description="\([^"]*\)".*/\1/p')
		[ -n "$desc" ] || note "WWW-Authenticate: no (or an empty) error_description: '$got'"
		got=$(printf '%s' "$got" | sed 's/, error_description="[^"]*"/, error_description="..."/')
	fi
	want+=", scope=\"$SCOPES\", resource_metadata=\"$BASE/.well-known/oauth-protected-resource/mcp\""
	want_eq WWW-Authenticate "$want" "$got"
}

# want_401 [ERROR]: 401, the exact challenge, a JSON error body, no result.
want_401() {
	want_status 401
	want_challenge "${1:-}"
	want_header_match Content-Type '^application/json'
	want_json 'r.error' "\"${1:-unauthorized}\"" 'typeof r.error_description' '"string"' \
		'"result" in r' false
	want_body_lacks 'Hi Ada'
}

# ==== server 1: challenges, metadata, health, good and bad tokens ===========

if ! SRV_APPEND=$NO_STAT_CACHE server_start --env "MCP_SCOPES_SUPPORTED=$SCOPES"; then
	t "$WEB starts with MCP_SCOPES_SUPPORTED"
	note "see the error log above"
	finish
fi
SENT=("$TOKEN") # every token sent in an Authorization header, for the log check
PRM=/.well-known/oauth-protected-resource

# ---- 1. no token ---------------------------------------------------------

for m in POST GET DELETE; do
	t "$m /mcp without a token -> 401, exact challenge without error=, JSON body"
	if [ $m = POST ]; then
		AUTH= mcp "$GREET"
	else
		http $m /mcp -H 'Accept: application/json, text/event-stream'
	fi
	want_401
done

t "OPTIONS preflight without a token -> 204, no challenge"
http OPTIONS /mcp -H "Origin: $BASE" -H 'Access-Control-Request-Method: POST' \
	-H 'Access-Control-Request-Headers: authorization, content-type'
want_status 204
want_empty_body
want_no_header WWW-Authenticate
want_header Access-Control-Allow-Origin "$BASE"

# ---- 3. protected resource metadata (RFC 9728) -----------------------------

http GET "$PRM"
PRM_ROOT_BODY=$BODY
PRM_ROOT_LEN=$(wc -c <"$RESP_BODY")
for p in "$PRM" "$PRM/mcp"; do
	t "GET $p -> 200, the RFC 9728 document, cacheable, CORS"
	http GET "$p"
	want_status 200
	want_header_match Content-Type '^application/json'
	want_json 'r.resource' "\"$RESOURCE\"" 'r.authorization_servers' "[\"$ISSUER\"]" \
		'r.bearer_methods_supported' '["header"]' \
		'r.scopes_supported' '["todo:read","todo:write"]' \
		'r.resource_documentation' "\"$BASE/\""
	want_header_match Cache-Control '(^|[ ,])max-age=[0-9]+([ ,]|$)'
	want_header Access-Control-Allow-Origin '*'
	want_eq "body equal to that of $PRM" "$PRM_ROOT_BODY" "$BODY"

	t "HEAD $p -> the same headers as GET, no body"
	GET_CT=$(header_value Content-Type)
	GET_CC=$(header_value Cache-Control)
	raw_head "$p"
	want_status 200
	want_empty_body
	want_header Content-Type "$GET_CT"
	want_header Cache-Control "$GET_CC"
	want_header Access-Control-Allow-Origin '*'
	if [ "$WEB" = apache-cgi ]; then
		# Apache's mod_cgi recomputes Content-Length from the body a CGI
		# program sends, and a HEAD answer's is empty: it drops the header.
		want_no_header Content-Length
	else
		want_header Content-Length "$PRM_ROOT_LEN"
	fi

	t "POST $p -> 405 with Allow"
	http POST "$p" -H 'Content-Type: application/json' --data-binary '{}'
	want_status 405
	want_header Allow 'GET, HEAD, OPTIONS'
done

for p in "$PRM/other" "$PRM/mcp/x" "$PRM/mcpx"; do
	t "GET $p (not this resource's) -> 404"
	http GET "$p"
	want_status 404
done

# ---- 5. good tokens -------------------------------------------------------

t "a valid token calls greet_user -> Hi Ada, welcome!"
mcp "$GREET"
want_result 7
want_json 'r.result.content' '[{"type":"text","text":"Hi Ada, welcome!"}]'

SUB="ada-$RANDOM$RANDOM"
TOK_WHO=$(mint_token --sub "$SUB" --scope "$SCOPES")
SENT+=("$TOK_WHO")
t "whoami -> the minted subject and scopes, never the token"
AUTH="Bearer $TOK_WHO" mcp "$WHOAMI"
want_result 8
want_json 'r.result.structuredContent.subject' "\"$SUB\"" \
	'r.result.structuredContent.scopes' '["todo:read","todo:write"]' \
	'r.result.structuredContent.issuer' "\"$ISSUER\"" \
	'r.result.structuredContent.client_id' '"e2e-client"'
want_body_lacks "$TOK_WHO"
want_body_lacks "${TOK_WHO##*.}"               # the signature
want_body_lacks "$(cut -d. -f2 <<<"$TOK_WHO")" # the encoded claims

# ---- 4. /health -----------------------------------------------------------

t "GET /health once keys were fetched -> 200, ok, ready, keys >= 1"
http GET /health
want_status 200
want_header_match Content-Type '^application/json'
want_json 'r.status' '"ok"' 'r.ready' true 'r.keys.count >= 1' true

# ---- 6. key rotation through the server ------------------------------------

t "rotation: a token from a newly published key is accepted on its first request, one JWKS fetch"
before=$(fetches /dev-issuer/jwks.json)
meta_before=$(fetches /.well-known/oauth-authorization-server/dev-issuer)
"$CLI" keygen --out "$ISSUER_DIR/signing-key-2.pem" >/dev/null ||
	note "mcp-fcgi-cli keygen failed"
"$CLI" jwks --key "$ISSUER_DIR/signing-key.pem" --key "$ISSUER_DIR/signing-key-2.pem" \
	>"$ISSUER_DIR/jwks.json.new" && mv "$ISSUER_DIR/jwks.json.new" "$ISSUER_DIR/jwks.json" ||
	note "cannot publish the JWKS of both keys"
TOK_NEW=$("$CLI" mint --key "$ISSUER_DIR/signing-key-2.pem" --iss "$ISSUER" --aud "$RESOURCE" \
	--sub rotated --ttl 600)
SENT+=("$TOK_NEW")
AUTH="Bearer $TOK_NEW" mcp "$GREET"
want_result 7
want_json 'r.result.content[0].text' '"Hi Ada, welcome!"'
after=$(fetches /dev-issuer/jwks.json)
want_eq "JWKS fetches caused by the new kid" 1 "$((after - before))"
want_eq "metadata fetches caused by the new kid" 0 \
	"$(($(fetches /.well-known/oauth-authorization-server/dev-issuer) - meta_before))"

t "rotation: the old key keeps working, the new one needs no further fetch"
mcp "$GREET"
want_result 7
AUTH="Bearer $TOK_NEW" mcp "$GREET"
want_result 7
want_eq "JWKS fetches" "$after" "$(fetches /dev-issuer/jwks.json)"

# ---- 2. hostile and wrong tokens -------------------------------------------
# After the rotation on purpose: the unknown kid below would otherwise have
# used up the refresh that the rotation needs within the throttle interval.

KID=$(issuer_kid)
NOW=$(date +%s)
mkdir -p "$TMP/rogue"
"$CLI" keygen --out "$TMP/rogue/key.pem" >/dev/null
declare -A BAD=(
	[garbage]='not-a-jwt'
	[three-garbage-parts]='abc.def.ghi'
	[expired]=$(mint_token --claims "{\"iat\":$((NOW - 7200)),\"exp\":$((NOW - 3600))}")
	[not-yet-valid]=$(mint_token --claims "{\"nbf\":$((NOW + 3600))}")
	[wrong-audience]=$(mint_token --aud "$BASE/other")
	[wrong-issuer]=$(mint_token --iss "$BASE/other-issuer")
	[unknown-kid-key]=$("$CLI" mint --key "$TMP/rogue/key.pem" --iss "$ISSUER" --aud "$RESOURCE" \
		--sub rogue --ttl 600)
	[header-not-json]=$(printf '%s' 'not json' | base64 | tr -d '=').e30.c2ln
	[alg-none]=$(jwt none "" "$KID" "$ISSUER" "$RESOURCE")
	[alg-none-signed]=$(jwt none-sig "" "$KID" "$ISSUER" "$RESOURCE")
	[alg-none-signed-no-kid]=$(jwt none-sig "" "" "$ISSUER" "$RESOURCE")
	[hs256-public-key-spki]=$(jwt hs256-spki "$ISSUER_DIR/signing-key.pem" "$KID" "$ISSUER" "$RESOURCE")
	[hs256-public-key-pkcs1]=$(jwt hs256-pkcs1 "$ISSUER_DIR/signing-key.pem" "$KID" "$ISSUER" "$RESOURCE")
	[signature-of-another-token]=$(mint_token --sub other | cut -d. -f1-2).${TOKEN##*.}
)

t "control: a hand-built RS256 token signed with the issuer's key is accepted"
TOK_HAND=$(jwt rs256 "$ISSUER_DIR/signing-key.pem" "$KID" "$ISSUER" "$RESOURCE")
SENT+=("$TOK_HAND")
AUTH="Bearer $TOK_HAND" mcp "$GREET"
want_result 7

# name|the error_description it must get: the refusal's reason, so that a
# forged token is known to fail at the right check (alg before any key).
for c in 'garbage|token is not a compact JWS' 'three-garbage-parts|token is not a compact JWS' \
	'header-not-json|invalid token header' \
	'expired|token expired' 'not-yet-valid|token not yet valid' \
	'wrong-audience|token audience not accepted' 'wrong-issuer|token issuer not accepted' \
	'unknown-kid-key|token signing key unknown' 'alg-none|token is not a compact JWS' \
	'alg-none-signed|token algorithm not allowed' \
	'alg-none-signed-no-kid|token algorithm not allowed' \
	'hs256-public-key-spki|token algorithm not allowed' \
	'hs256-public-key-pkcs1|token algorithm not allowed' \
	'signature-of-another-token|invalid token signature'; do
	name=${c%%|*}
	t "bad token ($name) -> 401 invalid_token, error_description \"${c#*|}\""
	tok=${BAD[$name]}
	[ -n "$tok" ] || note "could not build the token"
	SENT+=("$tok")
	AUTH="Bearer $tok" mcp "$GREET"
	want_401 invalid_token
	want_header_match WWW-Authenticate ", error_description=\"${c#*|}\","
	want_json 'r.error_description' "\"${c#*|}\""
done

TOK_QUERY=$(mint_token --sub query-user)
t "token only in the query string (?access_token=) -> 401 without error="
MCP_PATH="/mcp?access_token=$TOK_QUERY" AUTH= mcp "$GREET"
want_401

# RFC 6750 §3.1: malformed credentials, or a token sent in more than one place,
# are a bad request (400 invalid_request), not an invalid token.
for bad in 'Bearer a b' "Bearer $TOKEN, Bearer $TOKEN" 'Bearer a"b'; do
	t "Authorization '$(short "${bad:0:40}")' -> 400 invalid_request"
	AUTH=$bad mcp "$GREET"
	want_status 400
	want_challenge invalid_request
	want_json 'r.error' '"invalid_request"' 'r.error_description' '"malformed Authorization header"'
	want_body_lacks 'Hi Ada'
done

t "a token in the header and in the query -> 400 invalid_request"
MCP_PATH="/mcp?access_token=$TOK_QUERY" mcp "$GREET"
want_status 400
want_challenge invalid_request
want_json 'r.error_description' '"access token sent in more than one place"'
want_body_lacks 'Hi Ada'

t "Authorization: Basic -> 401 without error="
AUTH='Basic ZTJlOnNlY3JldA==' mcp "$GREET"
want_401

t "lower-case 'bearer' scheme -> accepted"
AUTH="bearer $TOKEN" mcp "$GREET"
want_result 7

t "no token text in the server's error logs or access log"
access_sync || note "the access log could not be synchronised"
sleep 0.2 # the workers' stderr lines
n=0
for tok in "${SENT[@]}"; do
	[ ${#tok} -ge 8 ] || continue
	n=$((n + 1))
	for f in "$ERRLOG" "${SRV_LOGS[@]}" "$ACCESS_LOG"; do
		if grep -qF -- "$tok" "$f"; then note "token #$n ($(short "$tok")) found in $f"; fi
		sig=${tok##*.}
		if [ ${#sig} -ge 16 ] && grep -qF -- "$sig" "$f"; then
			note "the signature of token #$n found in $f"
		fi
	done
done
want_eq "tokens checked" true "$([ $n -ge 15 ] && echo true || echo "only $n")"
# A token a client puts in a URL reaches neither log: the programs never log it,
# and every shipped configuration logs request paths without the query.
for f in "$ERRLOG" "${SRV_LOGS[@]}" "$ACCESS_LOG"; do
	if grep -qF -- "$TOK_QUERY" "$f"; then note "the query-string token is in $f"; fi
	if grep -qF -- "access_token=" "$f"; then note "a query string is in $f"; fi
done
grep -qE '"POST /mcp HTTP/1\.1" 40[01] ' "$ACCESS_LOG" ||
	note "the access log does not show the refused requests' method and path"

# ==== server 2: forged-kid flood, then a crowd of cold CGI processes =========

server_start_or_finish

# ---- 7. forged kids --------------------------------------------------------

t "forged-kid flood: 200 tokens with random kids -> all 401, at most one JWKS fetch"
mcp "$GREET"
want_result 7
before=$(fetches /dev-issuer/jwks.json)
start=$(date +%s)
jwt rs256-random-kid - "" "$ISSUER" "$RESOURCE" 200 >"$TMP/forged.txt"
n=0
: >"$TMP/flood.cfg"
while read -r tok; do
	n=$((n + 1))
	curl_cfg_entry "$TMP/flood.cfg" "$tok" "$TMP/greet.json" /dev/null
done <"$TMP/forged.txt"
want_eq "forged tokens made" 200 "$n"
curl -sS --no-progress-meter --parallel --parallel-max 8 -K "$TMP/flood.cfg" >"$TMP/flood.codes" 2>"$TMP/curl.err"
want_eq "responses" 200 "$(grep -c . "$TMP/flood.codes")"
want_eq "statuses" "401" "$(sort -u "$TMP/flood.codes" | tr '\n' ' ' | sed 's/ $//')"
[ ! -s "$TMP/curl.err" ] || note "curl: $(sort "$TMP/curl.err" | uniq -c | head -n 3 | tr '\n' ' ')"
after=$(fetches /dev-issuer/jwks.json)
elapsed=$(($(date +%s) - start))
[ "$after" -ge 0 ] && [ $((after - before)) -le 1 ] ||
	note "JWKS fetches during the flood: wanted at most 1, got $((after - before))"
[ $elapsed -lt 60 ] || note "the flood took $elapsed s, past the 60 s throttle interval"

t "after the flood a valid token still works, without a fetch"
mcp "$GREET"
want_result 7
want_eq "JWKS fetches" "$after" "$(fetches /dev-issuer/jwks.json)"

# ---- 9. a crowd of cold CGI processes ------------------------------------------

t "cold cache crowd: 16 CGI processes at once -> all 200, exactly one JWKS fetch"
CROWD=$TMP/crowd
mkdir -p "$CROWD" && mkdir -m 700 "$CROWD/state"
before=$(fetches /dev-issuer/jwks.json)
mkfifo "$CROWD/go"
exec 8<>"$CROWD/go" # open both ends: nobody blocks in open(), everybody in read
san_env=()
for k in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -n "${!k:-}" ] && san_env+=("$k=${!k}")
done
len=$(wc -c <"$TMP/greet.json")
pids=()
for i in $(seq 16); do
	(
		read -r -t 30 -u 8 _ # bounded: never hangs when the release fails
		exec 8<&-
		exec timeout -k 2 "$CGI_TIMEOUT" env -i PATH="$PATH" "${san_env[@]}" \
			GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=POST \
			SCRIPT_NAME=/mcp REQUEST_URI=/mcp REMOTE_ADDR=127.0.0.1 \
			CONTENT_TYPE=application/json CONTENT_LENGTH="$len" \
			HTTP_HOST="127.0.0.1:$PORT" HTTP_ACCEPT='application/json, text/event-stream' \
			HTTP_AUTHORIZATION="Bearer $TOKEN" MCP_RESOURCE="$RESOURCE" \
			OAUTH_ISSUER="$ISSUER" OAUTH_JWKS_URI="$ISSUER/jwks.json" OAUTH_ALLOW_HTTP=1 \
			MCP_STATE_DIR="$CROWD/state" "$BIN/mcp.fcgi" \
			<"$TMP/greet.json" >"$CROWD/out.$i" 2>"$CROWD/err.$i"
	) &
	pids+=($!)
done
sleep 0.3                     # let all 16 reach their read
printf '\n%.0s' $(seq 16) >&8 # one line each: released together
for pid in "${pids[@]}"; do wait "$pid"; done
exec 8<&-
ok=0
for i in $(seq 16); do
	if head -n 1 "$CROWD/out.$i" | tr -d '\r' | grep -qx 'Status: 200 OK' &&
		grep -qF 'Hi Ada, welcome!' "$CROWD/out.$i"; then
		ok=$((ok + 1))
	else
		note "process $i: $(short "$(tr -d '\r' <"$CROWD/out.$i" | tr '\n' ' ')")" \
			"  stderr: $(short "$(tr '\n' ' ' <"$CROWD/err.$i")")"
	fi
done
want_eq "processes answering Status: 200 with the greeting" 16 "$ok"
want_eq "JWKS fetches by the crowd" 1 "$(($(fetches /dev-issuer/jwks.json) - before))"

# ==== server 3: the JWKS URL 404s ============================================

if server_start --env 'OAUTH_JWKS_URI=http://127.0.0.1:@PORT@/dev-issuer/missing.json'; then
	t "GET /health with a JWKS URL that 404s -> 503, ready false"
	http GET /health
	want_status 503
	want_header_match Content-Type '^application/json'
	want_json 'r.ready' false 'r.status' '"unavailable"' 'r.keys.count' 0 \
		'r.keys.last_refresh_ok' false
	want_eq "fetches of the missing JWKS" true \
		"$([ "$(fetches /dev-issuer/missing.json)" -ge 1 ] && echo true || echo false)"

	t "POST /mcp with a JWKS URL that 404s -> 503, never served"
	mcp "$GREET"
	want_status 503
	want_header_match Retry-After '^[0-9]+$'
	want_json 'r.error' '"temporarily_unavailable"'
	want_body_lacks 'Hi Ada'
else
	t "$WEB starts with a missing JWKS URL"
	note "see the error log above"
fi

# ==== server 4: the issuer goes down, stale keys, fail closed ================

if SRV_APPEND=$NO_STAT_CACHE server_start --env OAUTH_JWKS_TTL_MIN=1 --env OAUTH_JWKS_TTL_MAX=1 \
	--env OAUTH_JWKS_MAX_STALE=3 --env OAUTH_JWKS_REFRESH_THROTTLE=1; then
	JWKS_FILE=$ISSUER_DIR/jwks.json

	t "issuer down: keys past their TTL (1 s) keep serving while stale (< 3 s)"
	fetched=$(date +%s.%N)
	mcp "$GREET"
	want_result 7
	mv "$JWKS_FILE" "$JWKS_FILE.away"
	sleep 1.5
	mcp "$GREET"
	want_result 7
	sleep 0.2
	tail -n +"$((T_LOGMARK + 1))" "$ERRLOG" | grep -q 'serving keys expired' ||
		note "no 'serving keys expired' line in the error log"
	access_sync || note "the access log could not be synchronised"
	grep -qF '"GET /dev-issuer/jwks.json HTTP/1.1" 404' "$ACCESS_LOG" ||
		note "no refresh attempt answered 404 in the access log"

	t "issuer down past OAUTH_JWKS_MAX_STALE -> 503 (fail closed), logged"
	for ((i = 0; i < 40; i++)); do
		mcp "$GREET"
		[ "$STATUS" = 200 ] || break
		sleep 0.25
	done
	age=$(awk -v a="$fetched" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	want_status 503
	want_json 'r.error' '"temporarily_unavailable"'
	want_body_lacks 'Hi Ada'
	awk -v a="$age" 'BEGIN { exit !(a >= 3) }' ||
		note "503 after $age s: before TTL + max stale (1 + 3 s, counted in whole seconds)"
	sleep 0.2
	tail -n +"$((T_LOGMARK + 1))" "$ERRLOG" | grep -q 'no usable' ||
		note "no 'no usable ... keys' line in the error log"

	t "issuer back -> requests succeed again"
	mv "$JWKS_FILE.away" "$JWKS_FILE"
	for ((i = 0; i < 40; i++)); do
		mcp "$GREET"
		[ "$STATUS" = 200 ] && break
		sleep 0.25
	done
	want_result 7
	want_json 'r.result.content[0].text' '"Hi Ada, welcome!"'
else
	t "$WEB starts with short JWKS lifetimes"
	note "see the error log above"
fi

# ==== server 5: Scalekit's variable names =====================================
# An operator coming from Scalekit's quickstart leaves var.oauth_issuer and
# var.mcp_resource empty and sets the Scalekit variables in
# var.mcp_extra_env; mkconf.sh fills both from --port / --dev-issuer, so the
# template copy here passes them to the programs empty.  Scalekit publishes
# its keys at <environment URL>/keys: the dev issuer's JWKS is served there.

SK_ENV=(--env 'SCALEKIT_ENVIRONMENT_URL=http://127.0.0.1:@PORT@/dev-issuer'
	--env SCALEKIT_RESOURCE_ID=res_test --env 'MCP_URL=http://127.0.0.1:@PORT@/mcp')
sk_started=0
if [ "$WEB" = lighttpd ]; then
	sed -e 's/^\(  "MCP_RESOURCE" *=> \)var\.mcp_resource,$/\1"",/' \
		-e 's/^\(  "OAUTH_ISSUER" *=> \)var\.oauth_issuer,$/\1"",/' \
		"$ROOT/lighttpd.conf.example" >"$TMP/scalekit.conf.example"
	SK_APPEND='alias.url += ( "/dev-issuer/keys" => "@DIR@/issuer/keys" )
$HTTP["url"] == "/dev-issuer/keys" { mimetype.assign = ( "" => "application/json" ) }'
	if [ "$(grep -cE '^  "(MCP_RESOURCE|OAUTH_ISSUER)" *=> "",$' "$TMP/scalekit.conf.example")" != 2 ]; then
		t "Scalekit: the template copy empties MCP_RESOURCE and OAUTH_ISSUER"
		note "lighttpd.conf.example changed: var.mcp_env lines not found"
		sk_started=2
	elif SRV_APPEND=$SK_APPEND server_start --template "$TMP/scalekit.conf.example" "${SK_ENV[@]}"; then
		sk_started=1
	fi
else
	# The configuration file without MCP_RESOURCE and OAUTH_ISSUER (empty is
	# unset); the shipped configurations serve the issuer's /keys.
	server_start --env MCP_RESOURCE= --env OAUTH_ISSUER= "${SK_ENV[@]}" && sk_started=1
fi
if [ $sk_started = 1 ]; then
	cp "$ISSUER_DIR/jwks.json" "$ISSUER_DIR/keys"
	ENV_URL=$BASE/dev-issuer
	SK_ISS=$ENV_URL/resources/res_test

	t "Scalekit: the metadata names MCP_URL and <env>/resources/<id> as authorization server"
	http GET "$PRM/mcp"
	want_status 200
	want_json 'r.resource' "\"$BASE/mcp\"" 'r.authorization_servers' "[\"$SK_ISS\"]"

	# Without MCP_SCOPES_SUPPORTED the challenge and the metadata name every scope the
	# tools need, so a client that starts from nothing asks for enough the first time.
	t "Scalekit: no token -> 401 naming the tools' scopes and the metadata of MCP_URL"
	AUTH= mcp "$GREET"
	want_status 401
	want_header WWW-Authenticate \
		"Bearer realm=\"mcp\", scope=\"todo:write todo:read\", resource_metadata=\"$BASE/.well-known/oauth-protected-resource/mcp\""

	t "Scalekit: the metadata's scopes_supported are the tools' scopes"
	http GET "$PRM/mcp"
	want_json 'r.scopes_supported' '["todo:write","todo:read"]'

	t "Scalekit: aud res_test, iss <env>/resources/res_test -> accepted, keys from <env>/keys"
	TOK_SK=$(mint_token --aud res_test --iss "$SK_ISS" --sub sk-user)
	AUTH="Bearer $TOK_SK" mcp "$WHOAMI"
	want_result 8
	want_json 'r.result.structuredContent.subject' '"sk-user"' \
		'r.result.structuredContent.issuer' "\"$SK_ISS\""
	want_eq "fetches of <env>/keys" 1 "$(fetches /dev-issuer/keys)"
	want_eq "fetches of the dev issuer's jwks.json" 0 "$(fetches /dev-issuer/jwks.json)"
	want_eq "discovery requests" 0 "$(fetches /.well-known/oauth-authorization-server/dev-issuer)"

	t "Scalekit: aud res_test, iss <env> -> accepted"
	AUTH="Bearer $(mint_token --aud res_test --iss "$ENV_URL")" mcp "$GREET"
	want_result 7

	t "Scalekit: aud MCP_URL -> accepted"
	AUTH="Bearer $(mint_token --aud "$BASE/mcp" --iss "$SK_ISS")" mcp "$GREET"
	want_result 7

	t "Scalekit: another resource id in aud -> 401 invalid_token"
	AUTH="Bearer $(mint_token --aud res_other --iss "$SK_ISS")" mcp "$GREET"
	want_status 401
	want_header_match WWW-Authenticate '^Bearer realm="mcp", error="invalid_token", error_description="[^"]+"'

	t "Scalekit: iss of another resource -> 401 invalid_token"
	AUTH="Bearer $(mint_token --aud res_test --iss "$ENV_URL/resources/res_other")" mcp "$GREET"
	want_status 401
	want_header_match WWW-Authenticate '^Bearer realm="mcp", error="invalid_token", error_description="[^"]+"'
elif [ $sk_started = 0 ]; then
	t "$WEB starts with Scalekit's variables only"
	note "see the error log above"
fi
server_stop

# ==== server 6: OAUTH_TOKEN_TYPES=at+jwt (RFC 9068 §4 access tokens only) =======

if server_start --env OAUTH_TOKEN_TYPES=at+jwt --env "MCP_SCOPES_SUPPORTED=$SCOPES"; then
	t "OAUTH_TOKEN_TYPES=at+jwt: a token typed at+jwt -> accepted"
	AUTH="Bearer $(mint_token --typ at+jwt)" mcp "$GREET"
	want_result 7
	t "OAUTH_TOKEN_TYPES=at+jwt: typ JWT, or no typ -> 401 invalid_token"
	for typ in JWT ''; do
		AUTH="Bearer $(mint_token --typ "$typ")" mcp "$GREET"
		want_401 invalid_token
		want_json 'r.error_description' '"token type is not an access token"'
	done
else
	t "$WEB starts with OAUTH_TOKEN_TYPES=at+jwt"
	note "see the error log above"
fi
server_stop

# ==== 10. misconfigurations stop the program at start ========================

# cgi_conf NAME=VALUE...: runs mcp.fcgi as CGI (a POST /mcp with a token)
# with only the given configuration; sets CGI_EXIT, CGI_OUT, CGI_ERR.
cgi_conf() {
	mkdir -p -m 700 "$TMP/conf-state"
	timeout -k 2 "$CGI_TIMEOUT" env -i PATH="$PATH" "${san_env[@]}" GATEWAY_INTERFACE=CGI/1.1 \
		REQUEST_METHOD=POST CONTENT_TYPE=application/json \
		CONTENT_LENGTH="$(wc -c <"$TMP/greet.json")" HTTP_HOST=mcp.example.com \
		HTTP_AUTHORIZATION="Bearer $TOKEN" MCP_STATE_DIR="$TMP/conf-state" "$@" \
		"$BIN/mcp.fcgi" <"$TMP/greet.json" >"$TMP/conf.out" 2>"$TMP/conf.err"
	CGI_EXIT=$?
	CGI_OUT=$(tr -d '\r' <"$TMP/conf.out")
	CGI_ERR=$(cat "$TMP/conf.err")
}

R=https://mcp.example.com/mcp
I=https://issuer.example
for c in "OAUTH_ISSUER|MCP_RESOURCE=$R" \
	"OAUTH_ISSUER|MCP_RESOURCE=$R OAUTH_ISSUER=http://issuer.example" \
	"MCP_RESOURCE|MCP_RESOURCE=$R#frag OAUTH_ISSUER=$I" \
	"OAUTH_AUDIENCE|MCP_RESOURCE=$R OAUTH_ISSUER=$I OAUTH_AUDIENCE=https://other.example/mcp"; do
	var=${c%%|*}
	read -r -a settings <<<"${c#*|}"
	t "misconfiguration (${settings[*]}) -> exit non-zero, one line naming $var, Status: 500"
	cgi_conf "${settings[@]}"
	[ "$CGI_EXIT" != 0 ] || note "exit status 0"
	want_eq "stderr lines" 1 "$(grep -c . "$TMP/conf.err")"
	case $CGI_ERR in
	'{'*'"level":"error"'*'"msg":"mcp.fcgi: configuration error: '"$var"': '*) ;;
	*) note "stderr: wanted the JSON line 'mcp.fcgi: configuration error: $var: ...', got '$CGI_ERR'" ;;
	esac
	N_CONF=$((${N_CONF:-0} + 1))
	cp "$TMP/conf.err" "$TMP/conf-$N_CONF.err" && EXTRA_LOGS+=("$TMP/conf-$N_CONF.err")
	want_eq "first stdout line" 'Status: 500 Internal Server Error' "$(head -n 1 <<<"$CGI_OUT")"
	case $CGI_OUT in *'Hi Ada'*) note "served anyway: $(short "$CGI_OUT")" ;; esac
done

finish
