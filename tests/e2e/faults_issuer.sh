#!/usr/bin/env bash
# faults_issuer.sh - the issuer's JWKS endpoint fails while clients call.
#
# lighttpd with two FastCGI workers takes its keys from a JWKS endpoint the
# test controls (tests/lib/fault_issuer.mjs on 127.0.0.1), whose behaviour
# is switched to each fault in turn: slow past the 10 s fetch timeout,
# HTTP 500, garbage, an oversize body (past the 256 KiB cap), a redirect
# loop (past the 3 redirects followed).  Four clients keep calling with a
# token whose key is already known the whole time.  For each fault:
#   - those calls all succeed (200);
#   - a token signed by a key the issuer has just published (an unknown
#     kid) is refused with 401 invalid_token, promptly (within the fetch
#     timeout), and the refresh it forces reaches the issuer once: the
#     tokens that follow within OAUTH_JWKS_REFRESH_THROTTLE add no fetch;
#   - the log holds the fetch's failure, once, and no token;
#   - once the issuer answers again and the throttle has passed, the same
#     token is accepted (the new key was picked up) with one fetch.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/faultlib.sh"
if ! lighttpd_only "it runs its own issuer beside lighttpd's workers"; then
	echo "0 passed, 0 failed"
	exit 0
fi
need_programs mcp.fcgi wellknown.fcgi

THROTTLE=0
SCALE=1
[ "${MCP_SANITIZE:-0}" = 1 ] && SCALE=2
IDIR=$TMP/issuer
mkdir -p "$IDIR"
echo ok >"$IDIR/mode"
node "$ROOT/tests/lib/fault_issuer.mjs" "$IDIR" "$IDIR/port" &
FAULT_PIDS+=($!)
for ((i = 0; i < 100; i++)); do [ -s "$IDIR/port" ] && break; sleep 0.05; done
IPORT=$(cat "$IDIR/port" 2>/dev/null)
JWKS_URL=http://127.0.0.1:$IPORT/jwks
GREET=$(call_json greet_user '{"name":"Ada"}' 7)
SENT=()

# fetches: how many JWKS fetches the issuer has seen (a redirect's hops not counted).
fetches_seen() {
	grep -c ' /jwks$' "$IDIR/requests.log" 2>/dev/null
}

# serve THROTTLE: a new lighttpd taking its keys from the issuer, with
# OAUTH_JWKS_REFRESH_THROTTLE=THROTTLE, and four clients calling with its
# token (the dev issuer's key, known once fetched).
serve() {
	THROTTLE=$1
	ROUNDS=0
	echo ok >"$IDIR/mode"
	server_start_or_finish --max-procs 2 --env "OAUTH_JWKS_URI=$JWKS_URL" \
		--env "OAUTH_JWKS_REFRESH_THROTTLE=$THROTTLE" --env MCP_RATE_LIMIT=1000000/60
	cp "$ISSUER_DIR/jwks.json" "$IDIR/jwks.json"
	SENT+=("$TOKEN")
	before=$(fetches_seen)
	t "the known key serves before any fault (throttle $THROTTLE s; one fetch)"
	mcp "$GREET"
	want_result 7
	want_eq "fetches" 1 "$(($(fetches_seen) - before))"
	callers_start known$SRV_N 4 "$TOKEN"
	callers_wait known$SRV_N 20 || note "the clients made no calls"
}

# unserve: stops the clients and checks what they saw.
unserve() {
	local tag=known$SRV_N
	callers_stop "$tag"
	t "every call with the known key during the faults -> 200 ($(callers_summary "$tag"); slowest $(callers_slowest "$tag") ms)"
	want_eq "statuses" "200" "$(cat "$TMP/$tag"-c*.out | grep -v '^done' | cut -d' ' -f1 | sort -u | tr '\n' ' ' | sed 's/ $//')"
	t "the audit log records the refusals as 401 invalid_token, the calls as 200"
	want_eq "refusals" "$1" "$(grep '"type":"audit"' "$ERRLOG" | grep -c '"status":401')"
	n=$(grep '"type":"audit"' "$ERRLOG" | grep -c '"status":200')
	[ "$n" -ge "$(callers_calls "$tag")" ] || note "audit lines with status 200: $n"
}

# post_status TOKEN OUT MAX_TIME: POST the greeting with TOKEN; writes the
# status and the challenge's error code (or "-") to OUT.
post_status() {
	local code err
	code=$(curl -sS --noproxy '*' --max-time "$3" -o /dev/null -D "$2.head" -w '%{http_code}' \
		-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "Authorization: Bearer $1" --data-binary "$GREET" "$BASE/mcp" 2>/dev/null) || code=000
	err=$(tr -d '\r' <"$2.head" | sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate:.*error="\([a-z_]*\)".*/\1/p')
	echo "$code ${err:--}" >"$2"
}

# fault MODE EXPECTED_LOG: one round, as the header says.
fault() {
	local mode=$1 logtext=$2 key=$TMP/key-$1.pem tok mark before t0 el i max pids
	"$CLI" keygen --out "$key" >/dev/null || note "keygen failed"
	tok=$("$CLI" mint --key "$key" --iss "$ISSUER" --aud "$RESOURCE" --sub "fault-$mode" --ttl 600)
	SENT+=("$tok")
	echo "$mode" >"$IDIR/mode"
	# The issuer publishes the new key, but answers with the fault.
	"$CLI" jwks --key "$ISSUER_DIR/signing-key.pem" --key "$key" >"$IDIR/jwks.new" &&
		mv "$IDIR/jwks.new" "$IDIR/jwks.json"
	# The previous round's forced refresh (its recovery) must be outside the throttle.
	[ "$ROUNDS" = 0 ] || sleep "$THROTTLE.5"
	ROUNDS=$((ROUNDS + 1))
	mark=$(log_mark)
	before=$(fetches_seen)

	t "$mode: a token with the new (unknown) kid -> 401 invalid_token, not 5xx, not a hang"
	t0=$(date +%s%N)
	max=$((CURL_MAX_TIME + 15))
	post_status "$tok" "$TMP/$mode.first" "$max" &
	pids=($!)
	# More such tokens while the first one's refresh may still be under way,
	# from other connections (so other workers).
	sleep 0.3
	for i in 1 2 3; do
		post_status "$tok" "$TMP/$mode.more$i" "$max" &
		pids+=($!)
	done
	wait "${pids[@]}"
	el=$((($(date +%s%N) - t0) / 1000000))
	want_eq "status" "401 invalid_token" "$(cat "$TMP/$mode.first")"
	# The fetch gives up after its 10 s timeout at the most.
	[ "$el" -le $((12000 * SCALE)) ] || note "answered after $el ms"
	echo "     answered in $el ms"

	t "$mode: the refresh is throttled: 3 more such tokens at once -> 401, one fetch in all"
	want_eq "statuses" "401 invalid_token 401 invalid_token 401 invalid_token" \
		"$(cat "$TMP/$mode.more"{1,2,3} | tr '\n' ' ' | sed 's/ $//')"
	want_eq "fetches" 1 "$(($(fetches_seen) - before))"

	t "$mode: logged once: '$logtext'"
	want_log "$mark" 1 "$logtext"

	t "$mode: the clients with the known key kept being served"
	callers_wait "known$SRV_N" 20 || note "the clients stopped calling"

	t "$mode: recovered: the issuer answers again -> the new key is picked up (one fetch)"
	echo ok >"$IDIR/mode"
	sleep "$THROTTLE.5"
	before=$(fetches_seen)
	AUTH="Bearer $tok" mcp "$GREET"
	want_result 7
	want_eq "fetches" 1 "$(($(fetches_seen) - before))"
	AUTH="Bearer $tok" mcp "$GREET"
	want_result 7
	want_eq "fetches" 1 "$(($(fetches_seen) - before))"
}

U="fetch $JWKS_URL"
serve 2
fault 500 "$U: HTTP status 500"
fault garbage "jwks: $JWKS_URL: document:"
fault oversize "$U: response body too large (over 262144 bytes)"
fault redirect "$U: Maximum (3) redirects followed"
unserve 16

# A slow issuer ties up the refresh for the whole fetch timeout (10 s):
# only a throttle longer than that keeps the tokens that queue behind it
# from starting fetches of their own (the throttle counts from the start of
# the forced refresh; the default, 60 s, is).  The worker that fetches
# serves nothing else meanwhile: a call lighttpd queued on it waits up to
# 10 s, which the clients' 30 s timeout covers.
serve 12
fault slow "$U: Operation timed out after"
unserve 4

t "no token in any log, no worker died"
want_no_secret "${SENT[@]}"
grep -nE 'AddressSanitizer|runtime error:|child signalled|child exited' "$ERRLOG" | head -n 3 >"$TMP/died"
[ -s "$TMP/died" ] && note "$(cat "$TMP/died")"

finish
