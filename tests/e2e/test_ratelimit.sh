#!/usr/bin/env bash
# test_ratelimit.sh - the rate limits behind lighttpd with two FastCGI
# workers sharing the state directory's table: a burst of 2N calls at once
# gets exactly N answers whichever worker takes each; Retry-After is
# honoured; a per-tool limit; the anonymous limit on the 401 path; the
# elements of a batch limited one by one.  The client's and the anonymous
# windows are 60 s (a burst never straddles a refill, however slow the
# build or busy the machine); whoami's 2 per 4 s, so that its Retry-After,
# 2 s, is waited out.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_programs mcp.fcgi wellknown.fcgi
N=5
if ! server_start --max-procs 2 --env "MCP_RATE_LIMIT=$N/60" --env MCP_RATE_LIMIT_ANON=4/60 \
	--env 'MCP_TOOL_RATE_LIMITS=whoami=2/4'; then
	t "lighttpd starts with two workers and rate limits"
	note "see the error log above"
	finish
fi

GREET=$(call_json greet_user '{"name":"Ada"}' 7)

t "two workers serve"
want_eq "workers" 2 "$(worker_pids mcp.fcgi | wc -l)"

t "a burst of 2N across two workers: exactly N served, N refused with 429"
burst $((2 * N)) "$TOKEN" "$GREET"
want_eq "200 answers" "$N" "$OKS"
want_eq "429 answers" "$N" "$LIMITED"
i=$(first_429)
[ -n "$i" ] && refusal_ok "$i" client "$N" 60
[ -z "$i" ] || grep -q '"id":7,' "$TMP/b/$i.body" || note "the id is not kept: $(short "$(cat "$TMP/b/$i.body")")"

t "a per-tool limit: 4 whoami calls at once get 2; greet_user still passes"
TOOLTOKEN=$(mint_token --client-id tool-client)
burst 4 "$TOOLTOKEN" "$(call_json whoami '{}' 3)"
want_eq "200 answers" 2 "$OKS"
want_eq "429 answers" 2 "$LIMITED"
i=$(first_429)
[ -n "$i" ] && refusal_ok "$i" tool-whoami 2 4
AUTH="Bearer $TOOLTOKEN" mcp "$GREET"
want_result 7

t "Retry-After honoured: after waiting it, a request passes again"
WHOAMI=$(call_json whoami '{}' 4)
until_refused "$TOOLTOKEN" "$WHOAMI"
want_status 429
wait_s=$(header_value Retry-After)
want_header_match Retry-After '^[1-2]$'
sleep "${wait_s:-1}"
AUTH="Bearer $TOOLTOKEN" mcp "$WHOAMI"
want_result 4
grep -q '"client_id":"tool-client".*"tool":"whoami","decision":"rate_limited"' "$ERRLOG" ||
	note "no rate_limited audit line for whoami"

t "anonymous: 8 requests without a token get 4 401 and 4 429"
burst 8 "" "$GREET"
want_eq "401 answers" 4 "$(grep -c ' 401$' <<<"$CODES")"
want_eq "429 answers" 4 "$LIMITED"
i=$(first_429)
[ -n "$i" ] && grep -qx 'RateLimit-Policy: "anonymous";q=4;w=60' <(tr -d '\r' <"$TMP/b/$i.head") ||
	note "no anonymous RateLimit-Policy"
if [ -n "$i" ] && grep -q 'WWW-Authenticate' "$TMP/b/$i.head"; then note "a 429 carries a challenge"; fi

t "a batch: each element counted; past the limit, elements refused alone, the batch 200"
BATCHTOKEN=$(mint_token --client-id batch-client)
batch='['
for i in 1 2 3 4 5 6 7; do batch+="{\"jsonrpc\":\"2.0\",\"id\":$i,\"method\":\"ping\"},"; done
batch="${batch%,}]"
AUTH="Bearer $BATCHTOKEN" mcp "$batch"
want_status 200
want_json 'r.length' 7 'r.filter(m => "result" in m).length' 5 \
	'r.filter(m => m.error && m.error.code === -32029).map(m => m.id)' '[6,7]'
want_header_match Retry-After '^[1-9][0-9]*$'
want_header RateLimit-Policy "\"client\";q=$N;w=60"

t "a batch whose every element is refused: 429"
AUTH="Bearer $BATCHTOKEN" mcp '[{"jsonrpc":"2.0","id":"a","method":"ping"},{"jsonrpc":"2.0","id":"b","method":"ping"}]'
want_status 429
want_json 'r.map(m => m.error.code)' '[-32029,-32029]' 'r.map(m => m.id)' '["a","b"]'
want_header_match Retry-After '^[1-9][0-9]*$'

t "every batch element audited: rate_limited lines for batch-client"
want_eq "rate_limited batch lines" 4 \
	"$(grep '"client_id":"batch-client"' "$ERRLOG" | grep -c '"decision":"rate_limited"')"

finish
