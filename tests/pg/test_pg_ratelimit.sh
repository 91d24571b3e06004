#!/usr/bin/env bash
# test_pg_ratelimit.sh - the rate limits of two machines counted in one
# PostgreSQL (tests/pg/lib_pg.sh: a real PostgreSQL 15 server, two lighttpd
# instances with two FastCGI workers and their own state directory each):
#
#   1. a burst of 2N calls of one client at once, spread over both machines,
#      gets exactly N answers (the README's accuracy: exact, the database
#      decides each request under the key's row lock), the others 429 with
#      Retry-After, the RateLimit fields and the JSON-RPC error with its id;
#   2. a CGI process on the same database counts in the same place;
#   3. a per-tool limit across both machines, and its Retry-After honoured:
#      refused by one machine, served by the other once it has passed;
#   4. the anonymous limit stays each machine's own (it guards the key
#      refreshes of the machine it reaches);
#   5. PostgreSQL stopped: each machine counts on its own (N each, one
#      warning per worker, not per request), and once it is back the count
#      is shared again, with a line that says so;
#   6. the database password is in no log line.
# Windows: the client's 10 per 600 s (a burst never straddles a refill,
# however slow the build); whoami's 3 per 9 s (Retry-After is 3 s).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_pg.sh"

N=10
pg_start
pg_machines --max-procs 2 --env "MCP_DATABASE_URL=$PG_URL" --env "MCP_RATE_LIMIT=$N/600" \
	--env 'MCP_TOOL_RATE_LIMITS=whoami=3/9' --env MCP_RATE_LIMIT_ANON=4/600
BOTH="$A_BASE/mcp $B_BASE/mcp"
GREET=$(call_json greet_user '{"name":"Ada"}' 7)
# codes_of M: the statuses of the last burst's answers from machine M (odd
# indices went to A, even ones to B).
codes_of() {
	awk -v m="$1" '($1 % 2 == 1) == (m == "A") { print $2 }' <<<"$CODES" | sort | uniq -c |
		awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }'
}

t "two machines, two workers each, one database"
want_eq "workers of A" 2 "$(wc -w <<<"$(workers "$A_LPID")")"
want_eq "workers of B" 2 "$(wc -w <<<"$(workers "$B_LPID")")"
A_WORKERS=$(workers "$A_LPID") B_WORKERS=$(workers "$B_LPID")

# ---- 1. one client's burst over both machines ------------------------------------

TOK=$(mint_token --client-id burst-client)
t "a burst of 2N = $((2 * N)) at once over both machines: exactly N served, N refused with 429"
BURST_URLS=$BOTH burst $((2 * N)) "$TOK" "$GREET"
want_eq "200 answers" "$N" "$OKS"
want_eq "429 answers" "$N" "$LIMITED"
echo "     machine A: $(codes_of A); machine B: $(codes_of B)"
i=$(first_429)
[ -n "$i" ] && refusal_ok "$i" client "$N" 600
[ -z "$i" ] || grep -q '"id":7,' "$TMP/b/$i.body" || note "the id is not kept: $(short "$(cat "$TMP/b/$i.body")")"

t "the refusals are audited on the machine that refused each"
n=$(cat "$A_ERRLOG" "$B_ERRLOG" | grep '"client_id":"burst-client"' | grep -c '"decision":"rate_limited"')
want_eq "rate_limited lines over both machines" "$N" "$n"

t "the count is the database's: the client's key has one row"
want_eq "rows in rate_limits" 1 "$(psql_q "SELECT count(*) FROM rate_limits")"

# ---- 2. a CGI process on the same database ---------------------------------------

TOKEN=$TOK
. "$ROOT/tests/pg/lib_pg_cgi.sh"

t "as CGI, its own state directory, the same database: the spent client is refused"
cgi "$GREET" "MCP_DATABASE_URL=$PG_URL" "MCP_RATE_LIMIT=$N/600"
want_status 429
want_header_match Retry-After '^[1-9][0-9]*$'

t "as CGI: another client is served, and counted in the database"
TOKEN=$(mint_token --client-id cgi-client)
cgi "$GREET" "MCP_DATABASE_URL=$PG_URL" "MCP_RATE_LIMIT=$N/600"
want_status 200
want_eq "rows in rate_limits" 2 "$(psql_q "SELECT count(*) FROM rate_limits")"

# ---- 3. a per-tool limit, Retry-After across machines ------------------------------

TOOLTOK=$(mint_token --client-id tool-client)
WHOAMI=$(call_json whoami '{}' 3)
t "a per-tool limit over both machines: 6 whoami at once get 3"
BURST_URLS=$BOTH burst 6 "$TOOLTOK" "$WHOAMI"
want_eq "200 answers" 3 "$OKS"
want_eq "429 answers" 3 "$LIMITED"
i=$(first_429)
[ -n "$i" ] && refusal_ok "$i" tool-whoami 3 9

t "Retry-After honoured across machines: refused by A, served by B once it passed"
on A
until_refused "$TOOLTOK" "$WHOAMI"
want_status 429
wait_s=$(header_value Retry-After)
want_header_match Retry-After '^[1-3]$'
sleep "${wait_s:-1}"
on B
AUTH="Bearer $TOOLTOK" mcp "$WHOAMI"
want_result 3

# ---- 4. the anonymous limit: each machine's own ------------------------------------

t "anonymous: each machine counts its own (4 401 then 429 on A, and again 4 401 on B)"
rows=$(psql_q "SELECT count(*) FROM rate_limits")
BURST_URLS="$A_BASE/mcp" burst 6 "" "$GREET"
want_eq "401 answers from A" 4 "$(grep -c ' 401$' <<<"$CODES")"
want_eq "429 answers from A" 2 "$LIMITED"
BURST_URLS="$B_BASE/mcp" burst 6 "" "$GREET"
want_eq "401 answers from B" 4 "$(grep -c ' 401$' <<<"$CODES")"
want_eq "429 answers from B" 2 "$LIMITED"
want_eq "rows in rate_limits (none for an address)" "$rows" "$(psql_q "SELECT count(*) FROM rate_limits")"

# ---- 5. PostgreSQL stopped, then back -----------------------------------------------

"$PGSERVER" stop "$PG_DIR"
DOWN=$(mint_token --client-id down-client)
t "PostgreSQL stopped: each machine counts on its own, N served by each"
BURST_URLS="$A_BASE/mcp" burst $((2 * N)) "$DOWN" "$GREET"
want_eq "200 answers from A" "$N" "$OKS"
want_eq "429 answers from A" "$N" "$LIMITED"
BURST_URLS="$B_BASE/mcp" burst $((2 * N)) "$DOWN" "$GREET"
want_eq "200 answers from B" "$N" "$OKS"
want_eq "429 answers from B" "$N" "$LIMITED"

t "PostgreSQL stopped: one warning per worker that noticed, not one per request"
for m in A B; do
	log=$A_ERRLOG
	[ $m = B ] && log=$B_ERRLOG
	n=$(grep -c 'rate limits (PostgreSQL): unavailable; each machine counts on its own' "$log")
	[ "$n" -ge 1 ] && [ "$n" -le 2 ] || note "machine $m: $n warnings for 2 workers"
done

"$PGSERVER" start "$PG_DIR" >/dev/null || note "PostgreSQL did not start again"
t "PostgreSQL back: counted in the database again, over both machines"
# A worker tries the database again 5 s after its last failed connection.
sleep 6
BACK=$(mint_token --client-id back-client)
BURST_URLS=$BOTH burst $((2 * N)) "$BACK" "$GREET"
want_eq "200 answers" "$N" "$OKS"
want_eq "429 answers" "$N" "$LIMITED"
n=$(cat "$A_ERRLOG" "$B_ERRLOG" | grep -c 'rate limits (PostgreSQL): shared by the machines again')
[ "$n" -ge 1 ] || note "no line says the limits are shared again"
want_eq "workers of A" "$A_WORKERS" "$(workers "$A_LPID")"
want_eq "workers of B" "$B_WORKERS" "$(workers "$B_LPID")"

# ---- 6. -------------------------------------------------------------------------------

t "the database password is in no log line of either machine"
if grep -qF "$PG_PASSWORD" "$A_ERRLOG" "$B_ERRLOG"; then note "the password is logged"; fi
ERRLOG=$A_ERRLOG
finish
