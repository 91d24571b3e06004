#!/usr/bin/env bash
# test_todos.sh - the todo tools and per-tool scopes, end to end: a real
# lighttpd configured from lighttpd.conf.example by mkconf.sh, mcp.fcgi as
# FastCGI, tokens from the development issuer, driven with curl.
#
# For each tool: the right scope succeeds; a missing scope gives 403 with
# the RFC 6750 §3.1 insufficient_scope challenge and a JSON-RPC error that
# carries the request's id, and the tool does not run (the database file
# and what list_todos shows stay the same); no token gives 401.  Then the
# wildcard and tool grants, the operator's MCP_TOOL_SCOPES and
# MCP_REQUIRED_SCOPES, authentication before scope, tools/list's
# _meta.scopes, the limits, isolation by subject and organisation, and the
# audit lines.  Negative cases first in each part.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_programs mcp.fcgi wellknown.fcgi
server_start_or_finish

NOW=$(date +%s)

# ---- helpers -------------------------------------------------------------

# tok SCOPES [mint options...]: a token of e2e-user with SCOPES ("" for no
# scope claim) for the running server.
tok() {
	local scopes=$1
	shift
	if [ -n "$scopes" ]; then mint_token --scope "$scopes" "$@"; else mint_token "$@"; fi
}

# expired_tok SCOPES: a token that expired an hour ago (beyond any leeway).
expired_tok() {
	tok "$1" --claims "{\"iat\":$((NOW - 7200)),\"exp\":$((NOW - 3600))}"
}

# mint_all: the tokens the cases use, for the running server's issuer.
mint_all() {
	T_NONE=$(tok "")                     # valid, no scope at all
	T_RO=$(tok "todo:read")
	T_WO=$(tok "todo:write")
	T_RW=$(tok "todo:read todo:write")
	T_OTHER=$(tok "profile email")       # valid, unrelated scopes
}

# prm: the metadata URL every challenge names.
prm() { printf '%s/.well-known/oauth-protected-resource/mcp' "$BASE"; }

# call TOKEN TOOL ARGS [ID]: tools/call as the holder of TOKEN ("" sends no
# Authorization header).
call() {
	AUTH=${1:+Bearer $1} mcp "$(call_json "$2" "$3" "${4:-1}")"
}

# rpc TOKEN METHOD [ID]: a request without params.
rpc() {
	AUTH=${1:+Bearer $1} mcp "{\"jsonrpc\":\"2.0\",\"id\":${3:-1},\"method\":\"$2\"}"
}

# jget EXPR: EXPR on the last response body (r): strings raw, else JSON.
jget() {
	node -e '
		const fs = require("fs");
		try {
			const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
			const v = Function("r", "return (" + process.argv[2] + ");")(r);
			process.stdout.write(typeof v === "string" ? v : String(JSON.stringify(v)));
		} catch (e) { process.exit(1); }
	' "$RESP_BODY" "$1"
}

# want_tool_ok ID [EXPR WANT...]: a tool result (not isError) for request
# ID whose text content is the JSON of its structuredContent; each EXPR is
# applied to the structuredContent (s).
want_tool_ok() {
	local id=$1 pairs=() i j
	shift
	want_result "$id"
	want_json 'r.result.isError === true' false \
		'typeof r.result.structuredContent' '"object"' \
		'r.result.content.length === 1 && r.result.content[0].type' '"text"' \
		'JSON.stringify(JSON.parse(r.result.content[0].text)) === JSON.stringify(r.result.structuredContent)' true
	for ((i = 1; i <= $#; i += 2)); do
		pairs+=("(s => ${!i})(r.result.structuredContent)")
		j=$((i + 1))
		pairs+=("${!j}")
	done
	[ ${#pairs[@]} -eq 0 ] || want_json "${pairs[@]}"
}

# want_scope_403 ID NEEDS [SCOPE]: 403 with the exact challenge: its
# error_description names NEEDS, what the call needs, and scope= is SCOPE
# (default NEEDS): NEEDS, then the scopes the token holds that the server
# knows, so a step-up keeps them (MCP 2025-11-25, scope challenge handling);
# and a JSON-RPC error -32003 for request ID.
want_scope_403() {
	want_status 403
	want_header WWW-Authenticate \
		"Bearer realm=\"mcp\", error=\"insufficient_scope\", error_description=\"the request needs $2\", scope=\"${3:-$2}\", resource_metadata=\"$(prm)\""
	want_header_match Content-Type '^application/json'
	want_json 'r.jsonrpc' '"2.0"' 'r.id' "$1" 'r.error.code' -32003 \
		'typeof r.error.message' '"string"' '"result" in r' false
}

# The scopes the server advertises (every tool's, then MCP_REQUIRED_SCOPES):
# set for each server the test starts.
SUPPORTED="todo:write todo:read"

# want_401_no_token: the challenge for a request without a token, naming
# every scope the server knows, so a client asks for enough the first time.
want_401_no_token() {
	want_status 401
	want_header WWW-Authenticate "Bearer realm=\"mcp\", scope=\"$SUPPORTED\", resource_metadata=\"$(prm)\""
}

# want_401_invalid: the challenge for a refused token (never a 403).
want_401_invalid() {
	want_status 401
	want_header_match WWW-Authenticate \
		"^Bearer realm=\"mcp\", error=\"invalid_token\"(, error_description=\"[^\"]*\")?, scope=\"$SUPPORTED\", resource_metadata=\"$(prm)\"\$"
	want_body_lacks insufficient_scope
}

# db_sum: a checksum of the database and its write-ahead log (the files a
# write changes; the -shm index is left out, readers touch it).
db_sum() {
	local db=$SRV_DIR/state/todos.sqlite
	cat "$db" "$db-wal" 2>/dev/null | cksum
}

# list_all TOKEN FILE: todo_list_all, then prints the count.
list_all() {
	todo_list_all "$1" "$2" || return 1
	wc -l <"$2" | tr -d ' '
}

# count TOKEN: how many todos TOKEN's owner has ("error" when listing failed).
count() {
	list_all "$1" "$TMP/count.list" || echo error
}

# has_todo TOKEN ID: true when TOKEN's list holds ID.
has_todo() {
	list_all "$1" "$TMP/has.list" >/dev/null && grep -q "^$2	" "$TMP/has.list"
}

# create TOKEN TITLE: creates a todo and prints its id (nothing on failure).
create() {
	call "$1" create_todo "{\"title\":\"$2\"}" 1
	jget 'r.result.isError ? "" : r.result.structuredContent.id'
}

# snapshot TOKEN ID: what get_todo returns for ID (to compare before/after).
snapshot() {
	call "$1" get_todo "{\"todo_id\":\"$2\"}" 1
	jget 'r.result.structuredContent'
}

# repeat CHAR N: CHAR N times.
repeat() {
	local s="" i
	for ((i = 0; i < $2; i++)); do s+=$1; done
	printf '%s' "$s"
}

mint_all

# ---- no token: 401 for every tool, nothing runs ---------------------------

FIRST=$(create "$T_RW" "kept todo")
before=$(db_sum)
for tool in greet_user whoami create_todo list_todos get_todo update_todo delete_todo; do
	case $tool in
	greet_user) args='{"name":"Ada"}' ;;
	whoami) args='{}' ;;
	create_todo) args='{"title":"no token"}' ;;
	list_todos) args='{}' ;;
	update_todo) args="{\"todo_id\":\"$FIRST\",\"title\":\"no token\"}" ;;
	*) args="{\"todo_id\":\"$FIRST\"}" ;;
	esac
	t "$tool without a token -> 401 with the metadata challenge, tool not run"
	call "" "$tool" "$args" 11
	want_401_no_token
	want_body_lacks 'Hi Ada'
	want_body_lacks 'kept todo'
	want_eq "database checksum" "$before" "$(db_sum)"
done

t "after the 401s the todo is there, unchanged"
want_eq "list" "1" "$(count "$T_RO")"
call "$T_RO" get_todo "{\"todo_id\":\"$FIRST\"}" 12
want_tool_ok 12 s.title '"kept todo"' s.completed false

# ---- missing scopes: 403, tool not run ------------------------------------

t "create_todo with todo:read only -> 403 scope=todo:write, nothing stored"
before=$(db_sum)
call "$T_RO" create_todo '{"title":"should not exist"}' 21
want_scope_403 21 todo:write "todo:write todo:read"
want_eq "database checksum" "$before" "$(db_sum)"
want_eq "todos listed" 1 "$(count "$T_RO")"

t "create_todo with no scope -> 403 scope=todo:write, nothing stored"
before=$(db_sum)
call "$T_NONE" create_todo '{"title":"should not exist"}' '"str-id"'
want_scope_403 '"str-id"' todo:write
want_eq "database checksum" "$before" "$(db_sum)"
want_eq "todos listed" 1 "$(count "$T_RO")"

t "create_todo with unrelated scopes and invalid arguments -> 403 (scope before arguments)"
before=$(db_sum)
call "$T_OTHER" create_todo '{"bogus":1}' 22
want_scope_403 22 todo:write
want_eq "database checksum" "$before" "$(db_sum)"

t "list_todos with todo:write only -> 403 scope=todo:read, no todos shown"
call "$T_WO" list_todos '{}' 23
want_scope_403 23 todo:read "todo:read todo:write"
want_body_lacks 'kept todo'

t "get_todo with todo:write only -> 403 scope=todo:read, no todo shown"
call "$T_WO" get_todo "{\"todo_id\":\"$FIRST\"}" 24
want_scope_403 24 todo:read "todo:read todo:write"
want_body_lacks 'kept todo'

t "get_todo with no scope -> 403 scope=todo:read"
call "$T_NONE" get_todo "{\"todo_id\":\"$FIRST\"}" 25
want_scope_403 25 todo:read

snap=$(snapshot "$T_RO" "$FIRST")
t "update_todo with todo:read only -> 403 scope=todo:write, todo unchanged"
before=$(db_sum)
call "$T_RO" update_todo "{\"todo_id\":\"$FIRST\",\"title\":\"changed\",\"completed\":true}" 26
want_scope_403 26 todo:write "todo:write todo:read"
want_eq "database checksum" "$before" "$(db_sum)"
want_eq "get_todo afterwards" "$snap" "$(snapshot "$T_RO" "$FIRST")"

t "update_todo of an unknown id with todo:read only -> 403 (not 'todo not found')"
call "$T_RO" update_todo '{"todo_id":"00000000000000000000000000000000"}' 27
want_scope_403 27 todo:write "todo:write todo:read"

t "delete_todo with todo:read only -> 403 scope=todo:write, todo still there"
before=$(db_sum)
call "$T_RO" delete_todo "{\"todo_id\":\"$FIRST\"}" 28
want_scope_403 28 todo:write "todo:write todo:read"
want_eq "database checksum" "$before" "$(db_sum)"
want_eq "get_todo afterwards" "$snap" "$(snapshot "$T_RO" "$FIRST")"

t "delete_todo with unrelated scopes -> 403 scope=todo:write, todo still there"
call "$T_OTHER" delete_todo "{\"todo_id\":\"$FIRST\"}" 29
want_scope_403 29 todo:write
want_eq "get_todo afterwards" "$snap" "$(snapshot "$T_RO" "$FIRST")"

# Scope strings match exactly (RFC 6749 §3.3: case-sensitive), a wildcard covers one
# segment ("todo:*" is todo:<x>; "mcp:*" is no tool grant), and a tool grant names the
# whole tool.
for s in todo TODO:WRITE todo:writer todo:write:x 'todo:read todo:writ' 'todo:read:*' \
	mcp:tools mcp:tools:create mcp:tools:create_todos mcp:tools:list_todos 'mcp:tools:create_todo:*' \
	'mcp:*' 'todo:write:*'; do
	t "create_todo with scope '$s' -> 403 scope=todo:write, nothing stored"
	before=$(db_sum)
	call "$(tok "$s")" create_todo '{"title":"should not exist"}' 30
	case " $s " in
	*" todo:read "*) want_scope_403 30 todo:write "todo:write todo:read" ;;
	*) want_scope_403 30 todo:write ;;
	esac
	want_eq "database checksum" "$before" "$(db_sum)"
done

# ---- authentication comes before scope ------------------------------------

T_EXP_RO=$(expired_tok "todo:read")
T_EXP_RW=$(expired_tok "todo:read todo:write")

t "expired token lacking todo:write calls create_todo -> 401 invalid_token, not 403"
before=$(db_sum)
call "$T_EXP_RO" create_todo '{"title":"expired"}' 31
want_401_invalid
want_eq "database checksum" "$before" "$(db_sum)"

t "expired token lacking todo:read calls list_todos -> 401, not 403"
call "$(expired_tok "")" list_todos '{}' 32
want_401_invalid
want_body_lacks 'kept todo'

t "expired token with todo:write -> 401, nothing stored, nothing deleted"
before=$(db_sum)
call "$T_EXP_RW" create_todo '{"title":"expired"}' 33
want_401_invalid
call "$T_EXP_RW" delete_todo "{\"todo_id\":\"$FIRST\"}" 34
want_401_invalid
want_eq "database checksum" "$before" "$(db_sum)"

t "token for another audience lacking the scope -> 401, not 403"
call "$(mint_token --aud "$BASE/other" --scope todo:read)" create_todo '{"title":"x"}' 35
want_401_invalid

t "token signed by another key lacking the scope -> 401, not 403"
mkdir -p "$TMP/rogue"
"$CLI" keygen --out "$TMP/rogue/key.pem" >/dev/null 2>&1
call "$("$CLI" mint --key "$TMP/rogue/key.pem" --iss "$ISSUER" --aud "$RESOURCE" \
	--sub e2e-user --scope todo:read --ttl 600)" create_todo '{"title":"x"}' 36
want_401_invalid
want_eq "todos listed" 1 "$(count "$T_RO")"

# ---- the right scope: each tool succeeds -----------------------------------

t "greet_user with a token without scopes -> Hi Ada, welcome!"
call "$T_NONE" greet_user '{"name":"Ada"}' 41
want_result 41
want_json 'r.result.content' '[{"type":"text","text":"Hi Ada, welcome!"}]' 'r.result.isError === true' false

t "greet_user with unrelated scopes -> served (no scope needed)"
call "$T_OTHER" greet_user '{"name":"Bob"}' 42
want_result 42
want_json 'r.result.content[0].text' '"Hi Bob, welcome!"'

t "whoami with a token without scopes -> the token's identity"
call "$T_NONE" whoami '{}' 43
want_tool_ok 43 s.subject '"e2e-user"' s.client_id '"e2e-client"' s.org_id null \
	s.issuer "\"$ISSUER\"" s.scopes '[]' 'Number.isInteger(s.expires_at) && s.expires_at > Date.now() / 1000' true
want_body_lacks "$T_NONE"

t "whoami with scopes and an organisation -> scopes and org_id"
call "$(tok "todo:read profile" --org-id org-42)" whoami '{}' 44
want_tool_ok 44 s.scopes '["todo:read","profile"]' s.org_id '"org-42"' s.subject '"e2e-user"'

t "create_todo with todo:write -> the new todo"
call "$T_WO" create_todo '{"title":"Buy milk","description":"2 litres"}' 45
want_tool_ok 45 '/^[0-9a-f]{32}$/.test(s.id)' true s.title '"Buy milk"' s.description '"2 litres"' \
	s.completed false 'Number.isInteger(s.created_at) && Math.abs(s.created_at - Date.now() / 1000) < 600' true \
	's.updated_at === s.created_at' true 'Object.keys(s).sort()' \
	'["completed","created_at","description","id","title","updated_at"]'
MILK=$(jget 'r.result.structuredContent.id')
MILK_CREATED=$(jget 'r.result.structuredContent.created_at')

t "create_todo without a description -> description \"\""
call "$T_RW" create_todo '{"title":"No details"}' 46
want_tool_ok 46 s.title '"No details"' s.description '""' s.completed false
NODESC=$(jget 'r.result.structuredContent.id')

t "create_todo with an empty title -> isError naming title, nothing stored"
before=$(db_sum)
call "$T_RW" create_todo '{"title":""}' 47
want_tool_error 47 "invalid arguments: title: must be at least 1 characters"
want_eq "database checksum" "$before" "$(db_sum)"

t "list_todos with todo:read -> the todos, oldest first, next_cursor null"
call "$T_RO" list_todos '{}' 48
want_tool_ok 48 's.todos.map(x => x.id)' "[\"$FIRST\",\"$MILK\",\"$NODESC\"]" \
	's.todos[1].title' '"Buy milk"' 's.todos[1].description' '"2 litres"' \
	's.next_cursor' null

t "list_todos paging: limit 2 -> two, then the rest with the cursor"
call "$T_RO" list_todos '{"limit":2}' 49
want_tool_ok 49 's.todos.length' 2 'typeof s.next_cursor' '"string"'
cur=$(jget 'r.result.structuredContent.next_cursor')
call "$T_RO" list_todos "{\"limit\":2,\"cursor\":\"$cur\"}" 50
want_tool_ok 50 's.todos.map(x => x.id)' "[\"$NODESC\"]" 's.next_cursor' null

t "list_todos with a forged cursor -> isError"
call "$T_RO" list_todos '{"cursor":"not-a-cursor"}' 51
want_tool_error 51 "invalid cursor: pass the next_cursor of a previous page"

# Cursors reveal nothing (no row sequence to count others' todos by) and open
# only for their owner.
t "list_todos cursors are opaque: sealed text, different each time for the same page"
[[ $cur =~ ^[A-Za-z0-9_-]{48}$ ]] || note "cursor: wanted 48 base64url characters, got '$cur'"
call "$T_RO" list_todos '{"limit":2}' 52
want_eq "a second cursor for the same page differs" true \
	"$([ "$(jget 'r.result.structuredContent.next_cursor')" != "$cur" ] && echo true)"
t "list_todos with another owner's cursor, or a changed one -> isError"
call "$(tok "todo:read" --sub someone-else)" list_todos "{\"cursor\":\"$cur\"}" 53
want_tool_error 53 "invalid cursor: pass the next_cursor of a previous page"
flip=${cur:0:5}$([ "${cur:5:1}" = A ] && echo B || echo A)${cur:6}
call "$T_RO" list_todos "{\"cursor\":\"$flip\"}" 54
want_tool_error 54 "invalid cursor: pass the next_cursor of a previous page"

t "get_todo with todo:read -> the todo"
call "$T_RO" get_todo "{\"todo_id\":\"$MILK\"}" 52
want_tool_ok 52 s.id "\"$MILK\"" s.title '"Buy milk"' s.description '"2 litres"' s.completed false \
	s.created_at "$MILK_CREATED"

t "update_todo with todo:write -> the changed todo, other fields kept"
call "$T_WO" update_todo "{\"todo_id\":\"$MILK\",\"completed\":true,\"title\":\"Buy oat milk\"}" 53
want_tool_ok 53 s.id "\"$MILK\"" s.title '"Buy oat milk"' s.description '"2 litres"' s.completed true \
	s.created_at "$MILK_CREATED" 's.updated_at >= s.created_at' true

t "update_todo is visible to get_todo and list_todos(completed:true)"
call "$T_RO" get_todo "{\"todo_id\":\"$MILK\"}" 54
want_tool_ok 54 s.title '"Buy oat milk"' s.completed true
call "$T_RO" list_todos '{"completed":true}' 55
want_tool_ok 55 's.todos.map(x => x.id)' "[\"$MILK\"]"
call "$T_RO" list_todos '{"completed":false}' 56
want_tool_ok 56 's.todos.map(x => x.id)' "[\"$FIRST\",\"$NODESC\"]"

t "delete_todo with todo:write -> {id, deleted: true}; gone afterwards"
call "$T_WO" delete_todo "{\"todo_id\":\"$NODESC\"}" 57
want_tool_ok 57 s '{"id":"'"$NODESC"'","deleted":true}'
call "$T_RO" get_todo "{\"todo_id\":\"$NODESC\"}" 58
want_tool_error 58 "todo not found"
want_eq "todos listed" 2 "$(count "$T_RO")"

t "delete_todo again -> isError todo not found"
call "$T_WO" delete_todo "{\"todo_id\":\"$NODESC\"}" 59
want_tool_error 59 "todo not found"

for id in 0123456789abcdef0123456789abcdef 0123456789ABCDEF0123456789ABCDEF ../../etc/passwd \
	"${MILK}0" "${MILK:0:31}" "' OR 1=1 --"; do
	t "get/update/delete of id '$id' -> isError todo not found"
	call "$T_RW" get_todo "{\"todo_id\":\"$id\"}" 60
	want_tool_error 60 "todo not found"
	call "$T_RW" update_todo "{\"todo_id\":\"$id\",\"title\":\"x\"}" 61
	want_tool_error 61 "todo not found"
	call "$T_RW" delete_todo "{\"todo_id\":\"$id\"}" 62
	want_tool_error 62 "todo not found"
done
want_eq "todos listed" 2 "$(count "$T_RO")"

# ---- grants: todo:*, mcp:tools:<tool>, mcp:tools:* ---------------------------

for g in 'todo:*' 'mcp:tools:*'; do
	T_G=$(tok "$g")
	t "'$g' grants create_todo, list_todos, get_todo, update_todo, delete_todo"
	call "$T_G" create_todo '{"title":"granted"}' 71
	want_tool_ok 71 s.title '"granted"'
	gid=$(jget 'r.result.structuredContent.id')
	call "$T_G" list_todos '{}' 72
	want_tool_ok 72 "s.todos.some(x => x.id === \"$gid\")" true
	call "$T_G" get_todo "{\"todo_id\":\"$gid\"}" 73
	want_tool_ok 73 s.title '"granted"'
	call "$T_G" update_todo "{\"todo_id\":\"$gid\",\"completed\":true}" 74
	want_tool_ok 74 s.completed true
	call "$T_G" delete_todo "{\"todo_id\":\"$gid\"}" 75
	want_tool_ok 75 s.deleted true
	call "$T_G" greet_user '{"name":"G"}' 76
	want_result 76
done

T_TC=$(tok "mcp:tools:create_todo")
t "mcp:tools:create_todo grants create_todo"
call "$T_TC" create_todo '{"title":"tool grant"}' 77
want_tool_ok 77 s.title '"tool grant"'
TGID=$(jget 'r.result.structuredContent.id')
want_eq "todos listed (read token)" 3 "$(count "$T_RO")"

t "mcp:tools:create_todo does not grant list_todos, get_todo, update_todo, delete_todo"
before=$(db_sum)
call "$T_TC" list_todos '{}' 78
want_scope_403 78 todo:read
call "$T_TC" get_todo "{\"todo_id\":\"$TGID\"}" 79
want_scope_403 79 todo:read
call "$T_TC" update_todo "{\"todo_id\":\"$TGID\",\"title\":\"no\"}" 80
want_scope_403 80 todo:write
call "$T_TC" delete_todo "{\"todo_id\":\"$TGID\"}" 81
want_scope_403 81 todo:write
want_eq "database checksum" "$before" "$(db_sum)"

t "mcp:tools:list_todos + mcp:tools:delete_todo grant exactly those"
T_TLD=$(tok "mcp:tools:list_todos mcp:tools:delete_todo")
call "$T_TLD" list_todos '{}' 82
want_tool_ok 82 "s.todos.some(x => x.id === \"$TGID\")" true
call "$T_TLD" get_todo "{\"todo_id\":\"$TGID\"}" 83
want_scope_403 83 todo:read
call "$T_TLD" delete_todo "{\"todo_id\":\"$TGID\"}" 84
want_tool_ok 84 s.deleted true

# ---- tools/list ---------------------------------------------------------------

t "tools/list (no scope needed) shows each tool's scopes in _meta.scopes"
rpc "$T_NONE" tools/list 91
want_result 91
want_json 'r.result.tools.map(x => [x.name, x._meta && x._meta.scopes])' \
	'[["greet_user",[]],["whoami",[]],["create_todo",["todo:write"]],["list_todos",["todo:read"]],["get_todo",["todo:read"]],["update_todo",["todo:write"]],["delete_todo",["todo:write"]]]'

t "tools/list: the todo tools declare output schemas and annotations"
want_json 'r.result.tools.filter(x => /todo/.test(x.name)).every(x => x.outputSchema && x.outputSchema.type === "object")' true \
	'r.result.tools.find(x => x.name === "list_todos").annotations.readOnlyHint' true \
	'r.result.tools.find(x => x.name === "delete_todo").annotations.destructiveHint' true

# ---- limits -----------------------------------------------------------------

t "title of 201 characters -> isError, nothing stored"
before=$(db_sum)
n0=$(count "$T_RO")
call "$T_RW" create_todo "{\"title\":\"$(repeat a 201)\"}" 101
want_tool_error 101 "invalid arguments: title: must be at most 200 characters"
want_eq "database checksum" "$before" "$(db_sum)"
want_eq "todos listed" "$n0" "$(count "$T_RO")"

t "title of 201 two-byte characters -> isError, nothing stored"
before=$(db_sum)
call "$T_RW" create_todo "{\"title\":\"$(repeat é 201)\"}" 102
want_tool_error 102 "invalid arguments: title: must be at most 200 characters"
want_eq "database checksum" "$before" "$(db_sum)"

t "title of 200 characters (also two-byte ones) -> stored whole"
call "$T_RW" create_todo "{\"title\":\"$(repeat a 200)\"}" 103
want_tool_ok 103 's.title.length' 200
LONG=$(jget 'r.result.structuredContent.id')
call "$T_RW" create_todo "{\"title\":\"$(repeat é 200)\"}" 104
want_tool_ok 104 "s.title === \"$(repeat é 200)\"" true

t "description of 2001 characters -> isError, nothing stored"
before=$(db_sum)
n0=$(count "$T_RO")
call "$T_RW" create_todo "{\"title\":\"d\",\"description\":\"$(repeat b 2001)\"}" 105
want_tool_error 105 "invalid arguments: description: must be at most 2000 characters"
want_eq "database checksum" "$before" "$(db_sum)"
want_eq "todos listed" "$n0" "$(count "$T_RO")"

t "description of 2000 characters -> stored whole"
call "$T_RW" create_todo "{\"title\":\"d\",\"description\":\"$(repeat b 2000)\"}" 106
want_tool_ok 106 's.description.length' 2000

t "update_todo with a 201-character title -> isError, todo unchanged"
snap=$(snapshot "$T_RO" "$LONG")
before=$(db_sum)
call "$T_RW" update_todo "{\"todo_id\":\"$LONG\",\"title\":\"$(repeat c 201)\",\"completed\":true}" 107
want_tool_error 107 "invalid arguments: title: must be at most 200 characters"
want_eq "database checksum" "$before" "$(db_sum)"
want_eq "get_todo afterwards" "$snap" "$(snapshot "$T_RO" "$LONG")"

t "update_todo with a 2001-character description -> isError, todo unchanged"
call "$T_RW" update_todo "{\"todo_id\":\"$LONG\",\"description\":\"$(repeat c 2001)\"}" 108
want_tool_error 108 "invalid arguments: description: must be at most 2000 characters"
want_eq "get_todo afterwards" "$snap" "$(snapshot "$T_RO" "$LONG")"

# 2025-11-25, tools "Error Handling": a schema violation is a tool error the model can act on.
t "list_todos limit 101 -> isError naming the argument and the rule"
call "$T_RO" list_todos '{"limit":101}' 109
want_tool_error 109 "invalid arguments: limit: must be at most 100"

t "list_todos limit 0 and -1 -> isError, the same kind of answer"
call "$T_RO" list_todos '{"limit":0}' 110
want_tool_error 110 "invalid arguments: limit: must be at least 1"
call "$T_RO" list_todos '{"limit":-1}' 111
want_tool_error 111 "invalid arguments: limit: must be at least 1"

t "list_todos limit 100 and limit 1 -> served"
n0=$(count "$T_RO")
call "$T_RO" list_todos '{"limit":100}' 112
want_tool_ok 112 "s.todos.length" "$n0" s.next_cursor null
call "$T_RO" list_todos '{"limit":1}' 113
want_tool_ok 113 "s.todos.length" 1 'typeof s.next_cursor' '"string"'

# ---- isolation by subject and organisation -------------------------------------

T_ALICE=$(tok "todo:read todo:write" --sub alice)
T_BOB=$(tok "todo:read todo:write" --sub bob)
T_ALICE_O1=$(tok "todo:read todo:write" --sub alice --org-id org-1)
T_ALICE_O2=$(tok "todo:read todo:write" --sub alice --org-id org-2)

t "alice creates a todo"
call "$T_ALICE" create_todo '{"title":"alice private","description":"only hers"}' 121
want_tool_ok 121 s.title '"alice private"'
AID=$(jget 'r.result.structuredContent.id')
ASNAP=$(snapshot "$T_ALICE" "$AID")

t "bob's list does not show alice's todo (nor e2e-user's)"
want_eq "bob's todos" 0 "$(count "$T_BOB")"
call "$T_BOB" list_todos '{}' 122
want_body_lacks "$AID"
want_body_lacks 'alice private'

t "bob cannot get, update or delete alice's todo: todo not found"
before=$(db_sum)
call "$T_BOB" get_todo "{\"todo_id\":\"$AID\"}" 123
want_tool_error 123 "todo not found"
call "$T_BOB" update_todo "{\"todo_id\":\"$AID\",\"title\":\"bob was here\",\"completed\":true}" 124
want_tool_error 124 "todo not found"
call "$T_BOB" delete_todo "{\"todo_id\":\"$AID\"}" 125
want_tool_error 125 "todo not found"
want_eq "database checksum" "$before" "$(db_sum)"

t "alice's todo is unchanged after bob's attempts"
want_eq "get_todo" "$ASNAP" "$(snapshot "$T_ALICE" "$AID")"
want_eq "alice's todos" 1 "$(count "$T_ALICE")"

t "alice in org-1 creates a todo; alice without org and in org-2 cannot see it"
call "$T_ALICE_O1" create_todo '{"title":"org-1 todo"}' 126
want_tool_ok 126 s.title '"org-1 todo"'
OID=$(jget 'r.result.structuredContent.id')
OSNAP=$(snapshot "$T_ALICE_O1" "$OID")
want_eq "alice/org-2 todos" 0 "$(count "$T_ALICE_O2")"
want_eq "alice (no org) todos" 1 "$(count "$T_ALICE")"
has_todo "$T_ALICE" "$OID" && note "alice without an org lists the org-1 todo"
want_eq "alice/org-1 todos" 1 "$(count "$T_ALICE_O1")"
has_todo "$T_ALICE_O1" "$AID" && note "alice/org-1 lists alice's org-less todo"

t "alice in org-2 cannot get, update or delete the org-1 todo"
before=$(db_sum)
call "$T_ALICE_O2" get_todo "{\"todo_id\":\"$OID\"}" 127
want_tool_error 127 "todo not found"
call "$T_ALICE_O2" update_todo "{\"todo_id\":\"$OID\",\"completed\":true}" 128
want_tool_error 128 "todo not found"
call "$T_ALICE_O2" delete_todo "{\"todo_id\":\"$OID\"}" 129
want_tool_error 129 "todo not found"
call "$T_ALICE" delete_todo "{\"todo_id\":\"$OID\"}" 130
want_tool_error 130 "todo not found"
want_eq "database checksum" "$before" "$(db_sum)"
want_eq "org-1 todo afterwards" "$OSNAP" "$(snapshot "$T_ALICE_O1" "$OID")"

t "alice's todos survive bob deleting his own"
call "$T_BOB" create_todo '{"title":"bob own"}' 131
bid=$(jget 'r.result.structuredContent.id')
call "$T_BOB" delete_todo "{\"todo_id\":\"$bid\"}" 132
want_tool_ok 132 s.deleted true
want_eq "alice's todos" 1 "$(count "$T_ALICE")"
want_eq "alice/org-1 todos" 1 "$(count "$T_ALICE_O1")"

# ---- audit lines ----------------------------------------------------------------

SECRET_TITLE="audit-title-$RANDOM$RANDOM"
SECRET_DESC="audit-desc-$RANDOM$RANDOM"
SECRET_UPD="audit-upd-$RANDOM$RANDOM"
T_EXP=$(expired_tok "todo:read todo:write")

# audit_since MARK N: waits (bounded) for N audit lines after line MARK of
# the error log (a worker writes its line after the response went out) and
# writes them into $TMP/audit.lines.
audit_since() {
	local i
	for ((i = 0; i < 50; i++)); do
		tail -n +"$(($1 + 1))" "$ERRLOG" | grep '"type":"audit"' >"$TMP/audit.lines"
		[ "$(wc -l <"$TMP/audit.lines")" -ge "$2" ] && break
		sleep 0.1
	done
	sleep 0.2
	tail -n +"$(($1 + 1))" "$ERRLOG" | grep '"type":"audit"' >"$TMP/audit.lines"
}

t "audit: one JSON line per request with the decision of each"
mark=$(wc -l <"$ERRLOG")
call "$T_RW" create_todo "{\"title\":\"$SECRET_TITLE\",\"description\":\"$SECRET_DESC\"}" 141
want_tool_ok 141
aud_id=$(jget 'r.result.structuredContent.id')
call "$T_RW" update_todo "{\"todo_id\":\"$aud_id\",\"title\":\"$SECRET_UPD\"}" 142
want_tool_ok 142
call "$T_RO" create_todo "{\"title\":\"$SECRET_TITLE\"}" 143
want_status 403
call "" create_todo "{\"title\":\"$SECRET_TITLE\"}" 144
want_status 401
call "$T_EXP" create_todo "{\"title\":\"$SECRET_TITLE\"}" 145
want_status 401
rpc "$T_NONE" tools/list 146
want_status 200
audit_since "$mark" 6
out=$(node -e '
	const fs = require("fs");
	const lines = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
	const bad = [];
	if (lines.length !== 6) bad.push(`wanted 6 audit lines, got ${lines.length}`);
	const recs = [];
	for (const l of lines) {
		try { recs.push(JSON.parse(l)); } catch (e) { bad.push("not JSON: " + l); }
	}
	for (const r of recs) {
		for (const f of ["request_id", "remote", "decision"])
			if (typeof r[f] !== "string" || !r[f]) bad.push(`no ${f}: ${JSON.stringify(r)}`);
		for (const f of ["status", "duration_us"])
			if (typeof r[f] !== "number" || r[f] < 0) bad.push(`no ${f}: ${JSON.stringify(r)}`);
		if (r.remote !== "127.0.0.1") bad.push(`remote ${r.remote}`);
	}
	if (new Set(recs.map((r) => r.request_id)).size !== recs.length) bad.push("request_id repeated");
	const find = (p) => recs.filter(p);
	const want = (what, list, n) => { if (list.length !== n) bad.push(`${what}: ${list.length} lines, wanted ${n}`); };
	want("allowed create_todo by e2e-user", find((r) => r.decision === "allowed" && r.status === 200 &&
		r.method === "tools/call" && r.tool === "create_todo" && r.subject === "e2e-user" &&
		r.client_id === "e2e-client" && JSON.stringify(r.scopes) === "[\"todo:read\",\"todo:write\"]"), 1);
	want("allowed update_todo", find((r) => r.decision === "allowed" && r.tool === "update_todo" && r.status === 200), 1);
	want("403 missing todo:write for create_todo", find((r) => r.decision === "403 missing todo:write" &&
		r.status === 403 && r.tool === "create_todo" && r.method === "tools/call" &&
		JSON.stringify(r.scopes) === "[\"todo:read\"]"), 1);
	want("401 without a token, no subject", find((r) => /^401 ./.test(r.decision) && r.status === 401 &&
		!("subject" in r) && !("scopes" in r)), 2);
	want("401 for the expired token", find((r) => /^401 .*expired/.test(r.decision) && r.status === 401), 1);
	want("allowed tools/list", find((r) => r.decision === "allowed" && r.method === "tools/list" && r.status === 200), 1);
	console.log(bad.join("\n"));
	process.exit(bad.length ? 1 : 0);
' "$TMP/audit.lines" 2>&1) || note "$out" "lines: $(cat "$TMP/audit.lines")"

# A batch (2025-03-26) cannot hide a call: each message is audited on its own line.
t "batch: a delete refused for scope is its element's -32003; the 200 carries the challenge"
mark=$(wc -l <"$ERRLOG")
BATCH="[$(call_json delete_todo "{\"todo_id\":\"$aud_id\"}" 151),$(call_json greet_user '{"name":"B"}' 152)]"
AUTH="Bearer $T_RO" mcp "$BATCH"
want_status 200
want_header WWW-Authenticate \
	"Bearer realm=\"mcp\", error=\"insufficient_scope\", error_description=\"the request needs todo:write\", scope=\"todo:write todo:read\", resource_metadata=\"$(prm)\""
want_json 'r.length' 2 'r[0].id' 151 'r[0].error.code' -32003 'r[1].id' 152 \
	'r[1].result.content[0].text' '"Hi B, welcome!"'

t "batch: the delete and the greeting are audited on their own lines, one request id"
audit_since "$mark" 2
out=$(node -e '
	const fs = require("fs");
	const recs = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
	const bad = [];
	if (recs.length !== 2) bad.push(`wanted 2 audit lines, got ${recs.length}`);
	if (new Set(recs.map((r) => r.request_id)).size !== 1) bad.push("the lines do not share a request_id");
	const [d, g] = recs;
	const ok = (c, what) => { if (!c) bad.push(what); };
	ok(d && d.message === 0 && d.messages === 2 && d.tool === "delete_todo" &&
		d.decision === "403 missing todo:write" && d.rpc_error === -32003 && d.status === 200,
		"delete line: " + JSON.stringify(d));
	ok(g && g.message === 1 && g.messages === 2 && g.tool === "greet_user" && g.decision === "allowed" &&
		!("rpc_error" in g), "greet line: " + JSON.stringify(g));
	console.log(bad.join("\n"));
	process.exit(bad.length ? 1 : 0);
' "$TMP/audit.lines" 2>&1) || note "$out" "lines: $(cat "$TMP/audit.lines")"
has_todo "$T_RO" "$aud_id" || note "the refused delete deleted the todo"

t "batch: an allowed delete beside a greeting leaves an audit line for the delete"
mark=$(wc -l <"$ERRLOG")
AUTH="Bearer $T_RW" mcp "$BATCH"
want_status 200
want_no_header WWW-Authenticate
want_json 'r[0].result.structuredContent.deleted' true 'r[1].result.content[0].text' '"Hi B, welcome!"'
audit_since "$mark" 2
grep -q '"tool":"delete_todo","decision":"allowed","status":200' "$TMP/audit.lines" ||
	note "no audit line for the delete: $(cat "$TMP/audit.lines")"

t "audit: the error log holds no token and no argument text of write tools"
for v in "$SECRET_TITLE" "$SECRET_DESC" "$SECRET_UPD"; do
	grep -qF "$v" "$ERRLOG" && note "the error log contains the argument text '$v'"
done
for name in T_RO T_WO T_RW T_NONE T_EXP T_ALICE T_BOB; do
	tk=${!name}
	grep -qF "${tk##*.}" "$ERRLOG" && note "the error log contains the signature of token $name"
	grep -qF "$(cut -d. -f2 <<<"$tk")" "$ERRLOG" && note "the error log contains the payload of token $name"
done

t "audit: as many audited requests as requests to /mcp (the server's access log)"
# Both logs are written after the response, and lighttpd flushes its access
# log only every few seconds: give them up to 10 s to agree.  A batch's
# messages share their request's id.
for ((i = 0; i < 100; i++)); do
	n_acc=$(grep -cE '"[A-Z]+ /mcp[ ?]' "$ACCESS_LOG")
	n_aud=$(grep '"type":"audit"' "$ERRLOG" | sed 's/.*"request_id":"\([^"]*\)".*/\1/' | sort -u | wc -l)
	[ "$n_acc" = "$n_aud" ] && break
	sleep 0.1
done
want_eq "audited requests (= POSTs to /mcp)" "$n_acc" "$n_aud"
[ "$n_acc" -gt 100 ] || note "only $n_acc requests in the access log"

t "the workers never crashed (no sanitizer report, no respawn note)"
cat "$ERRLOG" "${SRV_LOGS[@]}" 2>/dev/null |
	grep -nE 'AddressSanitizer|runtime error:|LeakSanitizer|child signalled|child exited|AH01226|AH0126[0-9]|exit\(communication error\)|exited on signal' |
	grep -v '"type":"audit"' | head -n 5 >"$TMP/crash.lines"
[ -s "$TMP/crash.lines" ] && note "error log:" "$(cat "$TMP/crash.lines")"

# ---- MCP_TOOL_SCOPES: the operator's override -------------------------------------

if server_start --env 'MCP_TOOL_SCOPES=create_todo=todo:write todo:admin; delete_todo = todo:admin'; then
	mint_all
	SUPPORTED="todo:write todo:admin todo:read"
	T_RWA=$(tok "todo:read todo:write todo:admin")

	t "MCP_TOOL_SCOPES: tools/list shows the overridden scopes"
	rpc "$T_NONE" tools/list 201
	want_result 201
	want_json 'r.result.tools.map(x => [x.name, x._meta.scopes])' \
		'[["greet_user",[]],["whoami",[]],["create_todo",["todo:write","todo:admin"]],["list_todos",["todo:read"]],["get_todo",["todo:read"]],["update_todo",["todo:write"]],["delete_todo",["todo:admin"]]]'

	t "MCP_TOOL_SCOPES: create_todo with todo:read todo:write -> 403 scope lists both, nothing stored"
	before=$(db_sum)
	call "$T_RW" create_todo '{"title":"needs admin"}' 202
	want_scope_403 202 'todo:write todo:admin' 'todo:write todo:admin todo:read'
	want_eq "database checksum" "$before" "$(db_sum)"
	want_eq "todos listed" 0 "$(count "$T_RO")"

	t "MCP_TOOL_SCOPES: create_todo with todo:admin alone -> 403 scope lists both"
	call "$(tok todo:admin)" create_todo '{"title":"needs write"}' 203
	want_scope_403 203 'todo:write todo:admin'
	want_eq "todos listed" 0 "$(count "$T_RO")"

	t "MCP_TOOL_SCOPES: create_todo with todo:write todo:admin -> created"
	call "$T_RWA" create_todo '{"title":"admin made"}' 204
	want_tool_ok 204 s.title '"admin made"'
	ADM=$(jget 'r.result.structuredContent.id')

	t "MCP_TOOL_SCOPES: todo:* and mcp:tools:create_todo still grant create_todo"
	call "$(tok 'todo:*')" create_todo '{"title":"star made"}' 205
	want_tool_ok 205 s.title '"star made"'
	call "$(tok mcp:tools:create_todo)" create_todo '{"title":"grant made"}' 206
	want_tool_ok 206 s.title '"grant made"'

	t "MCP_TOOL_SCOPES: delete_todo with todo:write -> 403 scope=todo:admin, todo kept"
	before=$(db_sum)
	call "$T_RW" delete_todo "{\"todo_id\":\"$ADM\"}" 207
	want_scope_403 207 todo:admin 'todo:admin todo:read todo:write'
	want_eq "database checksum" "$before" "$(db_sum)"
	has_todo "$T_RO" "$ADM" || note "the todo is gone"

	t "MCP_TOOL_SCOPES: delete_todo with todo:admin -> deleted"
	call "$(tok todo:admin)" delete_todo "{\"todo_id\":\"$ADM\"}" 208
	want_tool_ok 208 s.deleted true

	t "MCP_TOOL_SCOPES: tools not named keep their scopes"
	call "$T_WO" update_todo '{"todo_id":"00000000000000000000000000000000"}' 209
	want_tool_error 209 "todo not found"
	call "$T_WO" list_todos '{}' 210
	want_scope_403 210 todo:read 'todo:read todo:write'
else
	t "$WEB starts with MCP_TOOL_SCOPES"
	note "see the error log above"
fi

# ---- MCP_REQUIRED_SCOPES: needed by every request ------------------------------------

# want_scope_set_403 ID SCOPE...: 403 insufficient_scope whose scope= holds
# exactly the given scopes (any order), JSON-RPC error -32003 for ID.
want_scope_set_403() {
	local id=$1 got want
	shift
	want_status 403
	want_header_match WWW-Authenticate \
		"^Bearer realm=\"mcp\", error=\"insufficient_scope\", error_description=\"the request needs [^\"]*\", scope=\"[^\"]*\", resource_metadata=\"$(prm)\"\$"
	got=$(header_value WWW-Authenticate | sed -n 's/.*scope="\([^"]*\)".*/\1/p' | tr ' ' '\n' | sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	want_eq "challenge scopes" "$want" "$got"
	want_json 'r.jsonrpc' '"2.0"' 'r.id' "$id" 'r.error.code' -32003 '"result" in r' false
}

if server_start --env 'MCP_REQUIRED_SCOPES=mcp:access'; then
	mint_all
	SUPPORTED="todo:write todo:read mcp:access"
	T_ACC=$(tok "mcp:access")
	T_ACC_RW=$(tok "mcp:access todo:read todo:write")

	t "MCP_REQUIRED_SCOPES: no token -> 401 (authentication first)"
	rpc "" ping 301
	want_401_no_token

	t "MCP_REQUIRED_SCOPES: expired token without mcp:access -> 401, not 403"
	call "$(expired_tok "todo:read")" list_todos '{}' 302
	want_401_invalid

	t "MCP_REQUIRED_SCOPES: ping without mcp:access -> 403 insufficient_scope naming mcp:access"
	rpc "$T_RW" ping 303
	want_status 403
	want_header_match WWW-Authenticate \
		"^Bearer realm=\"mcp\", error=\"insufficient_scope\", error_description=\"the request needs mcp:access\", scope=\"[^\"]*mcp:access[^\"]*\", resource_metadata=\"$(prm)\"\$"

	t "MCP_REQUIRED_SCOPES: greet_user without mcp:access -> 403 scope=mcp:access, -32003 with the id"
	call "$T_RW" greet_user '{"name":"Ada"}' 304
	want_scope_set_403 304 mcp:access todo:read todo:write
	want_body_lacks 'Hi Ada'

	t "MCP_REQUIRED_SCOPES: create_todo with todo:write, without mcp:access -> 403, nothing stored"
	before=$(db_sum)
	call "$T_RW" create_todo '{"title":"no access"}' 305
	want_scope_set_403 305 mcp:access todo:write todo:read
	want_eq "database checksum" "$before" "$(db_sum)"

	t "MCP_REQUIRED_SCOPES: create_todo with mcp:access only -> 403 naming mcp:access and todo:write"
	call "$T_ACC" create_todo '{"title":"no write"}' 306
	want_scope_set_403 306 mcp:access todo:write
	want_eq "database checksum" "$before" "$(db_sum)"

	t "MCP_REQUIRED_SCOPES: tool grants do not stand in for the required scope"
	call "$(tok 'mcp:tools:* todo:*')" create_todo '{"title":"no access"}' 307
	want_status 403
	want_eq "database checksum" "$before" "$(db_sum)"

	t "MCP_REQUIRED_SCOPES: mcp:access alone serves tools/list and greet_user"
	rpc "$T_ACC" tools/list 308
	want_result 308
	call "$T_ACC" greet_user '{"name":"Ada"}' 309
	want_result 309
	want_json 'r.result.content[0].text' '"Hi Ada, welcome!"'

	t "MCP_REQUIRED_SCOPES: mcp:access todo:read todo:write -> create and list served"
	call "$T_ACC_RW" create_todo '{"title":"with access"}' 310
	want_tool_ok 310 s.title '"with access"'
	want_eq "todos listed" 1 "$(count "$T_ACC_RW")"
else
	t "$WEB starts with MCP_REQUIRED_SCOPES"
	note "see the error log above"
fi

# ---- two accepted issuers: the owner includes the issuer -----------------------

ISS2=https://second-issuer.example
if server_start --env "OAUTH_ISSUER=http://127.0.0.1:@PORT@/dev-issuer $ISS2" --env OAUTH_ALLOW_HTTP=1; then
	T_I1=$(tok "todo:read todo:write" --sub alice)
	T_I2=$(tok "todo:read todo:write" --sub alice --iss "$ISS2")

	t "two issuers: alice of one creates a todo; alice of the other does not see it"
	call "$T_I1" create_todo '{"title":"first issuer"}' 401
	want_tool_ok 401 s.title '"first issuer"'
	I1ID=$(jget 'r.result.structuredContent.id')
	want_eq "alice (second issuer) todos" 0 "$(count "$T_I2")"
	call "$T_I2" get_todo "{\"todo_id\":\"$I1ID\"}" 402
	want_tool_error 402 "todo not found"
	call "$T_I2" delete_todo "{\"todo_id\":\"$I1ID\"}" 403
	want_tool_error 403 "todo not found"

	t "two issuers: alice of the other issuer keeps her own, apart"
	call "$T_I2" create_todo '{"title":"second issuer"}' 404
	want_tool_ok 404 s.title '"second issuer"'
	want_eq "alice (first issuer) todos" 1 "$(count "$T_I1")"
	want_eq "alice (second issuer) todos" 1 "$(count "$T_I2")"
	has_todo "$T_I1" "$I1ID" || note "the first issuer's todo is gone"
else
	t "$WEB starts with two issuers"
	note "see the error log above"
fi

# ---- MCP_TODO_MAX_PER_SUBJECT (the first release's name of MCP_TODO_MAX_PER_OWNER) ----

SUPPORTED="todo:write todo:read"
if server_start --env MCP_TODO_MAX_PER_SUBJECT=3; then
	mint_all
	T_CAROL=$(tok "todo:read todo:write" --sub carol)

	t "MCP_TODO_MAX_PER_SUBJECT=3: three creates served"
	ids=()
	for i in 1 2 3; do
		call "$T_RW" create_todo "{\"title\":\"max $i\"}" "40$i"
		want_tool_ok "40$i" s.title "\"max $i\""
		ids+=("$(jget 'r.result.structuredContent.id')")
	done

	t "MCP_TODO_MAX_PER_SUBJECT=3: the fourth -> isError, nothing stored"
	before=$(db_sum)
	call "$T_RW" create_todo '{"title":"max 4"}' 404
	want_tool_error 404 "todo limit reached: delete some todos first"
	want_eq "database checksum" "$before" "$(db_sum)"
	want_eq "todos listed" 3 "$(count "$T_RO")"

	t "MCP_TODO_MAX_PER_SUBJECT=3: another subject still creates"
	call "$T_CAROL" create_todo '{"title":"carol 1"}' 405
	want_tool_ok 405 s.title '"carol 1"'

	t "MCP_TODO_MAX_PER_SUBJECT=3: after a delete one more fits, then full again"
	call "$T_RW" delete_todo "{\"todo_id\":\"${ids[0]}\"}" 406
	want_tool_ok 406 s.deleted true
	call "$T_RW" create_todo '{"title":"max 5"}' 407
	want_tool_ok 407 s.title '"max 5"'
	call "$T_RW" create_todo '{"title":"max 6"}' 408
	want_tool_error 408 "todo limit reached: delete some todos first"
	want_eq "todos listed" 3 "$(count "$T_RO")"
else
	t "$WEB starts with MCP_TODO_MAX_PER_SUBJECT=3"
	note "see the error log above"
fi

# ---- MCP_TODO_DB ----------------------------------------------------------------------

# A directory the programs can write: Apache and nginx run them as WEB_USER.
mkdir -p -m 700 "$TMP/otherdb"
[ "$WEB" = lighttpd ] || [ "$(id -u)" != 0 ] || chown "$WEB_USER" "$TMP/otherdb"
if server_start --env "MCP_TODO_DB=$TMP/otherdb/other.sqlite"; then
	mint_all
	t "MCP_TODO_DB: the todos go to the named file"
	call "$T_RW" create_todo '{"title":"elsewhere"}' 501
	want_tool_ok 501 s.title '"elsewhere"'
	[ -s "$TMP/otherdb/other.sqlite" ] || note "no database at MCP_TODO_DB"
	[ -e "$SRV_DIR/state/todos.sqlite" ] && note "todos.sqlite made in the state directory anyway"
else
	t "$WEB starts with MCP_TODO_DB"
	note "see the error log above"
fi

finish
