#!/usr/bin/env bash
# test_ratelimit.sh - the rate limits with mcp.fcgi as plain CGI, one
# process per request: a burst of 2N processes started at once shares the
# state directory's table and gets exactly N answers, the rest 429 with
# Retry-After, the RateLimit fields, the request's JSON-RPC id and an audit
# line "rate_limited"; the anonymous limit on the 401 path; bad settings
# stop the program with one line naming the variable; a damaged table is
# rebuilt.  Windows are a few seconds so that a burst fits in one interval.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

EXTRA_LOGS+=("$TMP/cgi-all.err")
need_programs mcp.fcgi
PROG=$BIN/mcp.fcgi
CGI_TIMEOUT=10
WRAP=()
[ "${MCP_SANITIZE:-0}" = 1 ] && CGI_TIMEOUT=30
. "$(dirname "${BASH_SOURCE[0]}")/lib_cgi.sh"

# lighttpd serves the development issuer's keys only.
if ! server_start --max-procs 1; then
	t "lighttpd (development issuer) starts"
	note "see the error log above"
	finish
fi
CGI_HOST=127.0.0.1:$PORT
N=5
GREET=$(call_json greet_user '{"name":"Ada"}' 7)

# fresh_state: a new private state directory for the next case (its own table).
fresh_state() {
	CGI_STATE=$TMP/state.$RANDOM$RANDOM
	mkdir -m 700 "$CGI_STATE"
}

# burst COUNT [NAME=VALUE...]: COUNT CGI processes started at once, request i
# a greet_user call with id i; each answer in $TMP/burst/i.{status,headers,body},
# every log line in $TMP/burst/log.  Sets OKS and LIMITED (how many 200/429).
burst() {
	local count=$1 i pids=()
	shift
	rm -rf "$TMP/burst" && mkdir "$TMP/burst"
	for ((i = 1; i <= count; i++)); do
		(
			TMP=$TMP/burst/p$i
			mkdir "$TMP"
			RESP_BODY=$TMP/body
			cgi "$(call_json greet_user '{"name":"Ada"}' "$i")" "$@"
			printf '%s' "$STATUS" >"$TMP/../$i.status"
			printf '%s\n' "$HEADERS" >"$TMP/../$i.headers"
			cp "$RESP_BODY" "$TMP/../$i.body"
			cat "$TMP/cgi.err" >>"$TMP/../log"
		) &
		pids+=($!)
	done
	# Not a bare wait: lighttpd is a child of this shell too.
	wait "${pids[@]}"
	cat "$TMP/burst/log" >>"$TMP/cgi-all.err"
	OKS=$(cat "$TMP"/burst/*.status | grep -o 200 | wc -l)
	LIMITED=$(cat "$TMP"/burst/*.status | grep -o 429 | wc -l)
}

# burst_refusals POLICY Q W: every 429 of the last burst carries Retry-After,
# the RateLimit fields of POLICY and the id of its request.
burst_refusals() {
	local i f hdr bad=0
	for ((i = 1; i <= 2 * N; i++)); do
		[ "$(cat "$TMP/burst/$i.status")" = 429 ] || continue
		hdr=$(cat "$TMP/burst/$i.headers")
		for f in 'Retry-After: [1-9][0-9]*' "RateLimit-Policy: \"$1\";q=$2;w=$3" \
			"RateLimit: \"$1\";r=0;t=[1-9][0-9]*"; do
			grep -qx "$f" <<<"$hdr" || { note "request $i: no header line $f in: $(short "$hdr")"; bad=1; }
		done
		grep -q "^{\"jsonrpc\":\"2.0\",\"id\":$i,\"error\":{\"code\":-32029," "$TMP/burst/$i.body" ||
			{ note "request $i: body $(short "$(cat "$TMP/burst/$i.body")")"; bad=1; }
		[ $bad = 0 ] || return
	done
}

t "a burst of 2N CGI processes: exactly N served, N refused with 429"
fresh_state
# Windows of 60 s: a burst of processes, slow as they may be (sanitizer
# builds), always lands within one, so the count cannot depend on speed.
burst $((2 * N)) MCP_RATE_LIMIT=$N/60
want_eq "200 answers" "$N" "$OKS"
want_eq "429 answers" "$N" "$LIMITED"

t "each 429: Retry-After, RateLimit-Policy and RateLimit, the JSON-RPC id kept"
burst_refusals client "$N" 60

t "each refusal audited as rate_limited, each success as allowed"
want_eq "rate_limited lines" "$N" "$(grep -c '"decision":"rate_limited","status":429,"rpc_error":-32029' "$TMP/burst/log")"
want_eq "allowed lines" "$N" "$(grep -c '"decision":"allowed","status":200' "$TMP/burst/log")"

t "after Retry-After, a request passes again"
fresh_state
cgi "$GREET" MCP_RATE_LIMIT=1/3
want_result 7
cgi "$GREET" MCP_RATE_LIMIT=1/3
want_status 429
wait_s=$(printf '%s\n' "$HEADERS" | sed -n 's/^Retry-After: //p' | tr -d '\r')
[ -n "$wait_s" ] && [ "$wait_s" -ge 1 ] && [ "$wait_s" -le 3 ] || note "Retry-After: '$wait_s', wanted 1 to 3"
sleep "${wait_s:-3}"
cgi "$GREET" MCP_RATE_LIMIT=1/3
want_result 7

t "a per-tool limit: a burst of 2N greet_user calls gets N, the policy names the tool"
fresh_state
burst $((2 * N)) "MCP_TOOL_RATE_LIMITS=greet_user=$N/60"
want_eq "200 answers" "$N" "$OKS"
want_eq "429 answers" "$N" "$LIMITED"
burst_refusals tool-greet_user "$N" 60

t "anonymous: 2N requests without a token get N 401 and N 429"
fresh_state
burst $((2 * N)) HTTP_AUTHORIZATION=@unset MCP_RATE_LIMIT_ANON=$N/60
want_eq "429 answers" "$N" "$LIMITED"
want_eq "401 answers" "$N" "$(cat "$TMP"/burst/*.status | grep -o 401 | wc -l)"
want_eq "rate_limited lines" "$N" "$(grep -c '"decision":"rate_limited"' "$TMP/burst/log")"
i=$(grep -l 429 "$TMP"/burst/*.status | head -1)
grep -qx "RateLimit-Policy: \"anonymous\";q=$N;w=60" "${i%.status}.headers" ||
	note "no anonymous RateLimit-Policy: $(short "$(cat "${i%.status}.headers")")"

t "0 turns the limits off: 2N requests all served"
fresh_state
burst $((2 * N)) MCP_RATE_LIMIT=0
want_eq "200 answers" "$((2 * N))" "$OKS"

t "a damaged table is rebuilt, not trusted"
fresh_state
burst $((2 * N)) MCP_RATE_LIMIT=$N/60
want_eq "200 answers before" "$N" "$OKS"
head -c 4096 /dev/urandom | dd of="$CGI_STATE/ratelimit.table" conv=notrunc status=none
cgi "$GREET" MCP_RATE_LIMIT=$N/60
want_result 7
want_eq "table size" 1048640 "$(stat -c %s "$CGI_STATE/ratelimit.table")"
case $CGI_ERR in *"rebuilt"*) ;; *) note "no warning that the table was rebuilt: $(short "$CGI_ERR")" ;; esac

t "a symbolic link in the table's place is refused, its target untouched"
fresh_state
: >"$TMP/target"
ln -s "$TMP/target" "$CGI_STATE/ratelimit.table"
cgi "$GREET"
want_result 7
want_eq "target size" 0 "$(stat -c %s "$TMP/target")"
case $CGI_ERR in *"symbolic link"*) ;; *) note "no warning about the link: $(short "$CGI_ERR")" ;; esac

for bad in MCP_RATE_LIMIT=abc MCP_RATE_LIMIT=5/0 MCP_RATE_LIMIT_ANON=-1/5 \
	MCP_RATE_LIMIT_ANON=10 'MCP_TOOL_RATE_LIMITS=no_such_tool=5/60' \
	'MCP_TOOL_RATE_LIMITS=greet_user=5/60; greet_user=1/1' 'MCP_TOOL_RATE_LIMITS=greet_user'; do
	t "$bad stops the program with one line naming ${bad%%=*}"
	cgi "$GREET" "$bad"
	want_config_error "${bad%%=*}"
done

finish
