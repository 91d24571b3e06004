#!/usr/bin/env bash
# test_pg.sh - two "machines" on one PostgreSQL: the todo store in a real
# PostgreSQL 15 server (tests/pg/pgserver.sh: initdb into a temporary
# directory, 127.0.0.1 and a free port, stopped by its pid), and two
# lighttpd instances, each with its own four FastCGI workers, state
# directory (key cache) and error log, both given the same MCP_RESOURCE (the
# load balancer's URL), issuer and MCP_DATABASE_URL, as an operator puts
# several machines behind a load balancer.
#
#   1. both start against an empty database; their first todo calls come
#      at once from 16 clients, and the schema is migrated once (one row in
#      todo_migrations, one log line over both machines);
#   2. a todo created through one machine is read, updated, paged (the
#      cursor made by one opens on the other) and deleted through the other;
#      other owners see nothing; the program as CGI reads them too, and
#      loads libpq only for a todo call;
#   3. 16 clients x 200 creates spread over both machines lose and double
#      nothing (counted by paging list_todos and in the database);
#   4. PostgreSQL stopped: todo calls answer 503 with Retry-After and a
#      JSON-RPC error that keeps the id; a batch answers 200 with that
#      element's error; greet_user and the metadata keep working;
#   5. PostgreSQL restarted while 16 clients write: 503s with Retry-After
#      during, full service after on the same workers (no lighttpd
#      restart), every successful create stored once, none twice;
#   6. the database URL's password is in no log line.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
CLIENTS=${PG_CLIENTS:-16}
PER=${PG_PER_CLIENT:-200}
RUN_LIMIT=${PG_RUN_LIMIT:-240}
[ "${MCP_SANITIZE:-0}" = 1 ] && RUN_LIMIT=600
TOTAL=$((CLIENTS * PER))

. "$(dirname "${BASH_SOURCE[0]}")/lib_pg.sh"

# ---- PostgreSQL and the two machines ------------------------------------------

pg_start

# The rate limits (counted in the database: test_pg_ratelimit.sh) past the load of one principal.
common=(--max-procs 4 --env "MCP_DATABASE_URL=$PG_URL" --env "MCP_TODO_MAX_PER_OWNER=$((TOTAL * 2))"
	--env MCP_RATE_LIMIT=1000000/60)
pg_machines "${common[@]}"

jget() {
	node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		const v = Function("r", "return (" + process.argv[2] + ");")(r);
		process.stdout.write(typeof v === "string" ? v : String(JSON.stringify(v)));' "$RESP_BODY" "$1" 2>/dev/null
}
# The clients are tests/lib/conc_creator.js (with WAIT_503=1: after a 503
# a client waits what Retry-After says, then goes on) and their results are
# checked against list_todos by tests/lib/conc_verify.js, as in
# tests/e2e/test_concurrency.sh.

# start_clients RUN TOKEN: CLIENTS creators, odd ones on machine A, even on B.
start_clients() {
	local i base
	CLIENT_PIDS=()
	for ((i = 1; i <= CLIENTS; i++)); do
		if ((i % 2)); then base=$A_BASE; else base=$B_BASE; fi
		: >"$TMP/$1-c$i.out"
		WAIT_503=1 timeout -k 5 "$RUN_LIMIT" node "$ROOT/tests/lib/conc_creator.js" \
			"$base/mcp" "$2" "$1-c$i" "$PER" \
			"$TMP/$1-c$i.out" "$((CURL_MAX_TIME * 1000))" &
		CLIENT_PIDS+=($!)
	done
}
wait_clients() {
	local pid
	for pid in "${CLIENT_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	CLIENT_PIDS=()
}
progress() { cat "$TMP/$1"-c*.out 2>/dev/null | grep -c '^ok\|^fail'; }

# db_count SUBJECT: the todos of SUBJECT in the database, counted there.
db_count() { psql_q "SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || count(DISTINCT title) FROM todos WHERE owner_sub = '$1'"; }

# ---- 1 and 3. an empty database, 16 clients at once on both machines -----------

TOK1=$(mint_token --scope "todo:read todo:write" --sub pg-one)
t "two machines: each runs four workers; the database is empty"
want_eq "workers of A" 4 "$(wc -w <<<"$(workers "$A_LPID")")"
want_eq "workers of B" 4 "$(wc -w <<<"$(workers "$B_LPID")")"
want_eq "tables" 0 "$(psql_q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
A_WORKERS=$(workers "$A_LPID") B_WORKERS=$(workers "$B_LPID")

t0=$(date +%s.%N)
start_clients one "$TOK1"
wait_clients
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

t "the schema was migrated once, by one of the eight workers that started at once"
# Two migrations (the todos; the shared rate limits), each applied and logged once.
want_eq "todo_migrations rows" "2 2" "$(psql_q "SELECT count(*) || ' ' || max(version) FROM todo_migrations")"
n=$(cat "$A_ERRLOG" "$B_ERRLOG" | grep -c 'migrated to schema version [12] ')
want_eq "'migrated' log lines over both machines" 2 "$n"

t "$CLIENTS clients x $PER creates over both machines: every call 200 (${secs} s)"
on A
todo_list_all "$TOK1" "$TMP/one.list" || note "list_todos paging failed: $STATUS $(short "$BODY")"
out=$(node "$ROOT/tests/lib/conc_verify.js" "$TMP/one.list" exact "$TMP"/one-c*.out) || note "$out"
echo "     $(head -n 1 <<<"$out")"

t "all $TOTAL todos stored exactly once: paged through machine B, and counted in the database"
on B
todo_list_all "$TOK1" "$TMP/one-b.list" || note "list_todos through B failed"
cmp -s "$TMP/one.list" "$TMP/one-b.list" || note "A and B list different todos"
want_eq "listed" "$TOTAL" "$(wc -l <"$TMP/one-b.list" | tr -d ' ')"
want_eq "rows, distinct ids, distinct titles" "$TOTAL $TOTAL $TOTAL" "$(db_count pg-one)"

# ---- 2. one todo through both machines --------------------------------------------

TOK2=$(mint_token --scope "todo:read todo:write" --sub pg-two)
TOK2_ORG=$(mint_token --scope "todo:read todo:write" --sub pg-two --claims '{"org_id":"org_other"}')
TOK_OTHER=$(mint_token --scope "todo:read todo:write" --sub pg-stranger)

t "created through A, read through B"
on A
call "$TOK2" create_todo '{"title":"crosses machines","description":"from A"}' 11
want_result 11
ID=$(jget 'r.result.structuredContent.id')
on B
call "$TOK2" get_todo "{\"todo_id\":\"$ID\"}" 12
want_json 'r.result.structuredContent.title' '"crosses machines"' \
	'r.result.structuredContent.description' '"from A"'

t "updated through B, read through A"
call "$TOK2" update_todo "{\"todo_id\":\"$ID\",\"completed\":true,\"title\":\"done on B\"}" 13
want_json 'r.result.structuredContent.completed' true
on A
call "$TOK2" get_todo "{\"todo_id\":\"$ID\"}" 14
want_json 'r.result.structuredContent.title' '"done on B"' 'r.result.structuredContent.completed' true

t "another subject, or the same subject in another organisation, reaches nothing through either"
for m in A B; do
	on $m
	for tk in "$TOK_OTHER" "$TOK2_ORG"; do
		call "$tk" get_todo "{\"todo_id\":\"$ID\"}" 15
		want_tool_error 15 "todo not found"
		call "$tk" delete_todo "{\"todo_id\":\"$ID\"}" 16
		want_tool_error 16 "todo not found"
	done
done

t "a list cursor made by A opens on B (the key is in the database)"
on A
for i in 1 2 3; do call "$TOK2" create_todo "{\"title\":\"page $i\"}" 17 >/dev/null; done
call "$TOK2" list_todos '{"limit":2}' 18
cursor=$(jget 'r.result.structuredContent.next_cursor')
[ -n "$cursor" ] && [ "$cursor" != null ] || note "no next_cursor: $(short "$BODY")"
on B
call "$TOK2" list_todos "{\"limit\":2,\"cursor\":\"$cursor\"}" 19
want_json 'r.result.structuredContent.todos.map((x) => x.title)' '["page 2","page 3"]'
call "$TOK_OTHER" list_todos "{\"limit\":2,\"cursor\":\"$cursor\"}" 20
want_tool_error 20 "invalid cursor: pass the next_cursor of a previous page"

t "deleted through A, gone through B"
on A
call "$TOK2" delete_todo "{\"todo_id\":\"$ID\"}" 21
want_result 21
want_json 'r.result.isError === true' false
on B
call "$TOK2" get_todo "{\"todo_id\":\"$ID\"}" 22
want_tool_error 22 "todo not found"

# ---- 2b. a CGI run on the same database ----------------------------------------------

TOKEN=$TOK2
. "$ROOT/tests/pg/lib_pg_cgi.sh"

# With the rate limits counted in the database, every request reaches it (test_pg_ratelimit.sh).
t "as CGI, the rate limits off: a run that calls no todo tool never loads libpq"
cgi "$(call_json greet_user '{"name":"Ada"}' 23)" "MCP_DATABASE_URL=$PG_URL" MCP_RATE_LIMIT=0 LD_DEBUG=libs
want_status 200
grep -q 'libpq\.so' <<<"$CGI_ERR" && note "libpq was loaded for greet_user"

t "as CGI: a todo call loads libpq, connects and lists the machines' todos"
cgi "$(call_json list_todos '{}' 24)" "MCP_DATABASE_URL=$PG_URL" LD_DEBUG=libs
want_status 200
want_json 'r.id' 24 'r.result.structuredContent.todos.map((x) => x.title)' '["page 1","page 2","page 3"]'
grep -q 'libpq\.so' <<<"$CGI_ERR" || note "libpq was not loaded"

# ---- 4. PostgreSQL stopped ------------------------------------------------------

"$PGSERVER" stop "$PG_DIR"
t "PostgreSQL stopped: a todo call answers 503 with Retry-After, on both machines"
for m in A B; do
	on $m
	for tool in list_todos create_todo; do
		args='{}'
		[ $tool = create_todo ] && args='{"title":"while down"}'
		call "$TOK2" $tool "$args" 31
		want_status 503
		want_header "Retry-After" 5
		want_json 'r.id' 31 'r.error.code' -32004 'r.error.data' '{"retryAfter":5}'
	done
done

t "PostgreSQL stopped: greet_user, tools/list and the metadata keep working"
for m in A B; do
	on $m
	call "$TOK2" greet_user '{"name":"Ada"}' 32
	want_result 32
	want_no_header Retry-After
	AUTH="Bearer $TOK2" mcp '{"jsonrpc":"2.0","id":33,"method":"tools/list"}'
	want_result 33
	http GET /.well-known/oauth-protected-resource/mcp
	want_status 200
done

t "PostgreSQL stopped: a batch answers 200, the todo element's error and Retry-After"
on A
AUTH="Bearer $TOK2" mcp "[$(call_json greet_user '{"name":"Ada"}' 41),$(call_json create_todo '{"title":"batched"}' 42)]"
want_status 200
want_header "Retry-After" 5
want_json 'r.length' 2 'r[0].id' 41 '"result" in r[0]' true 'r[1].id' 42 'r[1].error.code' -32004

"$PGSERVER" start "$PG_DIR" >/dev/null || { t "PostgreSQL starts again"; note "$(tail -n 5 "$PG_DIR/log")"; finish; }
t "PostgreSQL back: both machines serve the todos again, with the same workers"
for m in A B; do
	on $m
	for ((i = 0; i < 50; i++)); do
		call "$TOK2" list_todos '{}' 34
		[ "$STATUS" = 200 ] && break
		sleep 0.1
	done
	want_result 34
	want_json 'r.result.structuredContent.todos.length' 3
done
want_eq "workers of A" "$A_WORKERS" "$(workers "$A_LPID")"
want_eq "workers of B" "$B_WORKERS" "$(workers "$B_LPID")"
want_eq "'batched' and 'while down' rows" 0 \
	"$(psql_q "SELECT count(*) FROM todos WHERE title IN ('batched', 'while down')")"

# ---- 5. PostgreSQL restarted while 16 clients write -------------------------------

TOK5=$(mint_token --scope "todo:read todo:write" --sub pg-restart)
gate_at=$((PER * 50 / 100))
export GATE_FILE=$TMP/restart.gate GATE_AT=$gate_at
start_clients restart "$TOK5"
unset GATE_FILE GATE_AT
for ((i = 0; i < RUN_LIMIT * 20; i++)); do
	[ "$(progress restart)" -ge $((CLIENTS * (gate_at - 1))) ] && break
	sleep 0.05
done
"$PGSERVER" stop "$PG_DIR"
: >"$TMP/restart.gate"
sleep 2
"$PGSERVER" start "$PG_DIR" >/dev/null
wait_clients

t "restart mid-run: 503 with Retry-After while it was down"
n503=$(cat "$TMP"/restart-c*.out | awk -F'\t' '$1 == "fail" && $3 == 503 && $4 == 5' | wc -l)
nother=$(cat "$TMP"/restart-c*.out | awk -F'\t' '$1 == "fail" && !($3 == 503 && $4 == 5)' | wc -l)
echo "     503 with Retry-After: $n503, other failures: $nother"
[ "$n503" -ge 1 ] || note "no 503 answered"
want_eq "failures other than 503 with Retry-After" 0 "$nother"
[ "$nother" = 0 ] || note "$(cat "$TMP"/restart-c*.out | awk -F'\t' '$1 == "fail" && !($3 == 503 && $4 == 5)' | head -n 3)"

t "restart mid-run: full service after (each client's last calls succeeded), same workers"
for ((i = 1; i <= CLIENTS; i++)); do
	last=$(grep -v '^done' "$TMP/restart-c$i.out" | tail -n 1)
	[ "${last%%	*}" = ok ] || note "client $i's last call: $last"
done
want_eq "workers of A" "$A_WORKERS" "$(workers "$A_LPID")"
want_eq "workers of B" "$B_WORKERS" "$(workers "$B_LPID")"

t "restart mid-run: every successful create stored once, none twice, none never sent"
on B
if todo_list_all "$TOK5" "$TMP/restart.list"; then
	out=$(node "$ROOT/tests/lib/conc_verify.js" "$TMP/restart.list" restart "$TMP"/restart-c*.out) || note "$out"
	echo "     $(head -n 1 <<<"$out")"
	rows=$(wc -l <"$TMP/restart.list" | tr -d ' ')
	want_eq "database rows, distinct ids, distinct titles" "$rows $rows $rows" "$(db_count pg-restart)"
else
	note "list_todos paging failed: $STATUS $(short "$BODY")"
fi

# ---- 6. secrets -----------------------------------------------------------------

t "the database password is in no log line of either machine"
for f in "$A_DIR"/log/*.log "$B_DIR"/log/*.log; do
	grep -qF "$PG_PASSWORD" "$f" && note "$f holds the password"
done
n=$(cat "$A_ERRLOG" "$B_ERRLOG" | grep -c 'PostgreSQL')
[ "$n" -ge 1 ] || note "no PostgreSQL log line at all (the outage was not logged)"

t "no worker crashed, no sanitizer report"
cat "$A_ERRLOG" "$B_ERRLOG" | grep -nE 'AddressSanitizer|runtime error:|LeakSanitizer|child signalled|child exited' |
	head -n 5 >"$TMP/crash.lines"
[ -s "$TMP/crash.lines" ] && note "error log:" "$(cat "$TMP/crash.lines")"

finish
